"""Count the SQL statements a block of code sends, through SQLAlchemy's engine events."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import event
from sqlalchemy.engine import Engine


@contextmanager
def recorded_statements() -> Iterator[list[str]]:
    """Yield a list that fills with the SQL text of every statement any engine executes.

    Every connection counts: the request's session and the autocommit engine's (reads and
    idempotency claims, partner_api/autocommit.py). Transaction control (BEGIN, COMMIT) is
    not a statement.
    """
    statements: list[str] = []

    def record(connection, cursor, statement, parameters, context, executemany) -> None:
        statements.append(statement)

    event.listen(Engine, "before_cursor_execute", record)
    try:
        yield statements
    finally:
        event.remove(Engine, "before_cursor_execute", record)
