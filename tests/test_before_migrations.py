"""Processes started before the release step migrated the database (a Procfile runner starts
`web` and `worker` together): the worker waits for the schema's head with one line, then runs
jobs, and `/readyz` is not ready until the head; neither touches a table that is not there yet."""

from __future__ import annotations

import logging
from contextlib import contextmanager

import pytest
from flask_migrate import upgrade

from partner_api import create_app
from partner_api.extensions import db
from partner_api.jobs.worker import SCHEMA_POLL_INTERVAL, Worker
from tests.databases import temporary_postgres_database


@contextmanager
def unmigrated_database_url(app_settings, tmp_path):
    server_url = app_settings["SQLALCHEMY_DATABASE_URI"]
    if server_url.startswith("sqlite"):
        yield f"sqlite:///{tmp_path / 'unmigrated.sqlite3'}"
    else:
        with temporary_postgres_database(server_url) as url:
            yield url


@pytest.fixture
def unmigrated_app(app_settings, tmp_path):
    with unmigrated_database_url(app_settings, tmp_path) as url:
        app = create_app({**app_settings, "SQLALCHEMY_DATABASE_URI": url})
        with app.app_context():
            yield app
            db.session.remove()
            db.engine.dispose()


class Recorder(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.INFO)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


@pytest.fixture
def worker_log():
    """The worker's own records: the migration's logging set-up (alembic.ini) replaces the
    root's handlers and level, so the test listens on the worker's logger itself."""
    logger, recorder = logging.getLogger("partner_api.jobs.worker"), Recorder()
    level = logger.level
    logger.addHandler(recorder)
    logger.setLevel(logging.INFO)
    yield recorder.records
    logger.removeHandler(recorder)
    logger.setLevel(level)


def test_the_worker_waits_for_the_migrations_then_runs(unmigrated_app, worker_log):
    slept: list[float] = []
    worker = Worker(sleep=slept.append)

    assert [worker.round(), worker.round(), worker.round()] == [None, None, None]
    upgrade()
    assert worker.round() is not None  # it ran (the periodic jobs it scheduled)

    assert slept == [SCHEMA_POLL_INTERVAL] * 3
    said = [(record.levelname, record.getMessage()) for record in worker_log]
    assert said == [
        (
            "WARNING",
            "waiting for the database schema to reach the migrations' head "
            "(the release step: partner-api migrate)",
        ),
        ("INFO", "the database schema is at the migrations' head: running jobs"),
    ]


def test_readyz_is_not_ready_until_the_schema_is_at_head(unmigrated_app):
    client = unmigrated_app.test_client()

    before = client.get("/readyz")
    upgrade()
    after = client.get("/readyz")

    assert (before.status_code, before.get_json()) == (
        503,
        {"status": "unavailable", "database": "not migrated"},
    )
    assert (after.status_code, after.get_json()) == (
        200,
        {"status": "ok", "database": "ok", "signing_keys": "ok"},
    )
