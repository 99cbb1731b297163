"""`partner-api` (and `python -m partner_api`): migrate, serve, worker, check — and one line
naming a setting that cannot be used, before gunicorn parses it."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from partner_api import cli, serving

ROOT = Path(__file__).resolve().parent.parent


def partner_api(*arguments: str, cwd: Path, **settings: str) -> subprocess.CompletedProcess:
    env = {key: value for key, value in os.environ.items() if not key.startswith("PARTNER_API")}
    env.update(PYTHONPATH=str(ROOT), **settings)
    return subprocess.run(
        [sys.executable, "-m", "partner_api", *arguments],
        cwd=cwd, env=env, capture_output=True, text=True, timeout=120, check=False,
    )


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("WEB_CONCURRENCY", "two"),
        ("WEB_CONCURRENCY", "0"),
        ("GUNICORN_THREADS", "-4"),
        ("GUNICORN_TIMEOUT", "30s"),
        ("GUNICORN_MAX_REQUESTS", "1e6"),
        ("PORT", "99999"),
    ],
)
def test_serve_refuses_an_unusable_size_with_one_line(tmp_path, name, value):
    result = partner_api("serve", cwd=tmp_path, **{name: value})

    assert result.returncode == 1
    [line] = result.stderr.strip().splitlines()
    assert line == f"partner-api cannot start: {serving.problems({name: value})[0]}"
    assert line.startswith(f"partner-api cannot start: {name} must be a whole number")
    assert "Traceback" not in result.stderr


def test_the_sizes_default_and_read_from_the_environment():
    assert serving.read({}) == {
        "PORT": 8000,
        "WEB_CONCURRENCY": 2,
        "GUNICORN_THREADS": 4,
        "GUNICORN_TIMEOUT": 30,
        "GUNICORN_MAX_REQUESTS": 50000,
    }
    assert serving.read({"PORT": "5000", "WEB_CONCURRENCY": " 3 "})["WEB_CONCURRENCY"] == 3
    assert serving.problems({"PORT": "5000", "GUNICORN_MAX_REQUESTS": "0"}) == []


def test_migrate_then_worker_run_from_an_empty_directory(tmp_path):
    settings = {
        "PARTNER_API_ENV": "production",
        "INTEGRATION_CLIENT_ID": "oac_Cli0001",
        "INTEGRATION_CLIENT_SECRET": "cli-client-secret",
        "SECRET_KEY": "cli-session-key",
        "ENCRYPTION_KEYS": "cGFydG5lci1hcGktdGVzdC1rZXktMzItYnl0ZXMtb2s=",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'cli.sqlite3'}",
        "ALLOW_SQLITE_IN_PRODUCTION": "1",
        "VERCEL_API_URL": "http://127.0.0.1:9",
    }

    migrated = partner_api("migrate", cwd=tmp_path, **settings)
    worked = partner_api("worker", "--burst", cwd=tmp_path, **settings)

    assert migrated.returncode == 0, migrated.stderr
    assert "Running upgrade" in migrated.stderr
    assert worked.returncode == 0, worked.stderr
    assert worked.stdout.startswith("ran ")


def test_check_is_a_command_of_the_same_program():
    args = cli.parser().parse_args(["check", "http://127.0.0.1:8000", "--only", "auth"])
    assert (args.command, args.base_url, args.only) == ("check", "http://127.0.0.1:8000", ["auth"])


def test_the_program_lists_its_commands(tmp_path):
    result = partner_api("--help", cwd=tmp_path)
    assert result.returncode == 0
    for command in ("migrate", "serve", "worker", "check"):
        assert command in result.stdout
