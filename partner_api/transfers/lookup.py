"""What the request guard needs to know about a claim (it binds verify/accept tokens to it)."""

from __future__ import annotations

from sqlalchemy import select

from partner_api.extensions import db
from partner_api.transfers.models import TransferClaim


def source_installation(provider_claim_id: str) -> str | None:
    """The installation that offered the claim, if the claim exists."""
    return db.session.scalar(
        select(TransferClaim.source_installation_id).where(
            TransferClaim.provider_claim_id == provider_claim_id
        )
    )
