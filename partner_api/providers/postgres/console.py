"""The resource console (§3.4.10): one SQL statement, answered as paragraphs and tables.

The statement is first prepared through the extended protocol, which takes exactly one
statement, so a command cannot chain `COMMIT; …` out of the read-only transaction it runs in.

The answer is bounded while it is read (`answer_limits`), not cut once it is in memory: libpq
has no limit per field, a row arrives whole, so the rows of a statement that returns rows are
read on the server. The command goes as a parameter, never spliced into SQL, to a function of
the session's temporary schema that opens it as a cursor (a cursor too takes one statement
only, and any that returns rows: SELECT, … RETURNING, SHOW, EXPLAIN), turns each of the first
`MAX_COLUMNS` cells into its type's text, cuts it, hands over the rows the answer shows and
only counts the rest. A statement that returns no rows runs as prepared. Errors (including
statement timeouts and read-only refusals) are answered as red paragraphs, never raised, their
texts cut like cells; an error raised while the rows are read is cut on the server already.
libpq still takes in whole every message the server sends (a `DO` block's error, a notice of
a function the command calls), so this module runs in a child process under a memory cap
(`console_process`), never in the web worker.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import psycopg
from psycopg import pq
from psycopg.errors import Diagnostic

from partner_api.providers.answer_limits import (
    MAX_ANSWER_CHARS,
    MAX_CELL_CHARS,
    MAX_COLUMNS,
    MAX_ROWS,
    cut,
    omissions,
)

ERROR_COLOR = "red"
# SQLSTATE read_only_sql_transaction
READ_ONLY_REFUSAL = "25006"
CURSOR = "partner_api_console"

Block = dict[str, Any]

# The cells are fetched into `refcursor` variables: a text type that no type has a cast to,
# so PL/pgSQL assigns every value through its type's output function, the text psql shows
# (into `text`, casts would make booleans `true` and addresses `1.2.3.4/32`). A row with
# fewer columns leaves the last variables NULL; columns past the last variable are not read.
# Every name is schema-qualified, operators too: the command may change search_path while it
# runs, between the reader's own steps. The reader returns the rows it shows, then one row
# without cells that says how many more it counted; being one statement, it is bounded as a
# whole by the session's statement_timeout.
_CELLS = [f"c{number}" for number in range(1, MAX_COLUMNS + 1)]
_CUT_CELLS = ", ".join(f"pg_catalog.left({cell}::pg_catalog.text, cut_at)" for cell in _CELLS)
_READER = f"""
CREATE FUNCTION pg_temp.partner_api_console_rows(
    command pg_catalog.text,
    max_rows pg_catalog.int4,
    cut_at pg_catalog.int4,
    max_chars pg_catalog.int8
) RETURNS TABLE (cells pg_catalog.text[], rest pg_catalog.int8)
LANGUAGE plpgsql AS $reader$
DECLARE
    answer pg_catalog.refcursor := '{CURSOR}';
    chars pg_catalog.int8 := 0;
    {"".join(f"{cell} pg_catalog.refcursor; " for cell in _CELLS)}
BEGIN
    OPEN answer NO SCROLL FOR EXECUTE command;
    FOR shown IN 1..max_rows LOOP
        EXIT WHEN chars OPERATOR(pg_catalog.>=) max_chars;
        FETCH answer INTO {", ".join(_CELLS)};
        EXIT WHEN NOT FOUND;
        cells := ARRAY[{_CUT_CELLS}];
        chars := chars OPERATOR(pg_catalog.+)
            pg_catalog.length(pg_catalog.array_to_string(cells, ''));
        RETURN NEXT;
    END LOOP;
    cells := NULL;
    MOVE FORWARD ALL FROM answer;
    GET DIAGNOSTICS rest = ROW_COUNT;
    RETURN NEXT;
EXCEPTION WHEN OTHERS THEN
    DECLARE
        message pg_catalog.text;
        detail pg_catalog.text;
        hint pg_catalog.text;
        state pg_catalog.text;
    BEGIN
        GET STACKED DIAGNOSTICS message = MESSAGE_TEXT, detail = PG_EXCEPTION_DETAIL,
            hint = PG_EXCEPTION_HINT, state = RETURNED_SQLSTATE;
        RAISE EXCEPTION USING ERRCODE = state, MESSAGE = pg_catalog.left(message, cut_at),
            DETAIL = pg_catalog.left(detail, cut_at), HINT = pg_catalog.left(hint, cut_at);
    END;
END
$reader$
"""
_READ = "SELECT cells, rest FROM pg_temp.partner_api_console_rows(%s, %s, %s, %s)"


def run(connection: psycopg.Connection, command: str, read_only: bool) -> list[Block]:
    """Run `command` on an autocommit `connection`, to be closed afterwards (not committed)."""
    if "\x00" in command:
        return refusal("The command contains a NUL character.")
    # Created before the command is even parsed, and outside the read-only transaction,
    # which refuses to create anything.
    connection.execute(_READER)
    if read_only:
        connection.execute("BEGIN READ ONLY")
        # The first query takes the transaction's snapshot; after it the transaction can no
        # longer be switched to read-write.
        connection.execute("SELECT 1")
    pgconn = connection.pgconn
    prepared = pgconn.prepare(b"", command.encode())
    if prepared.status != pq.ExecStatus.COMMAND_OK:
        outcome = _Outcome(error=_error_fields(Diagnostic(prepared), pgconn))
    elif pgconn.describe_prepared(b"").nfields:
        outcome = _Outcome.of_rows(connection, command, read_only)
    else:
        outcome = _Outcome.of_prepared(pgconn)
    return outcome.blocks(read_only)


def refusal(text: str) -> list[Block]:
    """The answer of a command that was not run, or not read: one red paragraph."""
    return [_paragraph(_text(text, color=ERROR_COLOR))]


@dataclass
class _Outcome:
    header: list[str] = field(default_factory=list)
    column_count: int = 0
    rows: list[list[str | None]] = field(default_factory=list)
    row_count: int = 0
    command_status: str | None = None
    empty: bool = False
    copy: bool = False
    error: dict[str, str] | None = None

    @classmethod
    def of_rows(cls, connection: psycopg.Connection, command: str, read_only: bool) -> _Outcome:
        """Reads the rows through the server-side reader, in a transaction that keeps its
        cursor open until its columns are described (committed unless read-only)."""
        outcome = cls()
        try:
            if not read_only:
                connection.execute("BEGIN")
            read = connection.execute(
                _READ, (command, MAX_ROWS, MAX_CELL_CHARS + 1, MAX_ANSWER_CHARS)
            ).fetchall()
            portal = connection.pgconn.describe_portal(CURSOR.encode())
            if not read_only:
                connection.execute("COMMIT")
        except psycopg.Error as error:
            if connection.broken:
                raise
            outcome.error = _error_fields(error.diag, connection.pgconn)
            return outcome
        outcome.column_count = portal.nfields
        shown_columns = range(min(portal.nfields, MAX_COLUMNS))
        outcome.header = [_decode(portal.fname(column)) or "?" for column in shown_columns]
        *shown, (_, rest) = read
        outcome.rows = [cells[: len(outcome.header)] for cells, _ in shown]
        outcome.row_count = len(outcome.rows) + rest
        outcome.command_status = f"({outcome.row_count} row{'' if outcome.row_count == 1 else 's'})"
        return outcome

    @classmethod
    def of_prepared(cls, pgconn: pq.abc.PGconn) -> _Outcome:
        """Runs the prepared statement, which returns no rows or rows of no column."""
        outcome = cls()
        pgconn.nonblocking = 0
        pgconn.send_query_prepared(b"", None)
        pgconn.set_single_row_mode()
        while (result := pgconn.get_result()) is not None:
            status = result.status
            if status in (pq.ExecStatus.TUPLES_OK, pq.ExecStatus.COMMAND_OK):
                outcome.command_status = _decode(result.command_status)
            elif status == pq.ExecStatus.EMPTY_QUERY:
                outcome.empty = True
            elif status in (pq.ExecStatus.COPY_IN, pq.ExecStatus.COPY_OUT, pq.ExecStatus.COPY_BOTH):
                # The connection is abandoned mid-COPY; closing it ends the statement.
                outcome.copy = True
                break
            elif status != pq.ExecStatus.SINGLE_TUPLE:
                outcome.error = _error_fields(Diagnostic(result), pgconn)
        return outcome

    def blocks(self, read_only: bool) -> list[Block]:
        blocks: list[Block] = []
        if self.header:
            blocks.append(_table(self.header, self.rows))
            notes = omissions(
                (len(self.rows), self.row_count), (len(self.header), self.column_count)
            )
            blocks.extend(_paragraph(_text(note)) for note in notes)
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


def _error_fields(diagnostic: Diagnostic, pgconn: pq.abc.PGconn) -> dict[str, str]:
    """The fields an error is answered with, each cut like a cell (the command chooses them)."""
    message = diagnostic.message_primary
    if not message:
        # Errors raised by libpq itself (e.g. a lost connection) only have a whole message.
        message = (_decode(pgconn.error_message) or "unknown error").strip()
    return {
        "severity": diagnostic.severity_nonlocalized or "ERROR",
        "message": cut(message),
        "detail": cut(diagnostic.message_detail or ""),
        "hint": cut(diagnostic.message_hint or ""),
        "sqlstate": diagnostic.sqlstate or "",
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
    return _text(cut(value))


def _table(header: list[str], rows: list[list[str | None]]) -> Block:
    return {
        "type": "table",
        "header": [_text(name, bold=True) for name in header],
        "rows": [[_cell(value) for value in row] for row in rows],
    }
