"""The bounds of a console answer (§3.4.10), the same for every provider's REPL.

An answer shows at most `MAX_ROWS` rows of at most `MAX_COLUMNS` columns, each cell cut to
`MAX_CELL_CHARS` characters (and marked `…`), and takes no further row once its cells hold
`MAX_ANSWER_CHARS` characters, so the row that reaches the budget is the last one shown.
Rows and columns left out are said in a paragraph, never dropped silently. A provider
applies these bounds while it reads, before the values are in the worker's memory.
"""

from __future__ import annotations

from collections.abc import Iterable

MAX_ROWS = 100
MAX_COLUMNS = 100
MAX_CELL_CHARS = 1000
MAX_ANSWER_CHARS = 100_000

CUT_MARK = "…"


def cut(value: str) -> str:
    """`value`, or its first `MAX_CELL_CHARS` characters and the cut mark."""
    if len(value) <= MAX_CELL_CHARS:
        return value
    return value[:MAX_CELL_CHARS] + CUT_MARK


def shown_rows(rows: Iterable[list[str]]) -> list[list[str]]:
    """The first rows of `rows` an answer shows, their cells cut; later rows are not read."""
    shown: list[list[str]] = []
    chars = 0
    for row in rows:
        if len(shown) == MAX_ROWS or chars >= MAX_ANSWER_CHARS:
            break
        cells = [cut(value) for value in row[:MAX_COLUMNS]]
        chars += sum(len(cell) for cell in cells)
        shown.append(cells)
    return shown


def omissions(rows: tuple[int, int], columns: tuple[int, int] = (0, 0)) -> list[str]:
    """What an answer left out, given (shown, total) rows and columns."""
    notes = []
    if rows[1] > rows[0]:
        notes.append(f"Showing the first {rows[0]} of {rows[1]} rows.")
    if columns[1] > columns[0]:
        notes.append(f"Showing the first {columns[0]} of {columns[1]} columns.")
    return notes
