"""A setting that cannot be used stops every entry point with one line that names it: no
traceback, no value echoed."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from cryptography.fernet import Fernet

from partner_api import settings as config

ROOT = Path(__file__).resolve().parent.parent
FLASK = [sys.executable, "-m", "flask", "--app", "wsgi"]
SECRET_VALUE = "do-not-print-0123456789abcdef"
GOOD = {
    "PARTNER_API_ENV": "production",
    "INTEGRATION_CLIENT_ID": "oac_Startup0001",
    "INTEGRATION_CLIENT_SECRET": "client-secret",
    "SECRET_KEY": "session-key",
    "ENCRYPTION_KEYS": Fernet.generate_key().decode(),
    "DATABASE_URL": "postgresql://partner@127.0.0.1:1/partner",
}
BAD_SETTINGS = {
    "ENCRYPTION_KEYS": SECRET_VALUE,
    "DATABASE_URL": f"not a url {SECRET_VALUE}",
    "VERCEL_JWKS_URL": "htps://marketplace.vercel.com/.well-known/jwks",
    "VERCEL_API_URL": "api.vercel.com",
    "DATABASE_PING_AFTER_IDLE_SECONDS": "soon",
    "LOG_LEVEL": "chatty",
    "CATALOG_PATH": "/nonexistent/catalog.json",
    "PARTNER_API_ENV": "staging",
}


def run(command: list[str], settings: dict[str, str]) -> subprocess.CompletedProcess:
    env = {key: value for key, value in os.environ.items() if key not in GOOD}
    env.update({"PYTHONPATH": str(ROOT), **settings})
    return subprocess.run(
        command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=60, check=False
    )


@pytest.mark.parametrize(("name", "value"), sorted(BAD_SETTINGS.items()))
@pytest.mark.parametrize("command", [["jobs", "list"], ["db", "upgrade"]])
def test_an_unusable_setting_stops_the_command_with_one_line(name, value, command):
    result = run([*FLASK, *command], {**GOOD, name: value})

    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert result.returncode != 0
    assert len(lines) == 1, result.stderr
    assert name in lines[0]
    assert "Traceback" not in result.stderr
    assert SECRET_VALUE not in result.stderr + result.stdout


@pytest.mark.parametrize(
    "url",
    ["mysql://user@db/app", "postgresql+psycopg2://user@db/app", "sqlite+pysqlcipher:///x"],
)
def test_a_database_without_a_driver_here_is_named(url):
    assert "DATABASE_URL must name a Postgres" in " ".join(
        config.Config({"DATABASE_URL": url}).problems()
    )


@pytest.mark.parametrize("command", [["db", "upgrade"], ["jobs", "list"]])
def test_an_unreachable_database_ends_the_command_with_one_line(command):
    unreachable = f"postgresql://partner:{SECRET_VALUE}@127.0.0.1:1/partner"
    result = run([*FLASK, *command], {**GOOD, "DATABASE_URL": unreachable})

    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert result.returncode == 1
    assert lines == [
        "partner-api: the database of DATABASE_URL cannot be reached: OperationalError: "
        "connection failed: "
        'connection to server at "127.0.0.1", port 1 failed: Connection refused'
    ]
    assert SECRET_VALUE not in result.stderr + result.stdout


def test_another_uncaught_error_keeps_its_traceback():
    crash = "from partner_api import startup; startup.install_excepthook(); 1 / 0"
    result = run([sys.executable, "-c", crash], {})
    assert "Traceback" in result.stderr and "ZeroDivisionError" in result.stderr

