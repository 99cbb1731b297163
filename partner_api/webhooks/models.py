"""What webhooks leave behind: the events themselves, project connections, deployment actions."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from partner_api.dbtypes import EncryptedJSON, UTCDateTime
from partner_api.extensions import db


class WebhookEvent(db.Model):
    """One delivered event, stored once by Vercel's event id (retries reuse the id).

    `body` is the event as delivered, encrypted: payloads name people and carry emails.
    `processed_at`/`result` are set by the `webhooks.handle` job.
    """

    __tablename__ = "webhook_events"

    id: Mapped[str] = mapped_column(String(255), primary_key=True)
    type: Mapped[str] = mapped_column(String(128))
    occurred_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    body: Mapped[dict[str, Any]] = mapped_column(EncryptedJSON())
    received_at: Mapped[datetime] = mapped_column(UTCDateTime())
    installation_id: Mapped[str | None] = mapped_column(String(128), index=True)
    processed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    result: Mapped[str | None] = mapped_column(String(255))


class ProjectConnection(db.Model):
    """A resource connected to a Vercel project (`integration-resource.project-*`)."""

    __tablename__ = "project_connections"
    __table_args__ = (UniqueConstraint("installation_id", "resource_id", "project_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    installation_id: Mapped[str] = mapped_column(ForeignKey("installations.id"), index=True)
    resource_id: Mapped[str] = mapped_column(String(128))
    project_id: Mapped[str] = mapped_column(String(128))
    project_name: Mapped[str | None] = mapped_column(Text)
    targets: Mapped[list[str]] = mapped_column(JSON, default=list)
    connected_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    disconnected_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class DeploymentAction(db.Model):
    """A deployment integration action (§F13) and how far Vercel has taken it.

    `state` is `started`, `cancelled` or `cleaned_up`; each has its own timestamp.
    """

    __tablename__ = "deployment_actions"
    __table_args__ = (UniqueConstraint("deployment_id", "resource_id", "action"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    installation_id: Mapped[str] = mapped_column(ForeignKey("installations.id"), index=True)
    deployment_id: Mapped[str] = mapped_column(String(128))
    resource_id: Mapped[str] = mapped_column(String(128))
    action: Mapped[str] = mapped_column(String(128))
    state: Mapped[str] = mapped_column(String(16))
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    cancelled_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    cleaned_up_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
