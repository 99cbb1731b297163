"""`/metrics` in Prometheus' text format, opened by `METRICS_TOKEN` alone.

Unset, the route does not exist (a 404 like any unknown path) and requests are not
recorded. Set, a scrape must send `Authorization: Bearer <METRICS_TOKEN>`, compared in
constant time; anything else is a 401 in the contract's envelope (§3.1) with no figure in
it. Under gunicorn (`PROMETHEUS_MULTIPROC_DIR` set) a scrape adds up every worker's files,
whichever worker answers it; the job gauges are read from the database.
"""

from __future__ import annotations

import hmac
import os

import prometheus_client
from flask import Blueprint, Flask, Response, current_app, request
from prometheus_client import CONTENT_TYPE_PLAIN_0_0_4, CollectorRegistry, generate_latest
from prometheus_client.multiprocess import MultiProcessCollector

from partner_api.errors import Unauthorized
from partner_api.metrics import traffic
from partner_api.metrics.jobs import JobsCollector

MULTIPROCESS_DIR = "PROMETHEUS_MULTIPROC_DIR"

blueprint = Blueprint("metrics", __name__)


def _authorize() -> None:
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    expected = current_app.config["METRICS_TOKEN"].encode()
    # Header values are latin-1 text: as UTF-8 bytes any of them compares (str would raise).
    offered = token.strip().encode()
    if scheme.lower() != "bearer" or not hmac.compare_digest(offered, expected):
        raise Unauthorized("A valid metrics token is required.", code="invalid_token")


def _registry() -> CollectorRegistry:
    """What one scrape reports: this process's instruments, or every worker's, and the jobs."""
    registry = CollectorRegistry()
    if os.environ.get(MULTIPROCESS_DIR):
        MultiProcessCollector(registry)
    else:
        registry.register(prometheus_client.REGISTRY)
    registry.register(JobsCollector())
    return registry


@blueprint.get("/metrics")
def metrics() -> Response:
    _authorize()
    body = generate_latest(_registry())
    return Response(body, headers={"Content-Type": CONTENT_TYPE_PLAIN_0_0_4})


def init_app(app: Flask) -> None:
    if not app.config.get("METRICS_TOKEN"):
        return
    traffic.init_app(app)
    app.register_blueprint(blueprint)
