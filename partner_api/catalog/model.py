"""The catalog as immutable values, built once at start-up and shared by every request."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

Plan = Mapping[str, Any]


@dataclass(frozen=True)
class Product:
    slug: str
    name: str
    provider: str
    metadata_schema: Mapping[str, Any]
    plans: tuple[Plan, ...]
    requires: tuple[str, ...] = ()

    def plan(self, plan_id: str) -> Plan | None:
        return next((plan for plan in self.plans if plan["id"] == plan_id), None)


@dataclass(frozen=True)
class Catalog:
    products: Mapping[str, Product]
    installation_plans: tuple[Plan, ...] = ()
    default_installation_plan_id: str | None = None
    _by_id: Mapping[str, Plan] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_by_id", {plan["id"]: plan for plan in self.installation_plans})

    def product(self, slug: str) -> Product | None:
        return self.products.get(slug)

    def installation_plan(self, plan_id: str | None) -> Plan | None:
        return self._by_id.get(plan_id) if plan_id else None

    @property
    def default_installation_plan(self) -> Plan | None:
        return self.installation_plan(self.default_installation_plan_id)


def is_billable(plan: Plan | None) -> bool:
    """Whether a plan can lead to an invoice (so uninstall must wait for finalization)."""
    if plan is None:
        return False
    if plan["type"] == "prepayment":
        return True
    return plan.get("paymentMethodRequired", True)
