"""The console's child process: it gets the member's password and the command on stdin only,
an empty environment and none of the worker's descriptors; whatever goes wrong in it (an exit
status, a signal, too much output, too slow, output that does not parse) is answered with one
red paragraph and one WARNING line that carry neither the password nor the command."""

# The fixtures of test_postgres.py are imported, and so look redefined as arguments.
# ruff: noqa: F811

from __future__ import annotations

import logging
import os
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import pytest

from partner_api.providers.answer_limits import MAX_CELL_CHARS, MAX_COLUMNS
from partner_api.providers.base import ProviderError
from partner_api.providers.postgres import admin, console, console_child, console_process
from partner_api.providers.postgres.console_process import FAILED, TOO_LARGE, TOO_SLOW
from tests.providers import pg_cluster
from tests.providers.test_postgres import (  # noqa: F401
    provider,
    provision,
    table_rows,
    texts,
)

PASSWORD = "p4ssw0rd-of-the-member"
CONNINFO = f"host=127.0.0.1 port=1 dbname=nowhere user=member password={PASSWORD}"
COMMAND = "SELECT 'the command of the tenant'"
# Larger than a pipe's buffer: the worker must not block writing it to a child that won't read.
LARGE_COMMAND = COMMAND + " -- " + "x" * (1024 * 1024)


@pytest.fixture
def children(monkeypatch) -> list[subprocess.Popen]:
    """Every process the console starts, as started."""
    started: list[subprocess.Popen] = []
    popen = subprocess.Popen

    def recording_popen(*args, **kwargs) -> subprocess.Popen:
        child = popen(*args, **kwargs)
        started.append(child)
        return child

    monkeypatch.setattr(console_process.subprocess, "Popen", recording_popen)
    return started


def fake_child(monkeypatch, code: str) -> None:
    monkeypatch.setattr(console_process, "_CHILD", [sys.executable, "-c", code])


READS_STDIN = "import os, signal, sys, time; sys.stdin.read(); "


@pytest.mark.parametrize(
    ("code", "command", "answer", "reason"),
    [
        (READS_STDIN + "print('not json')", COMMAND, FAILED, "wrote no answer that parses"),
        (READS_STDIN + "print('{\"blocks\": 1}')", COMMAND, FAILED, "wrote no answer that parses"),
        (READS_STDIN + "sys.exit(7)", COMMAND, FAILED, "exited with status 7"),
        ("pass", LARGE_COMMAND, FAILED, "wrote no answer that parses"),
        (
            READS_STDIN + f"sys.exit({console_child.EXIT_OUT_OF_MEMORY})",
            COMMAND,
            TOO_LARGE,
            "ran out of memory",
        ),
        (
            READS_STDIN + "os.kill(os.getpid(), signal.SIGKILL)",
            COMMAND,
            TOO_LARGE,
            "was ended by signal 9",
        ),
        (
            READS_STDIN
            + f"sys.stdout.write('x' * {console_process.MAX_ANSWER_BYTES + 1}); "
            + "sys.stdout.flush(); time.sleep(60)",
            COMMAND,
            TOO_LARGE,
            f"wrote more than {console_process.MAX_ANSWER_BYTES} bytes",
        ),
    ],
    ids=["garbage", "wrong-shape", "exit-status", "no-read", "memory", "signal", "too-much"],
)
def test_a_failing_child_is_answered_with_a_red_paragraph_and_one_warning(
    monkeypatch, caplog, children, code, command, answer, reason
):
    fake_child(monkeypatch, code)

    with caplog.at_level(logging.WARNING):
        blocks = console_process.run(CONNINFO, command, True, timedelta(seconds=1))

    assert blocks == console.refusal(answer)
    assert [record.getMessage() for record in caplog.records] == [
        f"postgres provider: the console child {reason}"
    ]
    [child] = children
    assert child.returncode is not None


def test_a_child_that_does_not_finish_in_time_is_killed(monkeypatch, caplog, children):
    fake_child(monkeypatch, "import time; time.sleep(60)")
    monkeypatch.setattr(console_process, "time_limit", lambda statement_timeout: 0.5)

    with caplog.at_level(logging.WARNING):
        blocks = console_process.run(CONNINFO, LARGE_COMMAND, True, timedelta(seconds=1))

    assert blocks == console.refusal(TOO_SLOW)
    assert [record.getMessage() for record in caplog.records] == [
        "postgres provider: the console child did not finish within 0.5 s"
    ]
    [child] = children
    assert child.returncode == -9


def test_the_time_limit_covers_connecting_and_the_commands_statements():
    assert console_process.time_limit(timedelta(seconds=5)) == 5 + 2 * 5 + 5


def test_a_cluster_the_child_cannot_reach_is_a_503_without_the_password(caplog):
    with caplog.at_level(logging.DEBUG), pytest.raises(ProviderError) as raised:
        console_process.run(CONNINFO, COMMAND, True, timedelta(seconds=1))

    assert (raised.value.status, raised.value.code) == (503, "provider_unavailable")
    assert PASSWORD not in raised.value.message
    [warning] = [record for record in caplog.records if record.levelno >= logging.WARNING]
    assert warning.getMessage() == (
        "postgres provider: the console child refused: " + raised.value.message
    )


@pytest.mark.postgres
def test_the_child_gets_the_password_on_stdin_only_and_nothing_of_the_worker(
    provider, provision, admin_url, monkeypatch, children
):
    resource, _ = provision()
    database = resource.state["database"]
    passwords: list[str] = []
    create_console_role = admin.create_console_role

    def recording(connection, names):
        role, password = create_console_role(connection, names)
        passwords.append(password)
        return role, password

    monkeypatch.setattr(admin, "create_console_role", recording)
    provider.console_statement_timeout = timedelta(seconds=60)
    # A descriptor any child would inherit, were the worker's not closed.
    reader, writer = os.pipe()
    os.set_inheritable(writer, True)

    try:
        with ThreadPoolExecutor(1) as pool:
            answer = pool.submit(provider.repl, resource, "SELECT pg_sleep(60)", True)
            backend = wait_for_the_console_session(admin_url, database)
            [child] = children
            proc = f"/proc/{child.pid}"
            with open(f"{proc}/cmdline", "rb") as cmdline, open(f"{proc}/environ", "rb") as env:
                argv, environment = cmdline.read(), env.read()
            descriptors = {int(fd) for fd in os.listdir(f"{proc}/fd")}
            pg_cluster.query(admin_url, "SELECT pg_cancel_backend(%s)", (backend,))
            blocks = answer.result()
    finally:
        os.close(reader)
        os.close(writer)

    [password] = passwords
    assert argv.split(b"\0")[:-1] == [os.fsencode(part) for part in console_process._CHILD]
    assert password.encode() not in argv
    assert environment == b""
    assert writer not in descriptors
    assert texts(blocks) == ["ERROR: canceling statement due to user request"]


def wait_for_the_console_session(admin_url: str, database: str) -> int:
    """The backend pid of the resource's console session once it runs its command."""
    for _ in range(600):
        found = pg_cluster.query(
            admin_url,
            "SELECT pid FROM pg_stat_activity WHERE starts_with(usename, %s)"
            " AND wait_event = 'PgSleep'",
            (f"{database}_console_",),
        )
        if found:
            return found[0][0]
        time.sleep(0.05)
    raise AssertionError("the console's command never started")


@pytest.mark.postgres
def test_the_largest_answer_the_bounds_allow_passes_the_byte_cap(provider, provision):
    resource, _ = provision()
    # Each name takes the 63 bytes a name may have, in 4-byte characters after the digits.
    names = [f"{number:03d}" + "😀" * 15 for number in range(MAX_COLUMNS)]
    # The first row stays just under the answer budget, the second adds a whole row of cut
    # cells: the most characters an answer shows, each written as two `\u` escapes.
    cells = ", ".join(
        f"repeat('😀', CASE WHEN n = 1 THEN {MAX_CELL_CHARS - 1} ELSE {MAX_CELL_CHARS + 1} END)"
        f' AS "{name}"'
        for name in names
    )

    command = " ".join(["SELECT", cells, "FROM generate_series(1, 3) AS n"])

    blocks = provider.repl(resource, command, True)

    assert table_rows(blocks) == [
        ["😀" * (MAX_CELL_CHARS - 1)] * MAX_COLUMNS,
        ["😀" * MAX_CELL_CHARS + "…"] * MAX_COLUMNS,
    ]
    assert texts(blocks) == ["Showing the first 2 of 3 rows.", "(3 rows)"]
