"""The one place a transaction ends: `with unit_of_work():` commits all of it, or none.

The block's changes (and whatever the session's current transaction already holds) commit
when the block ends normally. Any exception, `BaseException` included (a worker's shutdown,
a client gone mid-request), rolls the session back and propagates unchanged: if the
rollback itself fails (the connection died with the database), that failure is logged and
the block's own error is the one raised, so the caller still sees what went wrong first.

Services, views and job handlers only flush. Units of work are opened by the entry points
(the Partner API's views, the webhook receiver, the dashboard, the worker, the CLI) and by
the few steps that must be durable on their own before the work goes on: a token stored
before the old one is revoked, usage recorded before Vercel is called, a webhook handler's
changes kept apart from the verdict on a malformed event. A unit opened inside another one
commits the outer one's work so far too: it is a step made durable, not a savepoint
(SQLite's driver cannot nest those: partner_api/rows.py).
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager

from partner_api.dboutage import describe
from partner_api.extensions import db

log = logging.getLogger(__name__)


@contextmanager
def unit_of_work() -> Iterator[None]:
    """Commit the session when the block ends, roll it back if anything escapes it."""
    try:
        yield
        db.session.commit()
    except BaseException:
        _roll_back()
        raise


def _roll_back() -> None:
    try:
        db.session.rollback()
    except Exception as failure:  # the block's own error is the one to propagate
        log.warning("rolling back after an error failed too: %s", describe(failure))
