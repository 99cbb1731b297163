"""The server as deployed, in a subprocess: the Procfile's release command, then its web one.

Used by the end-to-end tests and by the conformance kit's run against this server.
"""

from __future__ import annotations

import os
import shlex
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parents[1]
ENCRYPTION_KEY = "cGFydG5lci1hcGktdGVzdC1rZXktMzItYnl0ZXMtb2s="
STARTUP_SECONDS = 30


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def procfile() -> dict[str, list[str]]:
    """The Procfile's process types, each as an argument list."""
    entries = {}
    for line in (ROOT / "Procfile").read_text().splitlines():
        name, _, command = line.partition(":")
        if command.strip():
            entries[name.strip()] = shlex.split(command)
    return entries


def environment(database_url: str, port: int, settings: dict[str, str]) -> dict[str, str]:
    """The production profile on `database_url`, with `settings` on top (SQLite allowed)."""
    env = {key: value for key, value in os.environ.items() if not key.startswith("PARTNER_API")}
    env.update(
        PATH=f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}",
        PARTNER_API_ENV="production",
        PORT=str(port),
        DATABASE_URL=database_url,
        ALLOW_SQLITE_IN_PRODUCTION="1",
        SECRET_KEY="e2e-session-key",
        ENCRYPTION_KEYS=ENCRYPTION_KEY,
        WEB_CONCURRENCY="2",
        **settings,
    )
    return env


def wait_until_up(base_url: str, process: subprocess.Popen, log: Path) -> None:
    deadline = time.monotonic() + STARTUP_SECONDS
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"gunicorn exited with {process.returncode}:\n{log.read_text()}")
        try:
            if requests.get(f"{base_url}/healthz", timeout=1).status_code == 200:
                return
        except requests.ConnectionError:
            time.sleep(0.2)
    raise RuntimeError(f"gunicorn did not answer within {STARTUP_SECONDS} s:\n{log.read_text()}")


def run_worker(database_url: str, settings: dict[str, str]) -> str:
    """Run the Procfile's worker until no job is due; returns what it printed."""
    env = environment(database_url, free_port(), settings)
    result = subprocess.run(
        [*procfile()["worker"], "--burst"], env=env, cwd=ROOT, check=True,
        capture_output=True, text=True, timeout=120,
    )
    return result.stdout


@contextmanager
def deployed(database_url: str, settings: dict[str, str], log: Path) -> Iterator[str]:
    """Run the release command, then serve the web command; yields the base URL."""
    port = free_port()
    env = environment(database_url, port, settings)
    commands = procfile()
    subprocess.run(commands["release"], env=env, cwd=ROOT, check=True, capture_output=True)
    with log.open("w") as output:
        process = subprocess.Popen(
            commands["web"], env=env, cwd=ROOT, stdout=output, stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        base_url = f"http://127.0.0.1:{port}"
        try:
            wait_until_up(base_url, process, log)
            yield base_url
        finally:
            os.killpg(process.pid, signal.SIGTERM)
            process.wait(timeout=30)
