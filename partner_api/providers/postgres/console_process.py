"""A console command runs in a child process, so nothing the server sends reaches the worker.

libpq takes in whole every message the server sends, and no server setting caps one: a `DO`
block raising a 50 MB error, or a function the command calls raising a 50 MB notice, would
grow the web worker by hundreds of MB. So the member's session lives in `console_child`,
under a memory cap; the worker keeps the admin work (the throwaway role, whose password is
all the child gets of the cluster's credentials).

The child is started with `subprocess` (never a fork of the threaded worker), an empty
environment and no inherited descriptor; the member's conninfo and the command go on its
stdin, never in its argv or environment, which `ps` and `/proc` show. The worker reads at
most `MAX_ANSWER_BYTES` of the child's stdout within `time_limit`, and kills it otherwise.
Every failure of the child (over its memory cap, too much output, too slow, an exit status,
an answer that does not parse) is answered with one red paragraph and logged as one WARNING
line that says what failed, never with the password, the command or the child's output.
"""

from __future__ import annotations

import json
import logging
import os
import selectors
import subprocess
import sys
import time
from datetime import timedelta
from typing import Any

from partner_api.providers.answer_limits import (
    MAX_ANSWER_CHARS,
    MAX_CELL_CHARS,
    MAX_COLUMNS,
    MAX_ROWS,
)
from partner_api.providers.base import ProviderError
from partner_api.providers.postgres import console, console_child
from partner_api.providers.postgres.cluster import CONNECT_TIMEOUT_SECONDS

logger = logging.getLogger(__name__)

# Python's start-up, the imports and the statements around the command, with headroom.
START_UP_SECONDS = 5
# The largest answer the bounds allow, as the child writes it (JSON, ASCII only): the cells
# the answer budget lets through (the last row may add a whole row of cut cells) at up to 12
# bytes per character (an astral character as two `\u` escapes), and the markup of every
# cell, header and paragraph, counted at 128 bytes each, which no block's markup reaches.
MAX_ANSWER_BYTES = 12 * (MAX_ANSWER_CHARS + MAX_COLUMNS * (MAX_CELL_CHARS + 1)) + 128 * (
    (MAX_ROWS + 1) * MAX_COLUMNS + 16
)

TOO_LARGE = "The answer was too large to read."
TOO_SLOW = "The console command did not finish in time."
FAILED = "The console could not run this command."

_CHILD = [sys.executable, "-I", console_child.__file__]
_READ_SIZE = 64 * 1024


def time_limit(statement_timeout: timedelta) -> float:
    """Seconds the child may take: connecting, the two statements that carry the command
    (preparing it, running it), and start-up."""
    return CONNECT_TIMEOUT_SECONDS + 2 * statement_timeout.total_seconds() + START_UP_SECONDS


class _Failure(Exception):
    """The child gave no answer: `answer` is said to the user, `reason` is logged."""

    def __init__(self, answer: str, reason: str) -> None:
        super().__init__(reason)
        self.answer = answer
        self.reason = reason


def run(
    conninfo: str, command: str, read_only: bool, statement_timeout: timedelta
) -> list[console.Block]:
    """`console.run` in a child connected with `conninfo`; raises the child's `ProviderError`."""
    request = json.dumps(
        {
            "conninfo": conninfo,
            "command": command,
            "read_only": read_only,
            "statement_timeout_ms": int(statement_timeout.total_seconds() * 1000),
        }
    ).encode()
    try:
        return _answer(*_exchange(request, time_limit(statement_timeout)))
    except _Failure as failure:
        logger.warning("postgres provider: the console child %s", failure.reason)
        return console.refusal(failure.answer)


def _exchange(request: bytes, seconds: float) -> tuple[int, bytes]:
    """Runs the child on `request`: its exit status and what it wrote on stdout."""
    deadline = time.monotonic() + seconds
    with subprocess.Popen(  # noqa: S603 - a fixed argv: this interpreter and our module
        _CHILD, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, env={}
    ) as child:
        try:
            output = _talk(child, request, deadline)
            child.wait(max(deadline - time.monotonic(), 0))
        except subprocess.TimeoutExpired:
            raise _Failure(TOO_SLOW, f"did not finish within {seconds:g} s") from None
        finally:
            # Does nothing to a child that has exited; `Popen`'s exit reaps it.
            child.kill()
    return child.returncode, output


def _talk(child: subprocess.Popen, request: bytes, deadline: float) -> bytes:
    """Writes `request` to the child's stdin and reads its stdout until it is closed."""
    assert child.stdin is not None and child.stdout is not None
    pending = memoryview(request)
    output = bytearray()
    os.set_blocking(child.stdin.fileno(), False)
    with selectors.DefaultSelector() as selector:
        selector.register(child.stdin, selectors.EVENT_WRITE)
        selector.register(child.stdout, selectors.EVENT_READ)
        while selector.get_map():
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise subprocess.TimeoutExpired(_CHILD, 0)
            for key, _ in selector.select(remaining):
                if key.fileobj is child.stdin:
                    try:
                        pending = pending[os.write(child.stdin.fileno(), pending) :]
                    except BrokenPipeError:
                        # The child is gone: its exit status says why.
                        pending = pending[:0]
                    if not pending:
                        selector.unregister(child.stdin)
                        child.stdin.close()
                    continue
                chunk = os.read(child.stdout.fileno(), _READ_SIZE)
                if not chunk:
                    selector.unregister(child.stdout)
                output += chunk
                if len(output) > MAX_ANSWER_BYTES:
                    raise _Failure(TOO_LARGE, f"wrote more than {MAX_ANSWER_BYTES} bytes")
    return bytes(output)


def _answer(returncode: int, output: bytes) -> list[console.Block]:
    if returncode == console_child.EXIT_OUT_OF_MEMORY:
        raise _Failure(TOO_LARGE, "ran out of memory")
    if returncode < 0:
        # Nothing but the memory cap is expected to end the child with a signal.
        raise _Failure(TOO_LARGE, f"was ended by signal {-returncode}")
    if returncode:
        raise _Failure(FAILED, f"exited with status {returncode}")
    try:
        answer: Any = json.loads(output)
    except ValueError:
        answer = None
    if isinstance(answer, dict) and isinstance(answer.get("blocks"), list):
        return answer["blocks"]
    refusal = answer.get("refusal") if isinstance(answer, dict) else None
    if isinstance(refusal, dict) and _has_types(refusal, message=str, status=int, code=str):
        # The child's own log line (libpq's reason) went with its stderr.
        logger.warning("postgres provider: the console child refused: %s", refusal["message"])
        raise ProviderError(refusal["message"], status=refusal["status"], code=refusal["code"])
    raise _Failure(FAILED, "wrote no answer that parses")


def _has_types(fields: dict, **types: type) -> bool:
    return all(isinstance(fields.get(name), kind) for name, kind in types.items())
