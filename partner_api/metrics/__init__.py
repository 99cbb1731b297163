"""The server's Prometheus instruments; every label takes one of a few fixed values.

No label ever carries an id, a path, a token or anything a caller chose: the endpoint is
the URL rule, the Vercel operation is the client method's name, outcomes and methods are
small closed sets. A tenant cannot grow the number of series.

With `PROMETHEUS_MULTIPROC_DIR` set (gunicorn.conf.py sets it before anything imports
prometheus_client), each process writes its values to files there and `/metrics` adds them
up over every worker; without it (`flask run`, the tests) they live in this process.
"""

from __future__ import annotations

from prometheus_client import Counter, Histogram

HTTP_REQUESTS = Counter(
    "partner_api_http_requests",
    "HTTP requests answered, by endpoint (the URL rule, never the path), method and status.",
    ("endpoint", "method", "status"),
)
HTTP_REQUEST_SECONDS = Histogram(
    "partner_api_http_request_duration_seconds",
    "Time from the start of a request to its response, by endpoint and method.",
    ("endpoint", "method"),
)
VERCEL_CALLS = Counter(
    "partner_api_vercel_api_calls",
    "Calls to Vercel's REST API, by client operation and outcome "
    "(ok, 4xx, 5xx, unreachable, unexpected_response, error).",
    ("operation", "outcome"),
)
JWKS_REFRESHES = Counter(
    "partner_api_jwks_refreshes",
    "Fetches of Vercel's signing key set, by outcome (ok, error).",
    ("outcome",),
)
