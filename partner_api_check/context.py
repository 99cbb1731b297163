"""What every check group works with: the settings, the target, the tokens, the results."""

from __future__ import annotations

import secrets
import string
from dataclasses import dataclass, field
from typing import Any

from partner_api_check.results import Run
from partner_api_check.target import Reply, Target
from partner_api_check.tokens import TokenFactory, bearer
from partner_api_check.vercel_api import FakeVercelApi

DEFAULT_ISSUER = "https://marketplace.vercel.com"
DEFAULT_WEBHOOK_PATH = "/webhooks/vercel"
# What a product form with a `vercel-region` control submits when left at Vercel's default.
DEFAULT_METADATA: dict[str, Any] = {"region": "iad1"}
# Answers meaning "this optional endpoint is not implemented".
NOT_IMPLEMENTED = frozenset({404, 405, 501})
_ID_ALPHABET = string.ascii_letters + string.digits


def random_id(prefix: str, length: int = 18) -> str:
    return prefix + "".join(secrets.choice(_ID_ALPHABET) for _ in range(length))


@dataclass(frozen=True)
class Settings:
    """What to check, and with which product, plan and metadata."""

    base_url: str
    product: str | None = None
    plan: str | None = None
    metadata: dict[str, Any] = field(default_factory=lambda: dict(DEFAULT_METADATA))
    client_secret: str | None = None
    webhook_path: str = DEFAULT_WEBHOOK_PATH


class Context:
    def __init__(self, settings: Settings, tokens: TokenFactory, vercel: FakeVercelApi) -> None:
        self.settings = settings
        self.tokens = tokens
        self.vercel = vercel
        self.target = Target(settings.base_url)
        self.run = Run(self.target)
        self._plans: list[dict[str, Any]] | None = None
        self._support: dict[str, bool] = {}

    def adopt_plans(self, plans: list[dict[str, Any]]) -> None:
        """Use plans a check has already listed (and validated) for the product."""
        self._plans = plans

    def product_plans(self) -> list[dict[str, Any]]:
        """The product's plans, listed once with a pre-installation token unless a check
        listed them already ([] if that fails — the lifecycle group reports why)."""
        if self._plans is None:
            self._plans = []
            if self.settings.product:
                reply = self.target.request(
                    "GET", f"/v1/products/{self.settings.product}/plans",
                    headers=bearer(self.tokens.sign(self.tokens.pre_installation_claims()),
                                   "system"),
                )
                plans = reply.json.get("plans") if isinstance(reply.json, dict) else None
                if reply.ok and isinstance(plans, list):
                    self._plans = [plan for plan in plans if isinstance(plan, dict)]
        return self._plans

    def chosen_plan(self) -> str | None:
        """``--plan``, else the product's first selectable free plan, else its first one."""
        if self.settings.plan:
            return self.settings.plan
        selectable = self._selectable()
        free = [plan for plan in selectable if plan.get("paymentMethodRequired") is False]
        candidates = free + selectable
        return candidates[0]["id"] if candidates else None

    def other_plan(self) -> str | None:
        """Another selectable plan of the product, to test a plan change; None if none."""
        chosen = self.chosen_plan()
        for plan in self._selectable():
            if plan["id"] != chosen:
                return plan["id"]
        return None

    def _selectable(self) -> list[dict[str, Any]]:
        return [plan for plan in self.product_plans()
                if isinstance(plan.get("id"), str) and not plan.get("disabled")]

    def record_support(self, name: str, reply: Reply) -> bool:
        """Remember whether an optional endpoint exists, judged from a valid call's answer."""
        self._support[name] = reply.status not in NOT_IMPLEMENTED
        return self._support[name]

    def known_support(self, name: str) -> bool | None:
        return self._support.get(name)

    def upsert_body(self, access_token: str) -> dict[str, Any]:
        return {
            "scopes": ["read:resource", "write:resource"],
            "acceptedPolicies": {"toc": "2026-01-01T00:00:00Z"},
            "credentials": {"access_token": access_token, "token_type": "Bearer"},
            "account": {
                "name": "Conformance Check",
                "url": "https://vercel.com/conformance-check",
                "contact": {"email": "owner@conformance-check.invalid", "name": "Check Owner"},
            },
        }

    def provision_body(self, name: str, plan: str | None = None) -> dict[str, Any]:
        return {
            "productId": self.settings.product,
            "name": name,
            "metadata": dict(self.settings.metadata),
            "billingPlanId": plan or self.chosen_plan(),
        }
