"""Project connections and deployment integration actions (§5.2, §F13): recorded, in order."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from partner_api.extensions import db
from partner_api.webhooks.models import DeploymentAction, ProjectConnection
from tests.conftest import INSTALLATION_ID, upsert_body
from tests.webhooks.delivery import BASE_MS, deliver_and_handle, event


def moment(seconds: int) -> datetime:
    return datetime.fromtimestamp(BASE_MS / 1000 + seconds, UTC)


def project_event(kind: str, seconds: int = 0, **fields) -> dict:
    payload = {
        "resourceId": "res_1",
        "projectId": "prj_1",
        "project": {"id": "prj_1", "name": "shop"},
        "targets": ["production", "preview"],
        **fields,
    }
    return event(
        f"integration-resource.project-{kind}", payload, created_ms=BASE_MS + seconds * 1000
    )


def connections() -> list[ProjectConnection]:
    db.session.expire_all()
    return db.session.scalars(select(ProjectConnection)).all()


def test_connected_records_the_connection(client, installed):
    assert deliver_and_handle(client, project_event("connected")) == ["handled"]
    [connection] = connections()
    assert (connection.installation_id, connection.resource_id, connection.project_id) == (
        INSTALLATION_ID,
        "res_1",
        "prj_1",
    )
    assert connection.project_name == "shop"
    assert connection.targets == ["production", "preview"]
    assert (connection.connected_at, connection.disconnected_at) == (moment(0), None)


def test_disconnected_keeps_the_row_and_marks_when(client, installed):
    deliver_and_handle(client, project_event("connected", 0), project_event("disconnected", 60))
    [connection] = connections()
    assert (connection.connected_at, connection.disconnected_at) == (moment(0), moment(60))


def test_a_reconnection_clears_the_disconnection(client, installed):
    deliver_and_handle(
        client,
        project_event("connected", 0),
        project_event("disconnected", 60),
        project_event("connected", 120, targets=["production"]),
    )
    [connection] = connections()
    assert (connection.connected_at, connection.disconnected_at) == (moment(120), None)
    assert connection.targets == ["production"]


def test_a_late_older_connect_does_not_undo_a_disconnect(client, installed):
    deliver_and_handle(client, project_event("disconnected", 60))
    assert deliver_and_handle(client, project_event("connected", 0)) == ["stale"]
    [connection] = connections()
    assert (connection.connected_at, connection.disconnected_at) == (None, moment(60))


def test_the_project_id_may_come_only_inside_project(client, installed):
    deliver_and_handle(client, project_event("connected", projectId=None))
    assert connections()[0].project_id == "prj_1"


def action_event(kind: str, seconds: int = 0, installation_id: str = INSTALLATION_ID) -> dict:
    payload = {
        "resourceId": "res_1",
        "action": "create-branch",
        "deployment": {"id": "dpl_1"},
        "integrations": [{"installationId": installation_id}],
    }
    return event(
        f"deployment.integration.action.{kind}",
        payload,
        created_ms=BASE_MS + seconds * 1000,
        installation_id=None,
    )


def actions() -> list[DeploymentAction]:
    db.session.expire_all()
    return db.session.scalars(select(DeploymentAction)).all()


def test_a_deployment_action_is_recorded_through_its_states(client, installed):
    deliver_and_handle(client, action_event("start", 0))
    [action] = actions()
    assert (action.deployment_id, action.resource_id, action.action, action.state) == (
        "dpl_1",
        "res_1",
        "create-branch",
        "started",
    )
    deliver_and_handle(client, action_event("cancel", 30), action_event("cleanup", 60))
    [action] = actions()
    assert action.state == "cleaned_up"
    assert (action.started_at, action.cancelled_at, action.cleaned_up_at) == (
        moment(0),
        moment(30),
        moment(60),
    )


@pytest.mark.parametrize(("late", "kept"), [("start", "cancelled"), ("cancel", "cleaned_up")])
def test_a_late_earlier_action_event_does_not_undo_a_later_state(client, installed, late, kept):
    first = "cancel" if kept == "cancelled" else "cleanup"
    deliver_and_handle(client, action_event(first, 60))
    assert deliver_and_handle(client, action_event(late, 0)) == [f"kept {kept}"]
    [action] = actions()
    assert action.state == kept


def test_an_event_cannot_move_the_deployment_action_of_another_installation(
    client, vercel, installed
):
    other = "icfg_other00000000000000000001"
    assert client.put(
        f"/v1/installations/{other}", json=upsert_body(), headers=vercel.user(other)
    ).status_code == 200
    deliver_and_handle(client, action_event("start", 0, installation_id=other))

    [result] = deliver_and_handle(client, action_event("cleanup", 30))

    assert result == "malformed: the deployment action belongs to another installation"
    [action] = actions()
    assert (action.installation_id, action.state, action.cleaned_up_at) == (other, "started", None)
