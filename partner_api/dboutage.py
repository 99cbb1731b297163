"""Telling a lost database from a failing statement, and waiting out the loss.

`is_unreachable(error)` is true only for errors that say nothing about the statement and
everything about the connection: SQLAlchemy invalidated the connection (the server closed
it, the network dropped it), the driver refused to use it (`InterfaceError`), or no
connection could be made at all (an `OperationalError` the server never answered: no
SQLSTATE, or one of the connection classes 08 and 57P — shutting down, starting up). A
deadlock, a statement timeout or a constraint violation is not an outage: retrying the same
work at once would not help, so those keep their own handling.

`Outage` is what a loop that must survive the loss keeps: capped exponential backoff with
jitter between attempts, one WARNING when the outage starts and one INFO when it ends, not
one line per failed attempt.
"""

from __future__ import annotations

import logging
import random

from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError

# SQLSTATE prefixes of a connection that failed or a server that is not accepting work.
_CONNECTION_STATES = ("08", "57P")


def is_unreachable(error: BaseException) -> bool:
    """Whether `error` means the database could not be reached (rather than refused the work)."""
    if not isinstance(error, DBAPIError):
        return False
    if error.connection_invalidated or isinstance(error, InterfaceError):
        return True
    if not isinstance(error, OperationalError) or not hasattr(error.orig, "sqlstate"):
        return False
    state = error.orig.sqlstate
    return state is None or state.startswith(_CONNECTION_STATES)


def describe(error: BaseException) -> str:
    """The error's type and first line: no statement, no parameters, no traceback."""
    original = getattr(error, "orig", None) or error
    first_line = (str(original).strip().splitlines() or [""])[0]
    return f"{type(original).__name__}: {first_line}"[:300]


class Outage:
    """The state of one loop's wait for its database: logs the start and the end once each."""

    def __init__(
        self, log: logging.Logger, *, first_delay: float = 0.5, max_delay: float = 10.0
    ) -> None:
        self.log = log
        self.first_delay = first_delay
        self.max_delay = max_delay
        self.failures = 0

    @property
    def ongoing(self) -> bool:
        return self.failures > 0

    def failed(self, error: BaseException) -> float:
        """Count a failed attempt; returns how many seconds to wait before the next one."""
        if not self.ongoing:
            self.log.warning("database unreachable (%s); retrying with backoff", describe(error))
        self.failures += 1
        delay = min(self.first_delay * 2 ** (self.failures - 1), self.max_delay)
        return delay * random.uniform(0.75, 1.25)  # noqa: S311 - jitter, not secrecy

    def recovered(self) -> None:
        """The database answered: ends the outage (and says so) if there was one."""
        if self.ongoing:
            self.log.info("database reachable again after %s failed attempts", self.failures)
            self.failures = 0
