"""Vercel down while resources are provisioned, rotated and billed: nothing is lost.

The worker runs against a fake Vercel API that answers 503 until it "recovers". Every call
the state changes asked for must then arrive exactly once, and a job that runs out of
attempts must land in the dead-letter state with the reason.
"""

from __future__ import annotations

import json
import re

import pytest
import responses
from sqlalchemy import select, update

from partner_api.extensions import db
from partner_api.jobs.models import DEAD, DONE, PENDING, Job
from partner_api.jobs.queue import run_due
from partner_api.jobs.schedule import schedule_due
from partner_api.timeutil import utcnow
from tests.conftest import INSTALLATION_ID

RESOURCES = f"/v1/installations/{INSTALLATION_ID}/resources"


class FakeVercel:
    """Answers 503 while `down`; records every call it accepts."""

    def __init__(self, mock: responses.RequestsMock, base_url: str) -> None:
        self.down = True
        self.accepted: list[tuple[str, str]] = []
        pattern = re.compile(re.escape(base_url) + r"/.*")
        for method in ("GET", "POST", "PUT", "PATCH"):
            mock.add_callback(method, pattern, callback=self.answer)

    def answer(self, request):
        if self.down:
            return 503, {}, json.dumps({"error": {"code": "unavailable", "message": "down"}})
        path = request.path_url.split("?")[0]
        self.accepted.append((request.method, path))
        return (201 if request.method in ("POST", "PUT") else 200), {}, ""

    def calls_to(self, suffix: str) -> int:
        return sum(1 for _, path in self.accepted if path.endswith(suffix))


@pytest.fixture
def vercel_api(app):
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        yield FakeVercel(mock, app.config["VERCEL_API_URL"])


def time_passes() -> None:
    """Make every waiting job due now, as if its backoff had elapsed."""
    db.session.execute(update(Job).where(Job.state == PENDING).values(run_at=utcnow()))
    db.session.commit()


def work(rounds: int = 3) -> None:
    for _ in range(rounds):
        time_passes()
        run_due()


def jobs(kind: str) -> list[Job]:
    db.session.expire_all()
    return list(db.session.scalars(select(Job).where(Job.kind == kind)))


def test_calls_wait_out_the_outage_and_arrive_once(client, vercel, installed, vercel_api):
    provisioned = client.post(RESOURCES, headers=vercel.user(), json={
        "productId": "demo", "name": "store", "billingPlanId": "demo-pro",
        "metadata": {"region": "iad1", "provisioning": "async"},
    })
    resource_id = provisioned.get_json()["id"]
    rotated = client.post(f"{RESOURCES}/{resource_id}/secrets/rotate", headers=vercel.user(),
                          json={"delayOldSecretsExpirationHours": 1})
    assert rotated.status_code == 202
    schedule_due()
    db.session.commit()

    work()
    assert vercel_api.accepted == []
    waiting = jobs("vercel.create_event") + jobs("vercel.update_resource_secrets")
    assert waiting and all(job.state == PENDING and job.attempts >= 1 for job in waiting)
    assert all("503" in (job.last_error or "") for job in waiting)

    vercel_api.down = False
    work()
    assert vercel_api.calls_to("/events") == 1
    assert vercel_api.calls_to(f"/resources/{resource_id}/secrets") == 1
    assert vercel_api.calls_to(f"/installations/{INSTALLATION_ID}/billing") == 1
    work()  # nothing is sent twice once it went through
    assert len(vercel_api.accepted) == 3
    assert {job.state for job in jobs("vercel.create_event")} == {DONE}


def test_a_job_out_of_attempts_is_dead_with_its_reason(client, vercel, installed, vercel_api):
    provisioned = client.post(RESOURCES, headers=vercel.user(), json={
        "productId": "demo", "name": "store", "billingPlanId": "demo-free",
        "metadata": {"region": "iad1", "provisioning": "async"},
    })
    assert provisioned.status_code == 200
    work(1)  # provisioning finishes and asks for the event
    db.session.execute(update(Job).where(Job.kind == "vercel.create_event")
                       .values(max_attempts=2))
    db.session.commit()
    work(3)
    [event] = jobs("vercel.create_event")
    assert event.state == DEAD
    assert "503" in event.last_error
    vercel_api.down = False
    work()
    assert vercel_api.accepted == []  # dead jobs wait for `flask jobs retry`
