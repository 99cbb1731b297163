"""Public liveness and readiness probes for the platform's router.

Readiness is the app's database answering at the migrations' head; the providers may add
details to it (`providers/operations.py`) that never change the status.
"""

from __future__ import annotations

import logging

from flask import Blueprint, current_app, jsonify
from sqlalchemy.exc import SQLAlchemyError

from partner_api import schema
from partner_api.auth import guard
from partner_api.providers import operations
from partner_api.version import __version__

log = logging.getLogger(__name__)
blueprint = Blueprint("health", __name__)


@blueprint.get("/healthz")
def healthz():
    """The process is up, and which release it runs; says nothing about its dependencies."""
    return jsonify(status="ok", version=__version__)


@blueprint.get("/readyz")
def readyz():
    """Ready to serve: the database answers at the migrations' head, and Vercel's signing keys
    are held (cached, or fetched now): without them every Partner API call would be 503."""
    details = operations.readiness_details(current_app)
    try:
        migrated = schema.at_head()
    except SQLAlchemyError:
        log.warning("readiness check: database unreachable")
        return jsonify(status="unavailable", database="unreachable", **details), 503
    if not migrated:
        log.info("readiness check: the schema is behind the migrations")
        return jsonify(status="unavailable", database="not migrated", **details), 503
    if not guard.signing_keys_available():
        # The key set's own fetch logged why (once per cooldown, however often this is polled).
        body = jsonify(status="unavailable", database="ok", signing_keys="unavailable", **details)
        return body, 503
    return jsonify(status="ok", database="ok", signing_keys="ok", **details)
