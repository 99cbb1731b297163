"""Unhandled errors (and ERROR log lines) reported through sentry-sdk when `SENTRY_DSN` is set.

Nothing is reported without it. With it, no event leaves the process before
`redaction.scrub_event` has taken out tokens, secrets, bodies and claims; sentry-sdk itself
is told (`data_collection`) not to collect user details, cookies, request bodies, query
strings or the local variables of stack frames, where tokens and claims live. Only the
Flask integration (and sentry-sdk's defaults: logging, threads, the excepthook) is enabled.
`SENTRY_TRANSPORT` (settable only through `create_app`'s overrides) replaces the HTTP
transport: the tests capture events with it, without the network.
"""

from __future__ import annotations

import sentry_sdk
from flask import Flask
from sentry_sdk.integrations.flask import FlaskIntegration

from partner_api import redaction
from partner_api.version import __version__


def init_app(app: Flask) -> None:
    dsn = app.config.get("SENTRY_DSN")
    if not dsn:
        return
    sentry_sdk.init(
        dsn=dsn,
        release=__version__,
        environment=app.config["ENV_NAME"],
        integrations=[FlaskIntegration()],
        auto_enabling_integrations=False,
        data_collection={
            "user_info": False,
            "cookies": {"mode": "off"},
            "http_bodies": [],
            "url_query_params": {"mode": "off"},
            "stack_frame_variables": False,
        },
        before_send=redaction.scrub_event,
        transport=app.config.get("SENTRY_TRANSPORT"),
    )
