"""The whole database as plain values, to prove that a refused request changed nothing."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from partner_api.extensions import db


def snapshot() -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every table, in primary-key order, read on a fresh connection."""
    state = {}
    with db.engine.connect() as connection:
        for table in db.metadata.sorted_tables:
            query = select(table).order_by(*table.primary_key.columns)
            state[table.name] = [tuple(row) for row in connection.execute(query)]
    return state


def row_count(table_name: str) -> int:
    return len(snapshot()[table_name])
