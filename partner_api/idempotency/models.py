from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from partner_api.dbtypes import EncryptedJSON, UTCDateTime
from partner_api.extensions import db

IN_PROGRESS = "in_progress"
COMPLETED = "completed"


class IdempotencyRecord(db.Model):
    """One `Idempotency-Key` use: claimed while running, then the stored response.

    The unique constraint is what keeps a racing duplicate from running twice. The stored
    body is encrypted: a Provision response carries secrets.
    """

    __tablename__ = "idempotency_records"
    __table_args__ = (UniqueConstraint("scope", "method", "path", "key"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    scope: Mapped[str] = mapped_column(String(128))
    method: Mapped[str] = mapped_column(String(8))
    path: Mapped[str] = mapped_column(String(512))
    key: Mapped[str] = mapped_column(String(255))
    fingerprint: Mapped[str] = mapped_column(String(64))
    state: Mapped[str] = mapped_column(String(16), default=IN_PROGRESS)
    lease_until: Mapped[datetime] = mapped_column(UTCDateTime())
    response_status: Mapped[int | None] = mapped_column(Integer)
    response_body: Mapped[Any] = mapped_column(EncryptedJSON(), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
