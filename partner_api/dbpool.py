"""Pooled connections are checked before use only when they have been idle for a while.

`pool_pre_ping` pings the server on every checkout: one round trip per request, about a
sixth of a Partner API read. A connection that was handed back moments ago is very unlikely
to be dead; one that sat idle (after a quiet spell, a database restart or a failover) may
be. So a connection is pinged on checkout only after `idle_seconds` in the pool. A dead one
raises `DisconnectionError`, and the pool replaces it with a fresh connection before the
caller sees it, as with `pool_pre_ping`.

A connection that dies while in use still fails that one statement; SQLAlchemy then
invalidates the whole pool, so the other pooled connections are replaced too.
"""

from __future__ import annotations

import time

from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlalchemy.exc import DisconnectionError

# Where a pooled connection's record keeps the time it was last handed back.
_IDLE_SINCE = "partner_api_idle_since"


def ping_when_idle(engine: Engine, idle_seconds: float) -> None:
    """Ping `engine`'s connections on checkout if they sat in the pool `idle_seconds` or more."""
    dialect = engine.dialect

    def checked_in(dbapi_connection, record) -> None:
        record.info[_IDLE_SINCE] = time.monotonic()

    def checked_out(dbapi_connection, record, proxy) -> None:
        idle_since = record.info.pop(_IDLE_SINCE, None)
        if idle_since is None or time.monotonic() - idle_since < idle_seconds:
            return
        try:
            dialect.do_ping(dbapi_connection)
        except dialect.loaded_dbapi.Error as exc:
            raise DisconnectionError("the pooled connection is gone") from exc

    event.listen(engine, "checkin", checked_in)
    event.listen(engine, "checkout", checked_out)
