"""Transfer claim rules (§3.4.15–3.4.17, §7.26). Changes are flushed, never committed.

Accepts of one claim are serialized twice over: the claim row is read `FOR UPDATE` (Postgres
makes a second accept wait for the first to commit), and completion is a conditional
`UPDATE … WHERE status != 'complete'` whose row count tells who won (on SQLite, where
`FOR UPDATE` does nothing, that statement waits for the database's write lock instead).
The resources are re-read under lock after that, so a concurrent change to them is seen.
"""

from __future__ import annotations

import secrets as random
from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import select, update

from partner_api.errors import Conflict, NotFound, Unprocessable
from partner_api.extensions import db
from partner_api.installations.service import find_live
from partner_api.resources.models import Resource
from partner_api.timeutil import utcnow
from partner_api.transfers.models import ClaimStatus, TransferClaim, VerifiedTarget
from partner_api.vercel.jobs import push_event
from partner_api.vercel.models import ResourceUpdated
from partner_api.webhooks.models import ProjectConnection


def new_claim_id() -> str:
    return f"trc_{random.token_hex(16)}"


def create(
    source_installation_id: str, resource_ids: Sequence[str], expires_at: datetime
) -> TransferClaim:
    """Offer live resources of the source; none may be in another open claim (409)."""
    find_live(source_installation_id)
    wanted = list(dict.fromkeys(resource_ids))
    _owned_resources(source_installation_id, wanted)
    now = utcnow()
    busy = _in_open_claims(source_installation_id, wanted, now)
    if busy:
        raise Conflict(
            f"Resources already offered in an open transfer request: {', '.join(busy)}.",
            code="resource_in_open_claim",
        )
    claim = TransferClaim(
        provider_claim_id=new_claim_id(),
        source_installation_id=source_installation_id,
        resource_ids=wanted,
        expires_at=expires_at,
        status=ClaimStatus.UNCLAIMED,
        created_at=now,
        updated_at=now,
    )
    db.session.add(claim)
    db.session.flush()
    return claim


def verify(target_installation_id: str, provider_claim_id: str) -> None:
    """Check that the target could accept the claim now, and remember it as a candidate."""
    find_live(target_installation_id)
    claim = _locked_claim(provider_claim_id)
    now = utcnow()
    _refuse_closed(claim, now)
    if target_installation_id == claim.source_installation_id:
        raise Unprocessable(
            "The resources already belong to this installation.", code="same_installation"
        )
    _owned_resources(claim.source_installation_id, claim.resource_ids)
    if not _set_status(claim, ClaimStatus.VERIFIED, now):
        raise _completed()
    if target_installation_id not in _verified_targets(claim):
        db.session.add(
            VerifiedTarget(
                claim_id=claim.provider_claim_id,
                installation_id=target_installation_id,
                verified_at=now,
            )
        )
    db.session.flush()


def accept(target_installation_id: str, provider_claim_id: str) -> list[Resource]:
    """Move the claim's resources to the target, once; returns what moved (none on a repeat)."""
    find_live(target_installation_id)
    claim = _locked_claim(provider_claim_id)
    now = utcnow()
    if claim.status is ClaimStatus.COMPLETE:
        return _repeat(claim, target_installation_id)
    _refuse_closed(claim, now)
    if target_installation_id not in _verified_targets(claim):
        raise Conflict(
            "The transfer request has not been verified for this installation.",
            code="claim_not_verified",
        )
    if not _set_status(
        claim,
        ClaimStatus.COMPLETE,
        now,
        claimed_by_installation_id=target_installation_id,
        completed_at=now,
    ):
        db.session.refresh(claim)
        return _repeat(claim, target_installation_id)
    resources = _owned_resources(claim.source_installation_id, claim.resource_ids)
    for resource in resources:
        resource.installation_id = target_installation_id
        resource.updated_at = now
        _announce(resource)
    _move_project_connections(claim, target_installation_id)
    db.session.flush()
    return resources


def _locked_claim(provider_claim_id: str) -> TransferClaim:
    claim = db.session.scalar(
        select(TransferClaim)
        .where(TransferClaim.provider_claim_id == provider_claim_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    if claim is None:
        raise NotFound(f"Transfer request {provider_claim_id} was not found.")
    return claim


def _completed() -> Conflict:
    return Conflict("The transfer request was already accepted.", code="claim_completed")


def _refuse_closed(claim: TransferClaim, now: datetime) -> None:
    if claim.status is ClaimStatus.COMPLETE:
        raise _completed()
    if claim.expired(now):
        raise Conflict("The transfer request has expired.", code="claim_expired")


def _repeat(claim: TransferClaim, target_installation_id: str) -> list[Resource]:
    """An accept of a completed claim: success for its winner (§7.5), 409 for anyone else."""
    if claim.claimed_by_installation_id != target_installation_id:
        raise _completed()
    return []


def _set_status(claim: TransferClaim, status: ClaimStatus, now: datetime, **values) -> bool:
    """Change an incomplete claim; False if it was completed meanwhile."""
    result = db.session.execute(
        update(TransferClaim)
        .where(
            TransferClaim.provider_claim_id == claim.provider_claim_id,
            TransferClaim.status != ClaimStatus.COMPLETE,
        )
        .values(status=status, updated_at=now, **values)
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:
        return False
    db.session.refresh(claim)
    return True


def _verified_targets(claim: TransferClaim) -> set[str]:
    return set(
        db.session.scalars(
            select(VerifiedTarget.installation_id).where(
                VerifiedTarget.claim_id == claim.provider_claim_id
            )
        )
    )


def _owned_resources(installation_id: str, resource_ids: Sequence[str]) -> list[Resource]:
    """The live resources of the installation, locked, in `resource_ids` order; else 422."""
    found = {
        resource.id: resource
        for resource in db.session.scalars(
            select(Resource)
            .where(Resource.id.in_(resource_ids))
            .with_for_update()
            .execution_options(populate_existing=True)
        )
    }
    missing = [
        resource_id
        for resource_id in resource_ids
        if resource_id not in found
        or found[resource_id].installation_id != installation_id
        or found[resource_id].is_deleted
    ]
    if missing:
        raise Unprocessable(
            f"Not live resources of installation {installation_id}: {', '.join(missing)}.",
            code="resource_not_owned",
        )
    return [found[resource_id] for resource_id in resource_ids]


def _in_open_claims(
    source_installation_id: str, resource_ids: Sequence[str], now: datetime
) -> list[str]:
    """Which of the resources an unexpired, incomplete claim of the source already offers."""
    offered: set[str] = set()
    for claimed in db.session.scalars(
        select(TransferClaim.resource_ids).where(
            TransferClaim.source_installation_id == source_installation_id,
            TransferClaim.status != ClaimStatus.COMPLETE,
            TransferClaim.expires_at > now,
        )
    ):
        offered.update(claimed)
    return [resource_id for resource_id in resource_ids if resource_id in offered]


def _announce(resource: Resource) -> None:
    """Tell Vercel (V4) the resource changed, on the installation that now owns it."""
    push_event(
        resource.installation_id, ResourceUpdated(resource.id, product_id=resource.product_slug)
    )


def _move_project_connections(claim: TransferClaim, target_installation_id: str) -> None:
    """Projects stay connected to a moved resource (§F9), so their records follow it."""
    db.session.execute(
        update(ProjectConnection)
        .where(
            ProjectConnection.installation_id == claim.source_installation_id,
            ProjectConnection.resource_id.in_(claim.resource_ids),
        )
        .values(installation_id=target_installation_id)
        .execution_options(synchronize_session=False)
    )
