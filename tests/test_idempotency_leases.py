"""A claim's short lease is renewed while its request runs, and only then (leases.py)."""

from __future__ import annotations

import threading
from collections.abc import Callable

import pytest
from sqlalchemy import select

from partner_api.extensions import db
from partner_api.idempotency.models import IdempotencyRecord
from partner_api.installations import service as installations
from tests.conftest import INSTALLATION_ID, running_app, upsert_body
from tests.test_database_outage import wait_for

URL = f"/v1/installations/{INSTALLATION_ID}"
LEASE_SECONDS = 0.6


@pytest.fixture
def short_lease_app(app_settings, migrated):
    settings = {**app_settings, "IDEMPOTENCY_LEASE_SECONDS": LEASE_SECONDS}
    with running_app(settings) as app:
        app.config["IDEMPOTENCY_WAIT_SECONDS"] = 0.05
        yield app


def lease_end():
    db.session.expire_all()
    return db.session.scalars(select(IdempotencyRecord.lease_until)).one()


def test_a_claim_outlives_its_first_lease_while_its_request_runs(
    short_lease_app, vercel, monkeypatch
):
    app = short_lease_app
    original: Callable = installations.upsert
    running, finish = threading.Event(), threading.Event()

    def slow_upsert(*args, **kwargs):
        running.set()
        finish.wait(60)
        return original(*args, **kwargs)

    monkeypatch.setattr(installations, "upsert", slow_upsert)
    headers = {**vercel.user(), "Idempotency-Key": "install-slow"}
    answers = []

    def first_call() -> None:
        with app.app_context():
            answers.append(app.test_client().put(URL, json=upsert_body(), headers=headers))

    thread = threading.Thread(target=first_call)
    thread.start()
    try:
        assert running.wait(30)
        first_end = lease_end()
        wait_for(lambda: (lease_end() - first_end).total_seconds() > LEASE_SECONDS)
        duplicate = app.test_client().put(URL, json=upsert_body(), headers=headers)
    finally:
        finish.set()
        thread.join(60)

    assert duplicate.status_code == 409  # still running: not taken over, not run twice
    assert duplicate.get_json()["error"]["code"] == "request_in_progress"
    assert [answer.status_code for answer in answers] == [200]
