"""Transfer claims and the installations that verified them."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import JSON, Enum, ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from partner_api.dbtypes import UTCDateTime
from partner_api.extensions import db


class ClaimStatus(StrEnum):
    UNCLAIMED = "unclaimed"  # created, no target has verified it yet
    VERIFIED = "verified"  # at least one target has verified it
    COMPLETE = "complete"  # accepted: the resources belong to `claimed_by_installation_id`


class TransferClaim(db.Model):
    """An offer of `resource_ids` of the source installation, usable until `expires_at`."""

    __tablename__ = "transfer_claims"

    provider_claim_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    source_installation_id: Mapped[str] = mapped_column(ForeignKey("installations.id"), index=True)
    resource_ids: Mapped[list[str]] = mapped_column(JSON)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())
    status: Mapped[ClaimStatus] = mapped_column(
        Enum(
            ClaimStatus,
            name="transfer_claim_status",
            native_enum=False,
            create_constraint=True,
            length=16,
            values_callable=lambda statuses: [status.value for status in statuses],
        )
    )
    claimed_by_installation_id: Mapped[str | None] = mapped_column(ForeignKey("installations.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())
    completed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    def expired(self, now: datetime) -> bool:
        return self.expires_at <= now


class VerifiedTarget(db.Model):
    """A target installation that verified the claim: only those may accept it."""

    __tablename__ = "transfer_claim_targets"
    __table_args__ = (UniqueConstraint("claim_id", "installation_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    claim_id: Mapped[str] = mapped_column(
        ForeignKey("transfer_claims.provider_claim_id"), index=True
    )
    installation_id: Mapped[str] = mapped_column(ForeignKey("installations.id"))
    verified_at: Mapped[datetime] = mapped_column(UTCDateTime())
