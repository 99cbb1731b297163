"""Prices read from the catalog's plans, where a plan states them in a machine-readable way.

A plan's `cost` ("$20.00/month") is display text; the price billed per period is taken from
`initialCharge` instead, the only decimal amount a subscription plan carries (§3.2.1): a
plan without it bills 0.00 (free plans, and paid plans whose price the catalog does not
state). Prepayment plans price usage through a `details` line naming the metric and its
unit price, e.g. `{"label": "Queries", "value": "$0.0004 per query"}` for a metric named
"Queries" reported in `query` units; without such a line, usage is not priced.
"""

from __future__ import annotations

import re
from decimal import Decimal

from partner_api.catalog import Catalog
from partner_api.catalog.model import Plan
from partner_api.resources.models import Resource

ZERO = Decimal("0.00")
UNIT_PRICE = re.compile(r"^\$\s*([0-9]+(?:\.[0-9]+)?)\s+per\s+(\S.*?)\s*$", re.IGNORECASE)


def resource_plan(resource: Resource, catalog: Catalog) -> Plan | None:
    """The catalog's plan the resource is on (None once its product or plan is withdrawn)."""
    product = catalog.product(resource.product_slug)
    return product.plan(resource.billing_plan_id) if product else None


def is_prepayment(plan: Plan | None) -> bool:
    return plan is not None and plan["type"] == "prepayment"


def period_price(plan: Plan) -> Decimal:
    """What a subscription plan costs per billing period (a calendar month)."""
    return Decimal(plan["initialCharge"]) if plan.get("initialCharge") else ZERO


def usage_unit_price(plan: Plan | None, metric: str, units: str) -> Decimal | None:
    """The price of one unit of `metric` on a prepayment plan, if its details state one."""
    if not is_prepayment(plan):
        return None
    for detail in plan.get("details") or ():
        if detail["label"].strip().casefold() != metric.strip().casefold():
            continue
        match = UNIT_PRICE.match(detail.get("value") or "")
        if match and match.group(2).casefold() == units.strip().casefold():
            return Decimal(match.group(1))
    return None
