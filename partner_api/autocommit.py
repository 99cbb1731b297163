"""An engine whose connections stay in autocommit mode, for work that is one statement.

Two kinds of work need no transaction around their statement:
- Partner API reads (GETs): one or two SELECTs. Through the ORM session each one cost about
  four times the query itself (session and transaction set-up, an isolation-level switch
  and back per checkout, ORM row loading, a COMMIT). Here a read is a Core statement built
  once at import, run with no BEGIN, no COMMIT and nothing to reset. Under READ COMMITTED
  each statement sees its own snapshot, just as it would inside a transaction.
- Idempotency claims: one INSERT (or UPDATE, or DELETE) that must be committed at once,
  beside the request's own transaction. In autocommit mode that is one round trip, not
  three (BEGIN, the statement, COMMIT).

The engine shares the app's database URL and engine options, with a pool of its own (it
opens connections only as they are needed: at most one per thread), disposed of with the
app's engine. An in-memory SQLite database exists once per connection, so there the app's
own engine is used instead.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from flask import Flask, current_app
from sqlalchemy import create_engine, event
from sqlalchemy.engine import Engine, Row
from sqlalchemy.sql import Executable

from partner_api.dbpool import ping_when_idle
from partner_api.extensions import db

_EXTENSION = "partner_api.autocommit"


def _in_memory(engine: Engine) -> bool:
    return engine.dialect.name == "sqlite" and engine.url.database in (None, "", ":memory:")


def init_app(app: Flask) -> None:
    with app.app_context():
        primary = db.engine
    if _in_memory(primary):
        engine = primary.execution_options(isolation_level="AUTOCOMMIT")
    else:
        options = dict(app.config.get("SQLALCHEMY_ENGINE_OPTIONS", {}))
        engine = create_engine(primary.url, isolation_level="AUTOCOMMIT", **options)
        ping_when_idle(engine, app.config["DATABASE_PING_AFTER_IDLE_SECONDS"])
        # Whoever disposes of the app's engine (tests, forked workers) disposes of this one.
        event.listen(primary, "engine_disposed", lambda _engine: engine.dispose())
    app.extensions[_EXTENSION] = engine


def engine() -> Engine:
    return current_app.extensions[_EXTENSION]


def first(statement: Executable, params: Mapping[str, Any]) -> Row | None:
    """The first row `statement` selects, or None."""
    with engine().connect() as connection:
        return connection.execute(statement, params).first()


def all_rows(statement: Executable, params: Mapping[str, Any]) -> list[Row]:
    with engine().connect() as connection:
        return list(connection.execute(statement, params))

