from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Boolean, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from partner_api.dbtypes import EncryptedText, UTCDateTime
from partner_api.extensions import db


class Installation(db.Model):
    """Keyed by Vercel's installation id (`icfg_…`); soft-deleted on uninstall."""

    __tablename__ = "installations"

    id: Mapped[str] = mapped_column(String(128), primary_key=True)
    account_id: Mapped[str | None] = mapped_column(String(128), index=True)
    scopes: Mapped[list[str]] = mapped_column(JSON, default=list)
    accepted_policies: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    access_token: Mapped[str] = mapped_column(EncryptedText())
    token_type: Mapped[str] = mapped_column(String(32))
    account: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    billing_plan_id: Mapped[str | None] = mapped_column(String(128))
    notification: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    installed_by_user_id: Mapped[str | None] = mapped_column(String(128))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())
    deleted_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    delete_reason: Mapped[str | None] = mapped_column(Text)
    cascade_resource_deletion: Mapped[bool | None] = mapped_column(Boolean)
    finalized_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    @property
    def is_deleted(self) -> bool:
        return self.deleted_at is not None
