"""The Vercel job kinds, run by the queue against a mocked Vercel."""

from __future__ import annotations

import json
import logging
from datetime import timedelta

import pytest
import responses
from sqlalchemy import update

from partner_api.extensions import db
from partner_api.installations.models import Installation
from partner_api.jobs import enqueue
from partner_api.jobs.models import DEAD, DONE, PENDING, Job
from partner_api.jobs.queue import run_due
from partner_api.timeutil import utcnow
from partner_api.vercel.jobs import CREATE_EVENT, UPDATE_RESOURCE_SECRETS
from tests.conftest import INSTALLATION_ID

TOKEN = "vercel-access-token-1"  # what `installed` stores
SECRET_VALUE = "pg-password-do-not-print"
EVENT = {"type": "resource.updated", "productId": "acme-db", "resourceId": "res_1"}
SECRETS = [
    {"name": "PGPASSWORD", "value": SECRET_VALUE, "prefix": "ACME"},
    {"name": "PGURL", "value": "postgres://x", "environmentOverrides": {"preview": "postgres://p"}},
]


@pytest.fixture
def api(app):
    with responses.RequestsMock() as mock:
        yield mock


@pytest.fixture
def urls(app):
    installation = f"{app.config['VERCEL_API_URL']}/v1/installations/{INSTALLATION_ID}"
    return {
        "events": f"{installation}/events",
        "secrets": f"{installation}/resources/res_1/secrets",
    }


def enqueue_event(**options) -> int:
    job = enqueue(CREATE_EVENT, {"installation_id": INSTALLATION_ID, "event": EVENT}, **options)
    db.session.commit()
    return job.id


def enqueue_secrets(**options) -> int:
    payload = {
        "installation_id": INSTALLATION_ID,
        "resource_id": "res_1",
        "secrets": SECRETS,
        "partial": True,
    }
    job = enqueue(UPDATE_RESOURCE_SECRETS, payload, **options)
    db.session.commit()
    return job.id


def stored(job_id: int) -> Job:
    db.session.expire_all()
    return db.session.get(Job, job_id)


def make_due() -> None:
    db.session.execute(update(Job).where(Job.state == PENDING).values(run_at=utcnow()))
    db.session.commit()


def set_installation(**values) -> None:
    db.session.execute(update(Installation).values(**values))
    db.session.commit()


def test_an_event_job_reaches_vercel_once(installed, api, urls):
    api.post(urls["events"], status=201)
    job_id = enqueue_event()
    assert run_due() == 1
    assert run_due() == 0
    assert len(api.calls) == 1
    request = api.calls[0].request
    assert json.loads(request.body) == {"event": EVENT}
    assert request.headers["Authorization"] == f"Bearer {TOKEN}"
    job = stored(job_id)
    assert (job.state, job.attempts, job.last_error) == (DONE, 1, None)
    assert job.finished_at is not None


def test_an_installation_event_job(installed, api, urls):
    api.post(urls["events"], status=201)
    job = enqueue(
        CREATE_EVENT,
        {"installation_id": INSTALLATION_ID, "event": {"type": "installation.updated"}},
    )
    db.session.commit()
    run_due()
    assert json.loads(api.calls[0].request.body) == {"event": {"type": "installation.updated"}}
    assert stored(job.id).state == DONE


def test_a_secrets_job_puts_the_secrets(installed, api, urls):
    api.put(urls["secrets"], status=201)
    job_id = enqueue_secrets()
    run_due()
    assert len(api.calls) == 1
    assert json.loads(api.calls[0].request.body) == {"secrets": SECRETS, "partial": True}
    assert stored(job_id).state == DONE


def test_vercel_down_puts_the_job_back_with_backoff_and_a_clean_error(installed, api, urls):
    api.put(urls["secrets"], status=503, json={"error": {"code": "down", "message": "Later"}})
    job_id = enqueue_secrets()
    before = utcnow()
    assert run_due() == 1
    assert len(api.calls) == 4  # the transport's own retries, then the queue's
    job = stored(job_id)
    assert (job.state, job.attempts) == (PENDING, 1)
    assert job.run_at >= before + timedelta(seconds=1.5)
    assert "503" in job.last_error and "Later" in job.last_error
    assert TOKEN not in job.last_error
    assert SECRET_VALUE not in job.last_error
    assert run_due() == 0  # not due yet


def test_past_max_attempts_the_job_is_dead_with_the_reason(installed, api, urls):
    api.post(urls["events"], status=502)
    job_id = enqueue_event(max_attempts=2)
    run_due()
    make_due()
    run_due()
    job = stored(job_id)
    assert (job.state, job.attempts) == (DEAD, 2)
    assert "Vercel answered 502" in job.last_error
    assert job.finished_at is not None
    make_due()
    assert run_due() == 0


def test_after_recovery_the_event_is_delivered_exactly_once(installed, api, urls):
    api.post(urls["events"], status=503)
    job_id = enqueue_event()
    run_due()
    api.upsert(responses.POST, urls["events"], status=201)
    make_due()
    run_due()
    make_due()
    run_due()
    delivered = [call for call in api.calls if call.response.status_code == 201]
    assert len(delivered) == 1
    job = stored(job_id)
    assert (job.state, job.attempts, job.last_error) == (DONE, 2, None)


@pytest.mark.parametrize("status", [401, 403, 404, 410])
def test_an_uninstalled_installation_that_vercel_calls_gone_ends_the_job(
    installed, api, urls, status, caplog
):
    set_installation(deleted_at=utcnow())
    api.post(urls["events"], status=status)
    job_id = enqueue_event()
    with caplog.at_level(logging.WARNING, logger="partner_api.vercel.jobs"):
        run_due()
    job = stored(job_id)
    assert (job.state, job.attempts, job.last_error) == (DONE, 1, None)
    assert len(api.calls) == 1
    assert f"Vercel answered {status}" in caplog.text


def test_410_ends_the_job_even_for_an_installation_still_live_here(installed, api, urls):
    api.post(urls["events"], status=410)
    job_id = enqueue_event()
    run_due()
    assert stored(job_id).state == DONE


def test_a_live_installation_answered_401_is_retried(installed, api, urls):
    api.post(urls["events"], status=401)
    job_id = enqueue_event()
    run_due()
    job = stored(job_id)
    assert job.state == PENDING
    assert "401" in job.last_error


def test_a_finalized_installation_is_not_called(installed, api, urls):
    set_installation(deleted_at=utcnow(), finalized_at=utcnow())
    job_id = enqueue_event()
    run_due()  # the mock would fail any request
    assert len(api.calls) == 0
    assert stored(job_id).state == DONE


def test_an_unknown_installation_is_not_called(app, api):
    job = enqueue(CREATE_EVENT, {"installation_id": "icfg_never", "event": EVENT})
    db.session.commit()
    run_due()
    assert len(api.calls) == 0
    assert stored(job.id).state == DONE


def test_a_request_vercel_rejects_is_dead_at_once(installed, api, urls):
    api.put(
        urls["secrets"],
        status=400,
        json={"error": {"code": "invalid_secret_name", "message": "Bad secret name"}},
    )
    job_id = enqueue_secrets()
    run_due()
    job = stored(job_id)
    assert (job.state, job.attempts) == (DEAD, 1)
    assert "invalid_secret_name" in job.last_error
    assert SECRET_VALUE not in job.last_error
    assert len(api.calls) == 1


@pytest.mark.parametrize(
    ("kind", "payload", "reason"),
    [
        (CREATE_EVENT, {"installation_id": INSTALLATION_ID, "event": {"type": "x"}}, "unknown"),
        (CREATE_EVENT, {"event": EVENT}, "installation_id"),
        (
            UPDATE_RESOURCE_SECRETS,
            {
                "installation_id": INSTALLATION_ID,
                "resource_id": "res_1",
                "secrets": [{"name": "A", "value": ""}],
            },
            "value",
        ),
    ],
)
def test_a_malformed_payload_is_dead_at_once(installed, api, kind, payload, reason):
    job = enqueue(kind, payload)
    db.session.commit()
    run_due()
    job = stored(job.id)
    assert (job.state, job.attempts) == (DEAD, 1)
    assert "malformed" in job.last_error and reason in job.last_error
    assert len(api.calls) == 0
