"""What an invoice bills: each subscription plan for the time it was active in the period.

The plan history (`InstallationPlanChange`, `ResourcePlanChange`) says which plan was
active when. A plan active for the whole period bills its price per period
(`pricing.period_price`); a plan active for part of it bills that share of the price, and
its item's `start`/`end` show the time covered. A plan active twice in one period (A, B,
then A again) is still one item: Vercel bills a resource once per period and plan (§7.13).
Billing stops when the resource is deleted or the installation uninstalled.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal

from sqlalchemy import or_, select

from partner_api.billing.models import InstallationPlanChange
from partner_api.billing.periods import BillingPeriod
from partner_api.billing.pricing import period_price
from partner_api.catalog import Catalog
from partner_api.catalog.model import Plan
from partner_api.extensions import db
from partner_api.installations.models import Installation
from partner_api.resources.models import Resource, ResourcePlanChange
from partner_api.vercel.models import LineItem

log = logging.getLogger(__name__)

CENT = Decimal("0.01")
# A partial period is billed as a fraction of a month, to four places (0.5 = half a month).
SHARE = Decimal("0.0001")
UNITS = "month"


@dataclass(frozen=True)
class PlanTime:
    """The time one plan was active within a window: from `start` to `end`, `active` in all."""

    plan_id: str
    start: datetime
    end: datetime
    active: timedelta


def plan_times(
    changes: Sequence[tuple[datetime, str]],
    ended_at: datetime | None,
    window: BillingPeriod,
) -> list[PlanTime]:
    """Each plan's time in `window`, from plan changes `(effective_at, plan_id)` in order.

    A plan lasts until the next change, or until `ended_at` (deletion), or beyond the window.
    """
    times: dict[str, PlanTime] = {}
    for index, (effective_at, plan_id) in enumerate(changes):
        following = changes[index + 1][0] if index + 1 < len(changes) else None
        until = min(moment for moment in (following, ended_at, window.end) if moment is not None)
        start, end = max(effective_at, window.start), until
        if end <= start:
            continue
        known = times.get(plan_id)
        if known is None:
            times[plan_id] = PlanTime(plan_id, start, end, end - start)
        else:
            times[plan_id] = PlanTime(plan_id, known.start, end, known.active + (end - start))
    return list(times.values())


def _item(
    plan: Plan | None,
    time: PlanTime,
    period: BillingPeriod,
    *,
    name: str,
    details: str,
    resource_id: str | None = None,
) -> LineItem | None:
    """The item billing `time` on `plan`; None if the plan has no price (free, prepayment)."""
    if plan is None:
        log.warning("plan %s is no longer in the catalog: it cannot be invoiced", time.plan_id)
        return None
    if plan["type"] != "subscription":
        return None
    price = period_price(plan)
    length = period.end - period.start
    if time.active >= length:
        quantity = Decimal(1)
    else:
        share = Decimal(time.active.total_seconds()) / Decimal(length.total_seconds())
        quantity = share.quantize(SHARE, rounding=ROUND_HALF_UP)
    total = (price * quantity).quantize(CENT, rounding=ROUND_HALF_UP)
    if total <= 0:
        return None
    return LineItem(
        billing_plan_id=plan["id"],
        resource_id=resource_id,
        name=name,
        details=details,
        price=price,
        quantity=quantity,
        units=UNITS,
        total=total,
        start=time.start if time.start != period.start else None,
        end=time.end if time.end != period.end else None,
    )


def _installation_items(
    installation: Installation, period: BillingPeriod, catalog: Catalog
) -> list[LineItem]:
    changes = db.session.execute(
        select(InstallationPlanChange.effective_at, InstallationPlanChange.billing_plan_id)
        .where(InstallationPlanChange.installation_id == installation.id)
        .order_by(InstallationPlanChange.effective_at, InstallationPlanChange.id)
    ).all()
    items = []
    for time in plan_times([tuple(row) for row in changes], installation.deleted_at, period):
        plan = catalog.installation_plan(time.plan_id)
        name = plan["name"] if plan else time.plan_id
        items.append(_item(plan, time, period, name=name, details="Installation plan"))
    return [item for item in items if item is not None]


def _resources_in(installation_id: str, period: BillingPeriod) -> list[Resource]:
    return list(
        db.session.scalars(
            select(Resource)
            .where(
                Resource.installation_id == installation_id,
                Resource.created_at < period.end,
                or_(Resource.deleted_at.is_(None), Resource.deleted_at > period.start),
            )
            .order_by(Resource.created_at, Resource.id)
        )
    )


def _resource_changes(resource_ids: list[str]) -> dict[str, list[tuple[datetime, str]]]:
    rows = db.session.execute(
        select(
            ResourcePlanChange.resource_id,
            ResourcePlanChange.effective_at,
            ResourcePlanChange.billing_plan_id,
        )
        .where(ResourcePlanChange.resource_id.in_(resource_ids))
        .order_by(ResourcePlanChange.effective_at, ResourcePlanChange.id)
    )
    changes: dict[str, list[tuple[datetime, str]]] = {key: [] for key in resource_ids}
    for resource_id, effective_at, plan_id in rows:
        changes[resource_id].append((effective_at, plan_id))
    return changes


def _resource_items(
    installation: Installation, period: BillingPeriod, catalog: Catalog
) -> list[LineItem]:
    resources = _resources_in(installation.id, period)
    changes = _resource_changes([resource.id for resource in resources])
    items = []
    for resource in resources:
        # A resource kept past the uninstall (no cascade) is no longer billed through Vercel.
        ends = [m for m in (resource.deleted_at, installation.deleted_at) if m is not None]
        product = catalog.product(resource.product_slug)
        for time in plan_times(changes[resource.id], min(ends, default=None), period):
            plan = product.plan(time.plan_id) if product else None
            name = f"{product.name} {plan['name']}" if product and plan else time.plan_id
            items.append(
                _item(plan, time, period, name=name, details=resource.name, resource_id=resource.id)
            )
    return [item for item in items if item is not None]


def line_items(
    installation: Installation, period: BillingPeriod, catalog: Catalog
) -> list[LineItem]:
    """The installation's plan items first, then its resources' (oldest resource first)."""
    return _installation_items(installation, period, catalog) + _resource_items(
        installation, period, catalog
    )
