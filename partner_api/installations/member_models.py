"""Members of an installation's Vercel team, as tokens and webhooks report them."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from partner_api.dbtypes import UTCDateTime
from partner_api.extensions import db

ADMIN = "ADMIN"
USER = "USER"
NONE = "NONE"
ROLES = (ADMIN, USER, NONE)


class Member(db.Model):
    """One Vercel user of one installation; role `NONE` means removed (the row stays).

    `updated_at` is the time of the information (a webhook's `createdAt`), not of the
    write, so a late, older report cannot overwrite a newer one.
    """

    __tablename__ = "installation_members"
    __table_args__ = (UniqueConstraint("installation_id", "user_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    installation_id: Mapped[str] = mapped_column(ForeignKey("installations.id"), index=True)
    user_id: Mapped[str] = mapped_column(String(128))
    role: Mapped[str] = mapped_column(String(8))
    email: Mapped[str | None] = mapped_column(String(320))
    global_user_id: Mapped[str | None] = mapped_column(String(128))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())
