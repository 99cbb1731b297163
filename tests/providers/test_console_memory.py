"""The postgres console's answers are bounded while they are read: a command that makes the
server send huge values (cells, folded constants, error messages, notices) grows the worker by
a few MB at most, measured as the peak resident memory of a fresh process running just that
command; and bounded answers still say what every kind of statement did."""

# The fixtures of test_postgres.py are imported, and so look redefined as arguments.
# ruff: noqa: F811

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from partner_api.providers.answer_limits import (
    MAX_ANSWER_CHARS,
    MAX_CELL_CHARS,
    MAX_COLUMNS,
    MAX_ROWS,
)
from partner_api.providers.postgres.console_process import TOO_LARGE
from tests.providers.test_postgres import (  # noqa: F401
    is_error,
    provider,
    provision,
    table_rows,
    texts,
)

pytestmark = pytest.mark.postgres

MAX_GROWTH_KB = 16 * 1024

# Runs one command in a fresh process and prints the growth of its peak resident memory
# (VmHWM) over the same process having already run a small command, and the answer.
CHILD = """
import json, sys
from partner_api.providers.base import ResourceContext
from partner_api.providers.postgres import PostgresProvider

def peak_kb():
    with open("/proc/self/status") as status:
        line = next(line for line in status if line.startswith("VmHWM:"))
    return int(line.split()[1])

admin_url, state, command, read_only = json.loads(sys.argv[1])
resource = ResourceContext(
    resource_id="res_test", installation_id="icfg_test", product_slug="postgres",
    name="My database", metadata={}, billing_plan_id="postgres-free", state=state,
)
provider = PostgresProvider(admin_url=admin_url, public_url=None)
provider.repl(resource, "SELECT repeat('x', 5000) FROM generate_series(1, 200)", read_only)
before = peak_kb()
blocks = provider.repl(resource, command, read_only)
print(json.dumps({"growth_kb": peak_kb() - before, "blocks": blocks}))
"""


def run_alone(admin_url: str, state: dict, command: str, read_only: bool = True) -> dict:
    argument = json.dumps([admin_url, state, command, read_only])
    done = subprocess.run(
        [sys.executable, "-c", CHILD, argument], capture_output=True, text=True, check=True
    )
    return json.loads(done.stdout)


def cut_cell(character: str) -> str:
    return character * MAX_CELL_CHARS + "…"


@pytest.mark.parametrize("read_only", [True, False], ids=["read-only", "read-write"])
def test_huge_cells_are_cut_on_the_server(admin_url, provision, read_only):
    resource, _ = provision()

    answer = run_alone(
        admin_url,
        resource.state,
        "SELECT repeat('x', 50000000) AS big FROM generate_series(1, 10)",
        read_only,
    )

    assert answer["growth_kb"] < MAX_GROWTH_KB, answer["growth_kb"]
    assert table_rows(answer["blocks"]) == [[cut_cell("x")]] * 10
    assert texts(answer["blocks"]) == ["(10 rows)"]


def test_a_huge_constant_in_a_plan_is_cut_on_the_server(admin_url, provision):
    resource, _ = provision()

    answer = run_alone(admin_url, resource.state, "EXPLAIN VERBOSE SELECT repeat('y', 50000000)")

    assert answer["growth_kb"] < MAX_GROWTH_KB, answer["growth_kb"]
    output_line = table_rows(answer["blocks"])[1][0]
    assert output_line.startswith("  Output: 'yyy") and output_line.endswith("y…")


def test_a_huge_error_message_is_cut_on_the_server(admin_url, provision):
    resource, _ = provision()

    answer = run_alone(admin_url, resource.state, "SELECT repeat('z', 50000000)::int")

    assert answer["growth_kb"] < MAX_GROWTH_KB, answer["growth_kb"]
    [error] = texts(answer["blocks"])
    assert error.startswith('ERROR: invalid input syntax for type integer: "zzz')
    assert error.endswith("z…")
    assert is_error(answer["blocks"][0])


@pytest.mark.parametrize(
    ("command", "answer"),
    [
        ("DO $$ BEGIN RAISE EXCEPTION '%', repeat('x', 50000000); END $$", TOO_LARGE),
        ("DO $$ BEGIN RAISE NOTICE '%', repeat('x', 50000000); END $$", "DO"),
    ],
    ids=["exception", "notice"],
)
def test_a_huge_message_of_a_do_block_stays_out_of_the_worker(
    admin_url, provision, command, answer
):
    resource, _ = provision()

    # libpq takes in a message whole: only the console's child process holds it.
    done = run_alone(admin_url, resource.state, command, read_only=False)

    assert done["growth_kb"] < MAX_GROWTH_KB, done["growth_kb"]
    assert texts(done["blocks"]) == [answer]
    assert is_error(done["blocks"][0]) == (answer == TOO_LARGE)


def test_a_huge_notice_of_a_function_a_select_calls_stays_out_of_the_worker(
    admin_url, provider, provision
):
    resource, _ = provision()
    provider.repl(
        resource,
        "CREATE FUNCTION noisy() RETURNS text LANGUAGE plpgsql AS "
        "$$ BEGIN RAISE NOTICE '%', repeat('n', 50000000); RETURN 'done'; END $$",
        False,
    )

    answer = run_alone(admin_url, resource.state, "SELECT noisy()")

    assert answer["growth_kb"] < MAX_GROWTH_KB, answer["growth_kb"]
    assert table_rows(answer["blocks"]) == [["done"]]
    assert texts(answer["blocks"]) == ["(1 row)"]


# --- what bounded answers still say -----------------------------------------------------------


def test_many_moderate_rows_stop_at_the_answer_budget(provider, provision):
    resource, _ = provision()
    blocks = provider.repl(
        resource, "SELECT repeat('a', 1500), repeat('b', 1500) FROM generate_series(1, 1000)", True
    )

    # Each row holds two cut cells; the row that reaches the budget is the last one shown.
    per_row = 2 * (MAX_CELL_CHARS + 1)
    shown = -(-MAX_ANSWER_CHARS // per_row)
    assert shown < MAX_ROWS
    assert table_rows(blocks) == [[cut_cell("a"), cut_cell("b")]] * shown
    assert texts(blocks) == [f"Showing the first {shown} of 1000 rows.", "(1000 rows)"]


def test_columns_past_the_limit_are_counted_not_shown(provider, provision):
    resource, _ = provision()
    columns = MAX_COLUMNS + 50
    select = ", ".join(f"{number} AS c{number}" for number in range(1, columns + 1))

    blocks = provider.repl(resource, f"SELECT {select}", True)

    [table] = [block for block in blocks if block["type"] == "table"]
    assert [cell["text"] for cell in table["header"]] == [
        f"c{number}" for number in range(1, MAX_COLUMNS + 1)
    ]
    assert table_rows(blocks) == [[str(number) for number in range(1, MAX_COLUMNS + 1)]]
    assert texts(blocks) == [f"Showing the first {MAX_COLUMNS} of {columns} columns.", "(1 row)"]


def test_cells_read_as_their_types_print_them(provider, provision):
    resource, _ = provision()

    blocks = provider.repl(
        resource,
        "SELECT true, '10.0.0.1'::inet, 'a'::char(3), ARRAY[1, 2], ROW(1, 'a b'), "
        "'x'::information_schema.sql_identifier, NULL::int",
        True,
    )

    [table] = [block for block in blocks if block["type"] == "table"]
    assert [cell["text"] for cell in table["rows"][0]] == [
        "t", "10.0.0.1", "a  ", "{1,2}", '(1,"a b")', "x", "NULL",
    ]  # fmt: skip
    assert table["rows"][0][-1]["italic"] is True


def test_returning_show_and_explain_answer_rows(provider, provision):
    resource, _ = provision()
    provider.repl(resource, "CREATE TABLE pets (name text)", False)

    inserted = provider.repl(
        resource, "INSERT INTO pets VALUES ('Rex'), ('Tom') RETURNING name", False
    )
    shown = provider.repl(resource, "SHOW statement_timeout", True)
    explained = provider.repl(resource, "EXPLAIN SELECT * FROM pets", True)

    assert table_rows(inserted) == [["Rex"], ["Tom"]]
    assert texts(inserted) == ["(2 rows)"]
    assert table_rows(shown) == [["5s"]]
    assert table_rows(explained)[0][0].startswith("Seq Scan on pets")
    # Rows returned by a write are committed.
    assert table_rows(provider.repl(resource, "SELECT count(*) FROM pets", True)) == [["2"]]


def test_a_read_only_write_with_returning_changes_nothing(provider, provision):
    resource, _ = provision()
    provider.repl(resource, "CREATE TABLE pets (name text)", False)

    blocks = provider.repl(resource, "INSERT INTO pets VALUES ('Eve') RETURNING name", True)

    assert texts(blocks) == [
        "ERROR: cannot execute INSERT in a read-only transaction",
        "This console is read-only: nothing was changed.",
    ]
    assert table_rows(provider.repl(resource, "SELECT count(*) FROM pets", True)) == [["0"]]


def test_a_command_that_moves_search_path_cannot_replace_the_cut(provider, provision):
    resource, _ = provision()
    provider.repl(
        resource,
        "CREATE FUNCTION public.left(text, integer) RETURNS text "
        "LANGUAGE sql AS $$ SELECT 'replaced' $$",
        False,
    )

    blocks = provider.repl(
        resource, "SELECT set_config('search_path', 'public, pg_catalog', false), 'kept'", True
    )

    assert table_rows(blocks) == [["public, pg_catalog", "kept"]]


def test_errors_of_statements_without_rows_are_cut(provider, provision):
    resource, _ = provision()

    blocks = provider.repl(
        resource, "DO $$ BEGIN RAISE EXCEPTION '%', repeat('e', 5000); END $$", False
    )

    assert texts(blocks) == ["ERROR: " + cut_cell("e")]


def test_a_select_of_no_column_counts_its_rows(provider, provision):
    resource, _ = provision()

    blocks = provider.repl(resource, "SELECT FROM generate_series(1, 3)", True)

    assert texts(blocks) == ["SELECT 3"]
