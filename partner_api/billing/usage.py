"""Usage: what each live resource's provider measures, kept as one reading per metric and day.

Providers report running totals (`period_value` is the billing period so far), so a day's
reading is simply replaced by the latest one: collecting twice changes nothing. On a
prepayment plan that prices a metric (`pricing.usage_unit_price`, `interval` metrics only),
the growth of its running total since the last charge is drawn from the balance.
"""

from __future__ import annotations

import logging
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import func, select

from partner_api.billing import balances
from partner_api.billing.periods import BillingPeriod, day_of, period_containing
from partner_api.billing.pricing import resource_plan, usage_unit_price
from partner_api.billing.usage_models import UsageRecord
from partner_api.catalog import Catalog
from partner_api.extensions import db
from partner_api.providers.base import UsageReading
from partner_api.resources.calls import context_of, provider_of
from partner_api.resources.deletion import live_resources
from partner_api.resources.models import Resource
from partner_api.rows import insert_new
from partner_api.vercel.models import Usage

log = logging.getLogger(__name__)


def _measure(resource: Resource) -> list[UsageReading]:
    """The provider's readings; a provider that fails only loses its own resource's."""
    try:
        return list(provider_of(resource).usage(context_of(resource)))
    except Exception as error:  # whatever the provider's failure, see above
        log.warning("no usage for resource %s: %s", resource.id, type(error).__name__)
        return []


def _record(resource: Resource, name: str, day: date) -> UsageRecord | None:
    return db.session.scalar(
        select(UsageRecord).where(
            UsageRecord.installation_id == resource.installation_id,
            UsageRecord.resource_id == resource.id,
            UsageRecord.name == name,
            UsageRecord.day == day,
        )
    )


def _store(resource: Resource, reading: UsageReading, at: datetime) -> UsageRecord:
    """Upsert the day's reading."""
    day = day_of(at)
    key = {"installation_id": resource.installation_id, "resource_id": resource.id}
    insert_new(
        UsageRecord, **key, name=reading.name, day=day, charged_cents=0, **_values(reading, at)
    )
    record = _record(resource, reading.name, day)
    for name, value in _values(reading, at).items():
        setattr(record, name, value)
    return record


def _values(reading: UsageReading, at: datetime) -> dict[str, Any]:
    return {
        "type": reading.type,
        "units": reading.units,
        "day_value": reading.day_value,
        "period_value": reading.period_value,
        "plan_value": reading.plan_value,
        "recorded_at": at,
    }


def _charged_in_period(record: UsageRecord, period: BillingPeriod) -> int:
    return db.session.scalar(
        select(func.coalesce(func.max(UsageRecord.charged_cents), 0)).where(
            UsageRecord.resource_id == record.resource_id,
            UsageRecord.name == record.name,
            UsageRecord.day >= period.start.date(),
            UsageRecord.day < period.end.date(),
        )
    )


def _draw_down(resource: Resource, record: UsageRecord, catalog: Catalog, at: datetime) -> None:
    """Charge the running total's growth since the period's last charge, once."""
    if record.type != "interval":
        return
    price = usage_unit_price(resource_plan(resource, catalog), record.name, record.units)
    if price is None:
        return
    db.session.flush()
    already = _charged_in_period(record, period_containing(at))
    due = balances.cents_of(Decimal(str(record.period_value)) * price)
    if due > already:
        balances.draw(resource.installation_id, resource.id, due - already)
        record.charged_cents = due
    else:
        record.charged_cents = already


def collect(installation_id: str, at: datetime, catalog: Catalog) -> int:
    """Read and store the usage of the installation's live resources; returns how many."""
    count = 0
    for resource in live_resources(installation_id):
        for reading in _measure(resource):
            record = _store(resource, reading, at)
            _draw_down(resource, record, catalog, at)
            count += 1
    db.session.flush()
    return count


def readings(installation_id: str, day: date) -> list[Usage]:
    """The day's stored readings, as V11 `usage` entries."""
    records = db.session.scalars(
        select(UsageRecord)
        .where(UsageRecord.installation_id == installation_id, UsageRecord.day == day)
        .order_by(UsageRecord.resource_id, UsageRecord.name)
    )
    return [
        Usage(
            name=record.name,
            type=record.type,
            units=record.units,
            day_value=record.day_value,
            period_value=record.period_value,
            resource_id=record.resource_id,
            plan_value=record.plan_value,
        )
        for record in records
    ]
