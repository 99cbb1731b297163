"""A fresh database per run, and gunicorn serving an app the way the Procfile does.

Both servers, the app (`partner_api.wsgi:app`) and the ceiling (`bench.ceiling:app`), run
gunicorn as `partner-api serve` does, with the shipped configuration; only the app module
differs, and the listening address is pinned to loopback.
"""

from __future__ import annotations

import os
import signal
import subprocess
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from partner_api import cli
from tests.databases import temporary_postgres_database
from tests.serverproc import ROOT, environment, free_port, procfile, wait_until_up

__all__ = ["APP", "CEILING", "database", "environment", "release", "serving"]

APP = cli.WSGI_APP
CEILING = "bench.ceiling:app"


@contextmanager
def database(kind: str, workdir: Path, postgres_url: str) -> Iterator[str]:
    """A new, empty database of `kind` (sqlite or postgres); yields its URL."""
    if kind == "sqlite":
        yield f"sqlite:///{workdir / f'bench-{uuid.uuid4().hex[:8]}.sqlite3'}"
        return
    with temporary_postgres_database(postgres_url) as url:
        yield url


def release(env: dict[str, str]) -> None:
    """The Procfile's release command: migrations."""
    subprocess.run(  # noqa: S603 - the Procfile's own command
        procfile()["release"], env=env, cwd=ROOT, check=True, capture_output=True
    )


def _cpu_ticks(pid: int, *, reaped_children: bool = False) -> int:
    fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
    ticks = int(fields[11]) + int(fields[12])  # utime, stime
    if reaped_children:
        ticks += int(fields[13]) + int(fields[14])  # cutime, cstime: exited workers
    return ticks


def _children(pid: int) -> list[int]:
    found = []
    for task in Path(f"/proc/{pid}/task").iterdir():
        found += [int(child) for child in (task / "children").read_text().split()]
    return found


@dataclass(frozen=True)
class Server:
    url: str
    pid: int

    def cpu_seconds(self) -> float:
        """CPU used so far by gunicorn: the master, its workers, and workers it recycled."""
        ticks = _cpu_ticks(self.pid, reaped_children=True)
        for child in _children(self.pid):
            try:
                ticks += _cpu_ticks(child)
            except FileNotFoundError:  # exited in between
                continue
        return ticks / os.sysconf("SC_CLK_TCK")


@contextmanager
def serving(app: str, env: dict[str, str], log: Path) -> Iterator[Server]:
    """gunicorn as the Procfile's web command runs it, for `app`, bound to 127.0.0.1."""
    port = free_port()
    command = [*cli.gunicorn_command(app), "--bind", f"127.0.0.1:{port}"]
    with log.open("a") as output:
        process = subprocess.Popen(  # noqa: S603 - the shipped gunicorn command
            command, env={**env, "PORT": str(port)}, cwd=ROOT, stdout=output,
            stderr=subprocess.STDOUT, start_new_session=True,
        )
        base_url = f"http://127.0.0.1:{port}"
        try:
            wait_until_up(base_url, process, log)
            yield Server(base_url, process.pid)
        finally:
            os.killpg(process.pid, signal.SIGTERM)
            process.wait(timeout=30)
