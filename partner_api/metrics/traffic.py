"""Each answered request counted and timed, labelled by its URL rule, never by its path.

A path carries ids (each installation would make series of its own); the rule
(`/v1/installations/<installation_id>`) does not. A request no rule matched is `unmatched`
and a method outside HTTP's usual few is `other`, so no caller can add a series.
"""

from __future__ import annotations

import time

from flask import Flask, Response, g, request

from partner_api.metrics import HTTP_REQUEST_SECONDS, HTTP_REQUESTS

METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})
UNMATCHED = "unmatched"
OTHER_METHOD = "other"


def _start() -> None:
    g.metrics_started = time.perf_counter()


def _record(response: Response) -> Response:
    rule = request.url_rule
    endpoint = rule.rule if rule is not None else UNMATCHED
    method = request.method if request.method in METHODS else OTHER_METHOD
    HTTP_REQUESTS.labels(endpoint, method, str(response.status_code)).inc()
    HTTP_REQUEST_SECONDS.labels(endpoint, method).observe(
        time.perf_counter() - g.metrics_started
    )
    return response


def init_app(app: Flask) -> None:
    app.before_request(_start)
    app.after_request(_record)
