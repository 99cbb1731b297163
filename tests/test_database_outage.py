"""A request that loses the database answers 503 with Retry-After, and leaves no trace.

The database is cut off for real: the app reaches Postgres through a proxy that the test
cuts in the middle of a call (tests/tcpproxy.py). The answer is the envelope, logged as one
warning; nothing the call wrote is kept; its `Idempotency-Key` is usable again as soon as
the database is back; and the calls after the outage succeed.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable

import pytest
from sqlalchemy import select

from partner_api.extensions import db
from partner_api.idempotency.models import IdempotencyRecord
from partner_api.installations import service as installations
from tests.conftest import INSTALLATION_ID, upsert_body
from tests.dbstate import snapshot
from tests.tcpproxy import app_behind_proxy

pytestmark = pytest.mark.postgres

URL = f"/v1/installations/{INSTALLATION_ID}"


@pytest.fixture
def behind_proxy(app_settings, migrated):
    with app_behind_proxy({**app_settings, "IDEMPOTENCY_LEASE_SECONDS": 300}) as pair:
        yield pair


def cut_after_writing(monkeypatch, proxy) -> None:
    """Upsert Installation writes its rows, then the database goes away before the commit."""
    original: Callable = installations.upsert

    def upsert_then_lose_the_database(*args, **kwargs):
        result = original(*args, **kwargs)
        db.session.flush()
        proxy.cut()
        return result

    monkeypatch.setattr(installations, "upsert", upsert_then_lose_the_database)


def warnings_and_worse(caplog) -> list[logging.LogRecord]:
    return [record for record in caplog.records if record.levelno >= logging.WARNING]


def wait_for(condition: Callable[[], bool], seconds: float = 30) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "the condition did not hold in time"
        time.sleep(0.05)


def test_a_call_that_loses_the_database_is_503_with_retry_after_and_writes_nothing(
    behind_proxy, vercel, monkeypatch, caplog
):
    app, proxy = behind_proxy
    client = app.test_client()
    before = snapshot()
    cut_after_writing(monkeypatch, proxy)

    with caplog.at_level(logging.INFO):
        response = client.put(URL, json=upsert_body(), headers=vercel.user())

    assert response.status_code == 503, response.get_data(as_text=True)
    assert response.get_json()["error"]["code"] == "database_unavailable"
    assert int(response.headers["Retry-After"]) > 0
    (logged,) = warnings_and_worse(caplog)
    assert "database unreachable" in logged.getMessage()
    assert logged.exc_info is None
    assert "Traceback" not in caplog.text
    proxy.restore()
    assert snapshot() == before
    monkeypatch.undo()
    assert client.put(URL, json=upsert_body(), headers=vercel.user()).status_code == 200


def test_a_call_while_the_database_is_down_is_503(behind_proxy, vercel, caplog):
    app, proxy = behind_proxy
    proxy.cut()
    with caplog.at_level(logging.INFO):
        response = app.test_client().put(URL, json=upsert_body(), headers=vercel.user())
    assert response.status_code == 503
    assert response.headers["Retry-After"]
    assert len(warnings_and_worse(caplog)) == 1
    assert proxy.refused > 0  # it really tried to connect


def test_a_key_whose_call_lost_the_database_is_usable_once_the_database_is_back(
    behind_proxy, vercel, monkeypatch
):
    """The claim could not be released during the outage; its release is retried.

    The lease is five minutes here: the key is free long before it would have run out.
    """
    app, proxy = behind_proxy
    client = app.test_client()
    headers = {**vercel.user(), "Idempotency-Key": "install-in-outage"}
    cut_after_writing(monkeypatch, proxy)
    assert client.put(URL, json=upsert_body(), headers=headers).status_code == 503
    monkeypatch.undo()
    proxy.restore()

    wait_for(lambda: db.session.scalars(select(IdempotencyRecord)).all() == [])
    retried = client.put(URL, json=upsert_body(), headers=headers)

    assert retried.status_code == 200
    assert "Idempotent-Replayed" not in retried.headers
