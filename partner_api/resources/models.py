"""Resources, their secret versions and their plan history."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, Enum, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from partner_api.dbtypes import EncryptedJSON, UTCDateTime
from partner_api.extensions import db


class ResourceStatus(StrEnum):
    """§3.2.3."""

    READY = "ready"
    PENDING = "pending"
    ONBOARDING = "onboarding"
    SUSPENDED = "suspended"
    RESUMED = "resumed"
    UNINSTALLED = "uninstalled"
    ERROR = "error"


class Resource(db.Model):
    """One provisioned resource; soft-deleted (status `uninstalled`) when removed."""

    __tablename__ = "resources"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    installation_id: Mapped[str] = mapped_column(ForeignKey("installations.id"), index=True)
    product_slug: Mapped[str] = mapped_column(String(64))
    name: Mapped[str] = mapped_column(Text)
    # `metadata` is taken by SQLAlchemy's declarative base; the column keeps the API's name.
    resource_metadata: Mapped[dict[str, Any]] = mapped_column("metadata", JSON)
    status: Mapped[ResourceStatus] = mapped_column(
        Enum(
            ResourceStatus,
            name="resource_status",
            native_enum=False,
            create_constraint=True,
            length=16,
            values_callable=lambda statuses: [status.value for status in statuses],
        )
    )
    billing_plan_id: Mapped[str] = mapped_column(String(128))
    notification: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    protocol_settings: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    external_id: Mapped[str | None] = mapped_column(String(255))
    # The provider's own bookkeeping; may hold credentials, hence encrypted.
    provider_state: Mapped[dict[str, Any]] = mapped_column(EncryptedJSON())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())
    deleted_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    @property
    def is_deleted(self) -> bool:
        return self.deleted_at is not None


class SecretVersion(db.Model):
    """One generation of a resource's secrets (version 1 from provisioning, +1 per rotation).

    `secrets` is the complete set in the API's shape; `credentials_state` is what the
    provider needs to revoke exactly this generation once it `expires_at`.
    """

    __tablename__ = "resource_secret_versions"
    __table_args__ = (UniqueConstraint("resource_id", "version"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    resource_id: Mapped[str] = mapped_column(ForeignKey("resources.id"), index=True)
    version: Mapped[int] = mapped_column(Integer)
    secrets: Mapped[list[dict[str, Any]]] = mapped_column(EncryptedJSON())
    credentials_state: Mapped[dict[str, Any]] = mapped_column(EncryptedJSON())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class ResourcePlanChange(db.Model):
    """The plan a resource is on from `effective_at` on (one row at provisioning, one per change).

    Billing needs it: a plan may only be invoiced for periods in which it was active.
    """

    __tablename__ = "resource_plan_changes"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    resource_id: Mapped[str] = mapped_column(ForeignKey("resources.id"), index=True)
    billing_plan_id: Mapped[str] = mapped_column(String(128))
    previous_plan_id: Mapped[str | None] = mapped_column(String(128))
    effective_at: Mapped[datetime] = mapped_column(UTCDateTime())
