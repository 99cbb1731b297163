"""`integration-resource.project-connected|disconnected`: where a resource is used (§5.2)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from partner_api.extensions import db
from partner_api.webhooks.events import Event, MalformedEvent, handles, lookup, text
from partner_api.webhooks.models import ProjectConnection

CONNECTED = "integration-resource.project-connected"
DISCONNECTED = "integration-resource.project-disconnected"


def _targets(payload: dict[str, Any]) -> list[str] | None:
    targets = payload.get("targets")
    if targets is None:
        return None
    if not isinstance(targets, list) or not all(isinstance(target, str) for target in targets):
        raise MalformedEvent("targets must be a list of strings")
    return targets


def _connection(event: Event, resource_id: str, project_id: str) -> ProjectConnection:
    connection = db.session.scalar(
        select(ProjectConnection).where(
            ProjectConnection.installation_id == event.installation.id,
            ProjectConnection.resource_id == resource_id,
            ProjectConnection.project_id == project_id,
        )
    )
    if connection is None:
        connection = ProjectConnection(
            installation_id=event.installation.id,
            resource_id=resource_id,
            project_id=project_id,
            targets=[],
        )
        db.session.add(connection)
    return connection


@handles(CONNECTED, DISCONNECTED)
def project_connection_changed(event: Event) -> str | None:
    """Keeps the latest of connect/disconnect by event time; a late, older one is ignored."""
    payload = event.payload
    resource_id = text(payload, "resourceId")
    project_id = text(payload, "projectId", required=False) or text(payload, "project", "id")
    project_name = lookup(payload, "project", "name")
    targets = _targets(payload)
    connection = _connection(event, resource_id, project_id)
    latest = max(
        (moment for moment in (connection.connected_at, connection.disconnected_at) if moment),
        default=None,
    )
    if latest is not None and event.occurred_at < latest:
        return "stale"
    if event.type == CONNECTED:
        connection.connected_at = event.occurred_at
        connection.disconnected_at = None
    else:
        connection.disconnected_at = event.occurred_at
    if targets is not None:
        connection.targets = targets
    if isinstance(project_name, str):
        connection.project_name = project_name
    db.session.flush()
    return None
