"""Whether the database's schema is at the migrations' head (what `flask db upgrade` makes).

A process started before the release step ran (a Procfile runner starts `web` and `worker`
together) must not act on a schema it does not know: the worker waits for the head and
`/readyz` is not ready until then. The head revisions are read from the migrations folder
once per process; the database's revisions are read on every check (two catalog reads at most).
"""

from __future__ import annotations

import functools

from alembic.script import ScriptDirectory
from flask import current_app
from sqlalchemy import column, inspect, select, table

from partner_api.extensions import db


@functools.cache
def _heads(directory: str) -> frozenset[str]:
    return frozenset(ScriptDirectory(directory).get_heads())


def head_revisions() -> frozenset[str]:
    return _heads(current_app.extensions["migrate"].directory)


# Alembic's own bookkeeping table (its default name, which migrations/env.py keeps).
_VERSIONS = table("alembic_version", column("version_num"))


def current_revisions() -> frozenset[str]:
    """The revisions the database is at (empty before the first migration)."""
    with db.engine.connect() as connection:
        if not inspect(connection).has_table(_VERSIONS.name):
            return frozenset()
        return frozenset(connection.scalars(select(_VERSIONS.c.version_num)))


def at_head() -> bool:
    return current_revisions() == head_revisions()
