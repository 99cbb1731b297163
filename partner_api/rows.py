"""Insert a row only if no row with the same unique key exists, without an exception.

`INSERT … ON CONFLICT DO NOTHING` (Postgres and SQLite) lets the database decide a race:
on Postgres a concurrent insert of the same key waits for the other transaction and then
does nothing. It also avoids savepoints, which the SQLite driver does not nest inside its
own transactions (a released savepoint would commit). Needs SQLite 3.35+ (RETURNING).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.dialects import postgresql, sqlite

from partner_api.extensions import db

_INSERTS = {"postgresql": postgresql.insert, "sqlite": sqlite.insert}


def insert_new(model: type[db.Model], **values: Any) -> bool:
    """Insert the row unless it would duplicate a unique key; says whether it was inserted."""
    dialect = db.session.get_bind().dialect.name
    table = model.__table__
    statement = (
        _INSERTS[dialect](table)
        .values(**values)
        .on_conflict_do_nothing()
        .returning(*table.primary_key.columns)
    )
    return db.session.execute(statement).first() is not None
