"""Access tokens an installation used before a rotation (§2.2, §7.27)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from partner_api.dbtypes import EncryptedText, UTCDateTime
from partner_api.extensions import db


class SupersededCredential(db.Model):
    """A token replaced by a rotation; kept encrypted until Vercel has retired it.

    The live token stays on the installation. `token` is erased once `revoked_at` is set:
    a retired token is of no use to anyone.
    """

    __tablename__ = "installation_credentials"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    installation_id: Mapped[str] = mapped_column(ForeignKey("installations.id"), index=True)
    token: Mapped[str | None] = mapped_column(EncryptedText())
    token_type: Mapped[str] = mapped_column(String(32))
    superseded_at: Mapped[datetime] = mapped_column(UTCDateTime())
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
