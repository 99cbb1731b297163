"""The demo console's answers stay within the console bounds (`answer_limits`), however many
keys the store holds and however long its keys and values are."""

from __future__ import annotations

from partner_api.providers.answer_limits import MAX_CELL_CHARS, MAX_ROWS
from partner_api.providers.demo import DemoProvider
from tests.providers.test_demo import context

LONG = "v" * (MAX_CELL_CHARS + 500)
CUT = "v" * MAX_CELL_CHARS + "…"


def paragraph_text(block: dict) -> str:
    assert block["type"] == "paragraph"
    return "".join(child["text"] for child in block["children"])


def test_keys_shows_the_first_rows_and_counts_the_rest():
    store = {f"key{number:03}": "1" for number in range(250)}

    table, note = DemoProvider().repl(
        context({"store": store}, billing_plan_id="demo-pro"), "KEYS", True
    )

    assert [row[0]["text"] for row in table["rows"]] == sorted(store)[:MAX_ROWS]
    assert paragraph_text(note) == f"Showing the first {MAX_ROWS} of 250 rows."


def test_long_keys_and_values_are_cut():
    state = {"store": {LONG: LONG}}
    demo = DemoProvider()

    [table] = demo.repl(context(state), "KEYS", True)
    [value] = demo.repl(context(state), f"GET {LONG}", True)
    [unknown] = demo.repl(context(state), LONG, True)

    assert table["rows"] == [[{"type": "text", "text": CUT}]]
    assert paragraph_text(value) == CUT
    assert paragraph_text(unknown) == f"(error) unknown command {CUT!r}; try HELP"
