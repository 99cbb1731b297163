"""Helpers for the usage, billing data and prepayment tests: resources, readings, prices."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import datetime
from importlib import resources as package_files
from typing import Any

from sqlalchemy import select, update

from partner_api.billing.models import InstallationPlanChange
from partner_api.billing.usage_models import Balance, UsageRecord
from partner_api.catalog import load_catalog
from partner_api.extensions import db
from partner_api.providers.base import UsageReading
from partner_api.providers.demo import DemoProvider
from partner_api.resources.models import Resource, ResourcePlanChange
from partner_api.timeutil import utcnow
from tests.conftest import INSTALLATION_ID

EXAMPLE_CATALOG = package_files.files("partner_api.catalog").joinpath("example_catalog.json")
QUERY_PRICE = {"label": "Queries", "value": "$0.0004 per query"}


def provision(client, vercel, plan: str, name: str = "store", **metadata: Any) -> str:
    """A demo resource on `plan`, provisioned through the Partner API; returns its id."""
    body = {
        "productId": "demo",
        "name": name,
        "metadata": {"region": "iad1", **metadata},
        "billingPlanId": plan,
    }
    response = client.post(
        f"/v1/installations/{INSTALLATION_ID}/resources", json=body, headers=vercel.user()
    )
    assert response.status_code == 200, response.get_json()
    return response.get_json()["id"]


def backdate(resource_id: str, created_at: datetime) -> None:
    """The resource was created, on the plan it has, at `created_at`."""
    db.session.get(Resource, resource_id).created_at = created_at
    db.session.execute(
        update(ResourcePlanChange)
        .where(ResourcePlanChange.resource_id == resource_id)
        .values(effective_at=created_at)
    )
    db.session.commit()


def backdate_installation_plan(effective_at: datetime) -> None:
    """The installation has been on its current plan since `effective_at`."""
    db.session.execute(update(InstallationPlanChange).values(effective_at=effective_at))
    db.session.commit()


def metered(monkeypatch, readings: dict[str, list[UsageReading]]) -> None:
    """The demo provider reports `readings[resource_id]` (change the dict between calls)."""

    def usage(self, resource) -> list[UsageReading]:
        if resource.resource_id not in readings:
            raise ConnectionError("the metering backend is down")
        return readings[resource.resource_id]

    monkeypatch.setattr(DemoProvider, "usage", usage)


def queries(count: float, today: float | None = None) -> UsageReading:
    """An `interval` metric: `count` queries in the period so far."""
    return UsageReading(
        "Queries",
        "interval",
        "query",
        day_value=count if today is None else today,
        period_value=count,
    )


def use_catalog(app, monkeypatch, tmp_path, edit: Callable[[dict[str, Any]], None]) -> None:
    """Serve a copy of the example catalog changed by `edit` (same products and providers)."""
    catalog = json.loads(EXAMPLE_CATALOG.read_text())
    edit(catalog)
    path = tmp_path / "catalog.json"
    path.write_text(json.dumps(catalog))
    monkeypatch.setitem(app.extensions, "catalog", load_catalog(str(path)))


def price_queries(catalog: dict[str, Any]) -> None:
    """The demo product's prepayment plan prices queries."""
    demo = next(product for product in catalog["products"] if product["slug"] == "demo")
    credits = next(plan for plan in demo["plans"] if plan["id"] == "demo-credits")
    credits["details"].append(QUERY_PRICE)


def balances() -> dict[str | None, int]:
    """Stored balances: cents by resource id (None: the installation's)."""
    db.session.expire_all()
    rows = db.session.scalars(select(Balance).order_by(Balance.id))
    return {row.resource_id: row.currency_value_in_cents for row in rows}


def set_balance(installation_id: str, resource_id: str | None, cents: int, **extra: Any) -> None:
    db.session.add(
        Balance(
            installation_id=installation_id,
            resource_id=resource_id,
            currency_value_in_cents=cents,
            updated_at=utcnow(),
            **extra,
        )
    )
    db.session.commit()


def usage_rows() -> list[UsageRecord]:
    db.session.expire_all()
    query = select(UsageRecord).order_by(UsageRecord.day, UsageRecord.resource_id, UsageRecord.name)
    return list(db.session.scalars(query))
