"""The `webhooks.handle` job (§5.1, §7.28): routing, unknown types and installations, retries."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from partner_api.extensions import db
from partner_api.installations.member_models import Member
from partner_api.installations.models import Installation
from partner_api.jobs.models import DONE, PENDING, Job
from partner_api.jobs.queue import run_due
from partner_api.timeutil import utcnow
from partner_api.webhooks import events
from partner_api.webhooks.dispatch import handle
from partner_api.webhooks.models import WebhookEvent
from tests.conftest import INSTALLATION_ID
from tests.webhooks.delivery import deliver, deliver_and_handle, event

OTHER_INSTALLATION = "icfg_someone_else_0000000001"


def member_changed(payload_routing: dict) -> dict:
    payload = {"memberId": "user_7", "role": "USER", **payload_routing}
    return event("marketplace.member.changed", payload, installation_id=None)


def stored(event_id: str) -> WebhookEvent:
    db.session.expire_all()
    return db.session.get(WebhookEvent, event_id)


@pytest.mark.parametrize("event_type", ["domain.created", "deployment.created", "x.new.thing"])
def test_an_unhandled_type_is_acknowledged_and_marked_ignored(client, installed, event_type):
    document = event(event_type, {"deployment": {"id": "dpl_1"}})
    assert deliver_and_handle(client, document) == ["ignored"]
    assert stored(document["id"]).processed_at is not None


def test_an_event_for_an_unknown_installation_is_acknowledged(client):
    document = member_changed({"installationId": OTHER_INSTALLATION})
    assert deliver_and_handle(client, document) == ["unknown installation"]
    assert stored(document["id"]).processed_at is not None
    assert db.session.scalars(select(Member)).all() == []


def test_an_event_naming_no_installation_is_acknowledged(client, installed):
    assert deliver_and_handle(client, member_changed({})) == ["unknown installation"]


@pytest.mark.parametrize(
    "routing",
    [
        {"installationId": INSTALLATION_ID},
        {"configuration": {"id": INSTALLATION_ID}},
        {
            "integrations": [
                {"installationId": OTHER_INSTALLATION},
                {"installationId": INSTALLATION_ID},
            ]
        },
        {"installationIds": [OTHER_INSTALLATION, INSTALLATION_ID]},
    ],
    ids=["installationId", "configuration.id", "integrations[]", "installationIds[]"],
)
def test_the_installation_is_found_wherever_the_payload_names_it(client, installed, routing):
    document = member_changed(routing)
    assert deliver_and_handle(client, document) == ["handled"]
    assert stored(document["id"]).installation_id == INSTALLATION_ID
    [member] = db.session.scalars(select(Member)).all()
    assert member.installation_id == INSTALLATION_ID


def test_a_failing_handler_is_retried_and_the_event_stays_unprocessed(
    client, installed, monkeypatch
):
    def broken(event):
        event.installation.account_id = "half-done"
        db.session.flush()
        raise RuntimeError("database hiccup")

    monkeypatch.setitem(events._handlers, "marketplace.member.changed", broken)
    document = member_changed({"installationId": INSTALLATION_ID})
    assert deliver_and_handle(client, document) == [None]
    [job] = db.session.scalars(select(Job)).all()
    assert (job.state, job.attempts) == (PENDING, 1)
    assert "database hiccup" in job.last_error
    assert stored(document["id"]).processed_at is None
    assert db.session.get(Installation, INSTALLATION_ID).account_id != "half-done"


def test_a_malformed_event_keeps_none_of_its_handlers_changes_and_is_recorded(
    client, installed, monkeypatch
):
    def half_done_then_malformed(event):
        event.installation.account_id = "half-done"
        db.session.add(
            Member(
                installation_id=event.installation.id,
                user_id="user_9",
                role="USER",
                updated_at=utcnow(),
            )
        )
        db.session.flush()
        raise events.MalformedEvent("role must be one of ADMIN, USER")

    monkeypatch.setitem(events._handlers, "marketplace.member.changed", half_done_then_malformed)
    document = member_changed({"installationId": INSTALLATION_ID})
    assert deliver_and_handle(client, document) == ["malformed: role must be one of ADMIN, USER"]
    event_row = stored(document["id"])
    assert event_row.processed_at is not None
    assert event_row.installation_id == INSTALLATION_ID
    [job] = db.session.scalars(select(Job)).all()
    assert job.state == DONE
    assert db.session.get(Installation, INSTALLATION_ID).account_id != "half-done"
    assert db.session.scalars(select(Member)).all() == []


def test_a_handled_event_is_not_handled_again(client, installed):
    document = member_changed({"installationId": INSTALLATION_ID})
    deliver_and_handle(client, document)
    processed_at = stored(document["id"]).processed_at
    db.session.execute(db.delete(Member))
    handle({"event_id": document["id"]})
    db.session.commit()
    assert stored(document["id"]).processed_at == processed_at
    assert db.session.scalars(select(Member)).all() == []


def test_the_job_of_a_vanished_event_finishes_quietly(client):
    document = event("domain.created")
    deliver(client, document)
    db.session.execute(db.delete(WebhookEvent))
    db.session.commit()
    run_due()
    [job] = db.session.scalars(select(Job)).all()
    assert job.state == DONE
