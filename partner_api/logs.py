"""JSON logs, one object a line, each tagged with the request id.

Only the fields named here are logged: no headers, bodies or tokens, so secrets cannot leak
through the access log; an exception's text is scrubbed of bearer tokens and JWTs.
"""

from __future__ import annotations

import json
import logging
import re
import time
import uuid

from flask import Flask, g, has_request_context, request

from partner_api.redaction import scrub_text

access_log = logging.getLogger("partner_api.access")

REQUEST_ID_HEADER = "X-Request-Id"
_SAFE_REQUEST_ID = re.compile(r"[A-Za-z0-9._:-]{1,128}")


class JsonFormatter(logging.Formatter):
    EXTRA_FIELDS = ("method", "path", "status", "duration_ms", "installation_id", "auth_kind")

    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "time": self.formatTime(record, "%Y-%m-%dT%H:%M:%S%z"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        if has_request_context() and "request_id" in g:
            entry["request_id"] = g.request_id
        for name in self.EXTRA_FIELDS:
            if hasattr(record, name):
                entry[name] = getattr(record, name)
        if record.exc_info:
            # An exception's text may quote what it failed on: a bearer token, a JWT.
            entry["exception"] = scrub_text(self.formatException(record.exc_info))
        return json.dumps(entry)


def configure_logging(level: str) -> None:
    handler = logging.StreamHandler()
    handler.setFormatter(JsonFormatter())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)


def _start_request() -> None:
    incoming = request.headers.get(REQUEST_ID_HEADER, "")
    # fullmatch: `$` would let a trailing newline through, into the echoed header.
    g.request_id = incoming if _SAFE_REQUEST_ID.fullmatch(incoming) else uuid.uuid4().hex
    g.request_started = time.perf_counter()


def _finish_request(response):
    response.headers[REQUEST_ID_HEADER] = g.get("request_id", "")
    claims = g.get("claims")
    access_log.info(
        "request",
        extra={
            "method": request.method,
            "path": request.path,
            "status": response.status_code,
            "duration_ms": round((time.perf_counter() - g.get("request_started", 0)) * 1000, 2),
            "installation_id": getattr(claims, "installation_id", None),
            "auth_kind": getattr(claims, "kind", None),
        },
    )
    return response


def init_app(app: Flask) -> None:
    app.before_request(_start_request)
    app.after_request(_finish_request)
