"""Prepayment balances (§3.2.6): credited by purchases, drawn down by priced usage.

Amounts change through one SQL `UPDATE … SET cents = cents ± n`, never by reading a value
and writing it back, so concurrent purchases and drawdowns cannot lose each other's
changes. A balance never goes below zero: usage past the remaining credit is not carried
as debt (stopping a resource that ran out is the provider's decision).
"""

from __future__ import annotations

from decimal import ROUND_DOWN, Decimal

from sqlalchemy import ColumnElement, case, exists, or_, select, update

from partner_api.billing.pricing import is_prepayment, resource_plan
from partner_api.billing.usage_models import Balance
from partner_api.catalog import Catalog
from partner_api.extensions import db
from partner_api.installations.models import Installation
from partner_api.resources.deletion import live_resources
from partner_api.resources.models import Resource
from partner_api.rows import insert_new
from partner_api.timeutil import utcnow
from partner_api.vercel import models as wire


def cents_of(dollars: Decimal) -> int:
    """Whole cents of a dollar amount, rounded down (§7.25)."""
    return int((dollars * 100).to_integral_value(rounding=ROUND_DOWN))


def _find(installation_id: str, resource_id: str | None) -> Balance | None:
    owner = (
        Balance.resource_id.is_(None) if resource_id is None else Balance.resource_id == resource_id
    )
    return db.session.scalar(
        select(Balance).where(Balance.installation_id == installation_id, owner)
    )


def _find_or_create(installation_id: str, resource_id: str | None) -> Balance:
    """The balance row; a concurrent creation of the same row is absorbed, not an error."""
    balance = _find(installation_id, resource_id)
    if balance is None:
        insert_new(
            Balance,
            installation_id=installation_id,
            resource_id=resource_id,
            currency_value_in_cents=0,
            updated_at=utcnow(),
        )
        balance = _find(installation_id, resource_id)
    return balance


def _change(balance: Balance, cents: ColumnElement[int]) -> None:
    db.session.execute(
        update(Balance)
        .where(Balance.id == balance.id)
        .values(currency_value_in_cents=cents, updated_at=utcnow())
        .execution_options(synchronize_session=False)
    )
    db.session.expire(balance)


def credit(installation_id: str, resource_id: str | None, cents: int) -> None:
    """Add purchased credit to a resource's balance, or the installation's (`None`)."""
    balance = _find_or_create(installation_id, resource_id)
    _change(balance, Balance.currency_value_in_cents + cents)


def draw(installation_id: str, resource_id: str, cents: int) -> bool:
    """Take `cents` of a resource's usage from its own credit, else the installation's.

    Returns False when neither has a balance: there is no credit to draw from.
    """
    balance = _find(installation_id, resource_id) or _find(installation_id, None)
    if balance is None:
        return False
    remaining = Balance.currency_value_in_cents - cents
    _change(balance, case((remaining > 0, remaining), else_=0))
    return True


def has_prepayment(installation: Installation, catalog: Catalog) -> bool:
    """Whether balances are reported: a prepayment plan in use, or credit held."""
    if is_prepayment(catalog.installation_plan(installation.billing_plan_id)):
        return True
    if any(is_prepayment(resource_plan(r, catalog)) for r in live_resources(installation.id)):
        return True
    return db.session.scalar(select(exists().where(Balance.installation_id == installation.id)))


def reported(installation_id: str, catalog: Catalog) -> list[wire.Balance]:
    """The balances Vercel is told about (V15, Provision Purchase's answer).

    The installation's credit and that of its live resources; a live resource on a
    prepayment plan with no credit at all reports zero, so Vercel can offer a top-up.
    """
    live = Resource.deleted_at.is_(None)
    rows = db.session.scalars(
        select(Balance)
        .outerjoin(Resource, Balance.resource_id == Resource.id)
        .where(Balance.installation_id == installation_id, or_(Balance.resource_id.is_(None), live))
        .order_by(Balance.resource_id.is_not(None), Balance.resource_id)
    ).all()
    balances = [
        wire.Balance(
            currency_value_in_cents=row.currency_value_in_cents,
            resource_id=row.resource_id,
            credit=row.credit,
            name_label=row.name_label,
        )
        for row in rows
    ]
    credited = {row.resource_id for row in rows}
    if None not in credited:
        balances += [
            wire.Balance(currency_value_in_cents=0, resource_id=resource.id)
            for resource in live_resources(installation_id)
            if resource.id not in credited and is_prepayment(resource_plan(resource, catalog))
        ]
    return balances
