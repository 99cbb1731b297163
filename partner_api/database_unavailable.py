"""A request that cannot reach the database answers 503 `database_unavailable` (§3.1).

With `Retry-After`: the caller (Vercel retries mutating calls with their `Idempotency-Key`)
should try again shortly, and the same call will then run. The request's transaction is
rolled back before the answer (nothing half-written: the unit of work commits all or
nothing), and the outage is logged as one WARNING line with the driver's one-line reason,
no traceback. Any other database error is not handled here: it stays a logged 500.
"""

from __future__ import annotations

import logging

from flask import Flask
from sqlalchemy.exc import DBAPIError

from partner_api.dboutage import describe, is_unreachable
from partner_api.errors import ServiceUnavailable, error_response
from partner_api.extensions import db

log = logging.getLogger(__name__)

RETRY_AFTER_SECONDS = 5


class DatabaseUnavailable(ServiceUnavailable):
    code = "database_unavailable"


def _database_error_response(error: DBAPIError):
    if not is_unreachable(error):
        raise error  # Flask logs it and answers the 500 envelope, as for any other error
    db.session.rollback()
    log.warning("database unreachable, answered 503: %s", describe(error))
    body, status = error_response(
        DatabaseUnavailable("The database is unavailable; retry the request shortly.")
    )
    return body, status, {"Retry-After": str(RETRY_AFTER_SECONDS)}


def register_errorhandler(app: Flask) -> None:
    app.register_error_handler(DBAPIError, _database_error_response)
