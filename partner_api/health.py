"""Public liveness and readiness probes for the platform's router.

Readiness is the app's database answering; the providers may add details to it
(`providers/operations.py`) that never change the status.
"""

from __future__ import annotations

import logging

from flask import Blueprint, current_app, jsonify
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from partner_api.extensions import db
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
    """Ready to serve: the database answers."""
    details = operations.readiness_details(current_app)
    try:
        db.session.execute(text("SELECT 1"))
    except SQLAlchemyError:
        log.warning("readiness check: database unreachable")
        db.session.rollback()
        return jsonify(status="unavailable", database="unreachable", **details), 503
    return jsonify(status="ok", database="ok", **details)
