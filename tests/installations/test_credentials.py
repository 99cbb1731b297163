"""Access-token rotation (§2.2, §7.27): V18, store the new token, then V19 revoke the old."""

from __future__ import annotations

import json
import logging

import pytest
import requests
import responses
from sqlalchemy import select, text
from sqlalchemy.orm import Session

from partner_api.extensions import db
from partner_api.installations.credential_models import SupersededCredential
from partner_api.installations.credentials import REVOKE_CREDENTIAL
from partner_api.installations.models import Installation
from partner_api.jobs.models import DEAD, DONE, PENDING
from tests.billing.invoicing_support import jobs, run_jobs, stored_installation
from tests.conftest import CLIENT_ID, CLIENT_SECRET, INSTALLATION_ID
from tests.dbstate import snapshot

OLD = "vercel-access-token-1"  # what `installed` stored
NEW = "vercel-access-token-2"
ROTATED = {"access_token": NEW, "token_type": "oauth2-token", "expires_in": 3600, "scope": "s"}
INTEGRATION = {"client_secret": CLIENT_SECRET, "client_id": CLIENT_ID}


@pytest.fixture
def api(app):
    with responses.RequestsMock() as mock:
        yield mock


@pytest.fixture
def urls(app):
    base = f"{app.config['VERCEL_API_URL']}/v1/installations/{INSTALLATION_ID}/credentials"
    return {"rotate": f"{base}/rotate", "revoke": f"{base}/revoke"}


def rotate(runner):
    return runner.invoke(args=["installations", "rotate-token", INSTALLATION_ID])


def committed_token() -> str:
    """The token as another connection sees it: only what was committed."""
    with Session(db.engine) as other:
        return other.get(Installation, INSTALLATION_ID).access_token


def superseded() -> list[SupersededCredential]:
    db.session.expire_all()
    return list(db.session.scalars(select(SupersededCredential)))


def raw_superseded_tokens() -> list[str | None]:
    query = text("SELECT token FROM installation_credentials")
    with db.engine.connect() as connection:
        return list(connection.execute(query).scalars())


def test_the_new_token_is_committed_before_the_old_one_is_revoked(runner, installed, api, urls):
    seen_at_revoke = {}

    def revoke(request):
        seen_at_revoke["stored"] = committed_token()
        return 200, {}, json.dumps({"revoked": True})

    api.post(urls["rotate"], json=ROTATED)
    api.add_callback(responses.POST, urls["revoke"], callback=revoke)
    result = rotate(runner)
    assert result.exit_code == 0, result.output
    assert "the previous one is revoked" in result.output

    rotate_call, revoke_call = api.calls
    assert rotate_call.request.headers["Authorization"] == f"Bearer {OLD}"
    assert json.loads(rotate_call.request.body) == INTEGRATION
    assert revoke_call.request.headers["Authorization"] == f"Bearer {NEW}"
    assert json.loads(revoke_call.request.body) == {"token": OLD} | INTEGRATION
    assert seen_at_revoke["stored"] == NEW

    installation = stored_installation()
    assert (installation.access_token, installation.token_type) == (NEW, "oauth2-token")
    [old] = superseded()
    assert old.revoked_at is not None
    assert old.token is None  # a retired token is not kept
    assert jobs(REVOKE_CREDENTIAL) == []


@pytest.mark.parametrize(
    "failure",
    [
        {"body": requests.ConnectionError("refused")},
        {"status": 403, "json": {"error": {"code": "forbidden", "message": "Not yet"}}},
    ],
)
def test_a_failed_revoke_keeps_the_new_token_and_a_job_retries(
    runner, installed, api, urls, failure
):
    api.post(urls["rotate"], json=ROTATED)
    api.post(urls["revoke"], **failure)
    result = rotate(runner)
    assert result.exit_code == 0, result.output
    assert "revoking the previous one failed" in result.output
    assert OLD not in result.output and NEW not in result.output

    assert stored_installation().access_token == NEW
    [old] = superseded()
    assert (old.token, old.revoked_at) == (OLD, None)
    assert OLD not in raw_superseded_tokens()[0]  # kept encrypted
    [job] = jobs(REVOKE_CREDENTIAL)
    assert job.payload == {"credential": old.id}

    api.replace(responses.POST, urls["revoke"], json={"revoked": False, "already_revoked": True})
    run_jobs(REVOKE_CREDENTIAL)
    assert jobs(REVOKE_CREDENTIAL)[0].state == DONE
    [old] = superseded()
    assert (old.token, old.revoked_at is not None) == (None, True)
    assert api.calls[-1].request.headers["Authorization"] == f"Bearer {NEW}"


def test_a_failed_rotation_keeps_the_token_and_changes_nothing(runner, installed, api, urls):
    api.post(urls["rotate"], status=409, json={"error": {"code": "conflict", "message": "Busy"}})
    before = snapshot()
    result = rotate(runner)
    assert result.exit_code == 1
    assert "Vercel did not rotate the token" in result.output and "409" in result.output
    assert OLD not in result.output
    assert snapshot() == before


def test_finalized_or_unknown_installations_have_no_token_to_rotate(runner, installed, api):
    installation = stored_installation()
    installation.deleted_at = installation.finalized_at = installation.created_at
    db.session.commit()
    assert "unknown or finalized" in rotate(runner).output
    result = runner.invoke(args=["installations", "rotate-token", "icfg_unknown"])
    assert result.exit_code == 1
    assert len(api.calls) == 0


def test_the_revoke_job_gives_up_on_a_refusal_and_forgets_finalized_tokens(
    runner, installed, api, urls
):
    api.post(urls["rotate"], json=ROTATED)
    api.post(urls["revoke"], status=503)
    rotate(runner)
    api.replace(
        responses.POST,
        urls["revoke"],
        status=400,
        json={"error": {"code": "last_credential", "message": "Cannot revoke"}},
    )
    run_jobs(REVOKE_CREDENTIAL)
    [job] = jobs(REVOKE_CREDENTIAL)
    assert job.state == DEAD
    assert "Cannot revoke" in job.last_error and OLD not in job.last_error

    # Finalization retires every token: the job then only erases ours.
    installation = stored_installation()
    installation.deleted_at = installation.finalized_at = installation.created_at
    db.session.commit()
    calls = len(api.calls)
    job.state, job.attempts = "pending", 0
    db.session.commit()
    run_jobs(REVOKE_CREDENTIAL)
    assert len(api.calls) == calls
    [old] = superseded()
    assert (old.token, old.revoked_at) == (None, installation.finalized_at)


def test_the_revoke_job_retries_a_410_while_live_and_forgets_the_token_once_uninstalled(
    runner, installed, api, urls
):
    api.post(urls["rotate"], json=ROTATED)
    api.post(urls["revoke"], status=503)
    rotate(runner)
    api.replace(responses.POST, urls["revoke"], status=410)
    run_jobs(REVOKE_CREDENTIAL)
    [job] = jobs(REVOKE_CREDENTIAL)
    assert job.state == PENDING
    [old] = superseded()
    assert old.revoked_at is None and old.token is not None

    installation = stored_installation()
    installation.deleted_at = installation.created_at
    db.session.commit()
    api.replace(responses.POST, urls["revoke"], status=404)
    run_jobs(REVOKE_CREDENTIAL)
    [job] = jobs(REVOKE_CREDENTIAL)
    assert job.state == DONE
    [old] = superseded()
    assert old.revoked_at is not None and old.token is None


def test_no_token_reaches_the_logs(runner, installed, api, urls, caplog):
    caplog.set_level(logging.DEBUG)
    api.post(urls["rotate"], json=ROTATED)
    api.post(urls["revoke"], status=503)
    rotate(runner)
    assert OLD not in caplog.text and NEW not in caplog.text
