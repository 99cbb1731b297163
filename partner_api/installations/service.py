"""Installation rules. Changes are flushed, never committed: the caller owns the transaction."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import bindparam, select
from sqlalchemy.engine import Row
from sqlalchemy.orm import defer

from partner_api import autocommit
from partner_api.billing.finalization import schedule_finalization
from partner_api.billing.models import InstallationPlanChange, InstallationSuspension
from partner_api.catalog import Catalog
from partner_api.catalog.model import Plan, is_billable
from partner_api.errors import Conflict, FieldError, NotFound, ValidationFailed
from partner_api.extensions import db
from partner_api.installations.models import Installation
from partner_api.resources import deletion
from partner_api.timeutil import utcnow


@dataclass(frozen=True)
class UpsertRequest:
    installation_id: str
    account_id: str | None
    user_id: str | None
    scopes: list[str]
    accepted_policies: dict[str, Any]
    access_token: str
    token_type: str
    account: dict[str, Any] | None


# Built once: building the statement costs more than running it (profiled under gunicorn).
_INSTALLATION = (
    select(Installation)
    .where(Installation.id == bindparam("installation_id"))
    .options(defer(Installation.access_token))
)


def find_live(installation_id: str) -> Installation:
    """The installation, or 404 if it never existed or was uninstalled.

    Its access token is loaded (and decrypted) only if the caller reads it: most never do.
    """
    installation = db.session.scalar(_INSTALLATION, {"installation_id": installation_id})
    if installation is None or installation.is_deleted:
        raise _not_found(installation_id)
    return installation


_installations = Installation.__table__
# What a Partner API read needs of a live installation (see partner_api/autocommit.py).
_READ_INSTALLATION = select(
    _installations.c.id, _installations.c.billing_plan_id, _installations.c.notification
).where(_installations.c.id == bindparam("installation_id"), _installations.c.deleted_at.is_(None))


def read_live(installation_id: str) -> Row:
    """`find_live` for GETs: the live installation's id, plan and notification, or 404."""
    installation = autocommit.first(_READ_INSTALLATION, {"installation_id": installation_id})
    if installation is None:
        raise _not_found(installation_id)
    return installation


def _not_found(installation_id: str) -> NotFound:
    return NotFound(f"Installation {installation_id} was not found.")


def _record_plan(installation: Installation, previous_plan_id: str | None) -> None:
    """Plan history: invoices bill a plan only for the time it was active."""
    db.session.add(
        InstallationPlanChange(
            installation_id=installation.id,
            billing_plan_id=installation.billing_plan_id,
            previous_plan_id=previous_plan_id,
            effective_at=installation.updated_at,
        )
    )


def upsert(request: UpsertRequest, catalog: Catalog) -> Installation:
    """Create the installation or refresh it: credentials, account, scopes and policies."""
    now = utcnow()
    installation = db.session.get(Installation, request.installation_id)
    if installation is not None and installation.is_deleted:
        raise Conflict(
            "This installation was uninstalled; a reinstall comes with a new installation id.",
            code="installation_deleted",
        )
    created = installation is None
    if created:
        default_plan = catalog.default_installation_plan
        installation = Installation(
            id=request.installation_id,
            created_at=now,
            installed_by_user_id=request.user_id,
            billing_plan_id=default_plan["id"] if default_plan else None,
        )
        db.session.add(installation)
    installation.account_id = request.account_id
    installation.scopes = list(request.scopes)
    installation.accepted_policies = dict(request.accepted_policies)
    installation.access_token = request.access_token
    installation.token_type = request.token_type
    if request.account is not None:
        installation.account = request.account
    installation.updated_at = now
    db.session.flush()
    if created and installation.billing_plan_id is not None:
        _record_plan(installation, None)
        db.session.flush()
    return installation


def installation_plan(installation: Installation | Row, catalog: Catalog) -> Plan | None:
    return catalog.installation_plan(installation.billing_plan_id)


def change_plan(installation_id: str, plan_id: str | None, catalog: Catalog) -> Installation:
    installation = find_live(installation_id)
    if plan_id is None:
        return installation
    plan = catalog.installation_plan(plan_id)
    if plan is None:
        raise ValidationFailed(
            f"Unknown installation billing plan {plan_id!r}.",
            fields=[FieldError("billingPlanId", "Not an installation-level plan.")],
        )
    if plan.get("disabled"):
        raise Conflict(f"Billing plan {plan_id!r} cannot be selected now.", code="plan_disabled")
    previous_plan_id = installation.billing_plan_id
    installation.billing_plan_id = plan_id
    installation.updated_at = utcnow()
    if plan_id != previous_plan_id:
        _record_plan(installation, previous_plan_id)
    db.session.flush()
    return installation


def uninstall(
    installation_id: str, *, cascade: bool | None, reason: str | None, catalog: Catalog
) -> bool | None:
    """Soft-delete and retire the resources; returns whether the uninstall is finalized.

    None means the installation never existed. Resources on billable plans, like a billable
    installation plan, keep it unfinalized so final invoices can follow.

    A repeat delete changes nothing and reports the same outcome.
    """
    installation = db.session.get(Installation, installation_id)
    if installation is None:
        return None
    if installation.is_deleted:
        return installation.finalized_at is not None
    now = utcnow()
    installation.deleted_at = now
    installation.updated_at = now
    installation.delete_reason = reason
    installation.cascade_resource_deletion = cascade
    resources = deletion.live_resources(installation_id)
    billable = is_billable(installation_plan(installation, catalog)) or any(
        deletion.on_billable_plan(resource, catalog) for resource in resources
    )
    # Vercel does not delete resources one by one on uninstall (§3.4.4); absent means yes.
    if cascade is not False:
        for resource in resources:
            deletion.retire(resource)
    if billable:
        schedule_finalization(installation.id)
    else:
        installation.finalized_at = now
    db.session.flush()
    return not billable


def _suspension(installation_id: str, cause: str) -> InstallationSuspension | None:
    return db.session.scalar(
        select(InstallationSuspension).where(
            InstallationSuspension.installation_id == installation_id,
            InstallationSuspension.cause == cause,
        )
    )


def suspend(installation: Installation, *, cause: str) -> None:
    """Suspend for `cause` (e.g. `invoice:<id>`); a repeat changes nothing."""
    suspension = _suspension(installation.id, cause)
    if suspension is None:
        db.session.add(
            InstallationSuspension(
                installation_id=installation.id, cause=cause, suspended_at=utcnow()
            )
        )
    elif suspension.lifted_at is not None:
        suspension.suspended_at, suspension.lifted_at = utcnow(), None
    db.session.flush()


def resume(installation: Installation, *, cause: str) -> None:
    """Lift the suspension `cause` made, if any; suspensions for other causes stay."""
    suspension = _suspension(installation.id, cause)
    if suspension is not None and suspension.lifted_at is None:
        suspension.lifted_at = utcnow()
        db.session.flush()


def is_suspended(installation_id: str) -> bool:
    return (
        db.session.scalar(
            select(InstallationSuspension.id)
            .where(
                InstallationSuspension.installation_id == installation_id,
                InstallationSuspension.lifted_at.is_(None),
            )
            .limit(1)
        )
        is not None
    )
