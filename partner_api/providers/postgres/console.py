"""The resource console (§3.4.10): one SQL statement, answered as paragraphs and tables.

The statement goes through the extended protocol, which takes exactly one statement, so a
command cannot chain `COMMIT; …` out of the read-only transaction it runs in. Rows stream one
by one: the first `MAX_ROWS` are shown, the rest only counted. Errors (including statement
timeouts and read-only refusals) are answered as red paragraphs, never raised.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import psycopg
from psycopg import pq

MAX_ROWS = 100
MAX_CELL_CHARS = 1000
ERROR_COLOR = "red"
# SQLSTATE read_only_sql_transaction
READ_ONLY_REFUSAL = "25006"

Block = dict[str, Any]


def run(connection: psycopg.Connection, command: str, read_only: bool) -> list[Block]:
    """Run `command` on an autocommit `connection`, to be closed afterwards (not committed)."""
    if "\x00" in command:
        return [_paragraph(_text("The command contains a NUL character.", color=ERROR_COLOR))]
    if read_only:
        connection.execute("BEGIN READ ONLY")
        # The first query takes the transaction's snapshot; after it the transaction can no
        # longer be switched to read-write.
        connection.execute("SELECT 1")
    return _Outcome.of(connection.pgconn, command).blocks(read_only)


@dataclass
class _Outcome:
    header: list[str] = field(default_factory=list)
    rows: list[list[str | None]] = field(default_factory=list)
    row_count: int = 0
    command_status: str | None = None
    empty: bool = False
    copy: bool = False
    error: dict[str, str] | None = None

    @classmethod
    def of(cls, pgconn: pq.abc.PGconn, command: str) -> _Outcome:
        outcome = cls()
        pgconn.nonblocking = 0
        pgconn.send_query_params(command.encode(), None)
        pgconn.set_single_row_mode()
        while (result := pgconn.get_result()) is not None:
            status = result.status
            if status == pq.ExecStatus.SINGLE_TUPLE:
                outcome._add_row(result)
            elif status in (pq.ExecStatus.TUPLES_OK, pq.ExecStatus.COMMAND_OK):
                outcome._set_header(result)
                outcome.command_status = _decode(result.command_status)
            elif status == pq.ExecStatus.EMPTY_QUERY:
                outcome.empty = True
            elif status in (pq.ExecStatus.COPY_IN, pq.ExecStatus.COPY_OUT, pq.ExecStatus.COPY_BOTH):
                # The connection is abandoned mid-COPY; closing it ends the statement.
                outcome.copy = True
                break
            else:
                outcome.error = _error_fields(result, pgconn)
        return outcome

    def _set_header(self, result: pq.abc.PGresult) -> None:
        if not self.header:
            self.header = [_decode(result.fname(column)) or "?" for column in range(result.nfields)]

    def _add_row(self, result: pq.abc.PGresult) -> None:
        self._set_header(result)
        self.row_count += 1
        if len(self.rows) < MAX_ROWS:
            self.rows.append([_decode(result.get_value(0, c)) for c in range(result.nfields)])

    def blocks(self, read_only: bool) -> list[Block]:
        blocks: list[Block] = []
        if self.header:
            blocks.append(_table(self.header, self.rows))
            if self.row_count > len(self.rows):
                blocks.append(
                    _paragraph(
                        _text(f"Showing the first {len(self.rows)} of {self.row_count} rows.")
                    )
                )
        if self.error:
            blocks.extend(_error_blocks(self.error, read_only))
        elif self.copy:
            blocks.append(
                _paragraph(_text("COPY from or to the client is not supported in the console."))
            )
        elif self.empty:
            blocks.append(_paragraph(_text("Nothing to run: type an SQL statement.")))
        elif self.command_status:
            blocks.append(_paragraph(_text(self.command_status)))
        return blocks


def _decode(value: bytes | None) -> str | None:
    return None if value is None else value.decode("utf-8", errors="replace")


def _error_fields(result: pq.abc.PGresult, pgconn: pq.abc.PGconn) -> dict[str, str]:
    def field_text(code: pq.DiagnosticField) -> str:
        return _decode(result.error_field(code)) or ""

    message = field_text(pq.DiagnosticField.MESSAGE_PRIMARY)
    return {
        "severity": field_text(pq.DiagnosticField.SEVERITY_NONLOCALIZED) or "ERROR",
        # Errors raised by libpq itself (e.g. a lost connection) only have a whole message.
        "message": message or (_decode(pgconn.error_message) or "unknown error").strip(),
        "detail": field_text(pq.DiagnosticField.MESSAGE_DETAIL),
        "hint": field_text(pq.DiagnosticField.MESSAGE_HINT),
        "sqlstate": field_text(pq.DiagnosticField.SQLSTATE),
    }


def _error_blocks(error: dict[str, str], read_only: bool) -> list[Block]:
    blocks = [_paragraph(_text(f"{error['severity']}: {error['message']}", color=ERROR_COLOR))]
    if error["detail"]:
        blocks.append(_paragraph(_text(f"DETAIL: {error['detail']}")))
    if error["hint"]:
        blocks.append(_paragraph(_text(f"HINT: {error['hint']}")))
    if read_only and error["sqlstate"] == READ_ONLY_REFUSAL:
        blocks.append(_paragraph(_text("This console is read-only: nothing was changed.")))
    return blocks


def _text(text: str, **style: Any) -> Block:
    return {"type": "text", "text": text, **style}


def _paragraph(*children: Block) -> Block:
    return {"type": "paragraph", "children": list(children)}


def _cell(value: str | None) -> Block:
    if value is None:
        return _text("NULL", italic=True)
    if len(value) > MAX_CELL_CHARS:
        value = value[:MAX_CELL_CHARS] + "…"
    return _text(value)


def _table(header: list[str], rows: list[list[str | None]]) -> Block:
    return {
        "type": "table",
        "header": [_text(name, bold=True) for name in header],
        "rows": [[_cell(value) for value in row] for row in rows],
    }
