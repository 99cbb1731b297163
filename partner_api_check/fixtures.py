"""An installation, and a resource in it, that a check group works on and removes after."""

from __future__ import annotations

import contextlib

import requests

from partner_api_check.context import Context, random_id
from partner_api_check.results import Check


class Fixture:
    """A fresh installation (new id), plus a resource when a product is configured."""

    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx
        self.installation_id = random_id("icfg_check")
        self.access_token = random_id("check-access-", 32)
        self.resource_name = random_id("check-", 8)
        self.resource_id: str | None = None
        self.installation_plan: str | None = None

    def installation_path(self, suffix: str = "") -> str:
        return f"/v1/installations/{self.installation_id}{suffix}"

    def resource_path(self, suffix: str = "") -> str:
        return self.installation_path(f"/resources/{self.resource_id}{suffix}")

    def admin(self) -> dict[str, str]:
        return self.ctx.tokens.user(self.installation_id)

    def system(self) -> dict[str, str]:
        return self.ctx.tokens.system(self.installation_id)

    def set_up(self, check: Check) -> None:
        """Install, then provision when a product is configured; fails ``check`` if refused."""
        self.install(check)
        if self.ctx.settings.product:
            self.resource_id = self.provision(check, self.resource_name)

    def install(self, check: Check) -> None:
        """Upsert the installation; fails ``check`` if refused."""
        reply = check.call("PUT", self.installation_path(), headers=self.admin(),
                           json_body=self.ctx.upsert_body(self.access_token))
        if not reply.ok:
            check.fail(f"could not install: {reply.summary()}")
        plan = reply.json.get("billingPlan") if isinstance(reply.json, dict) else None
        if isinstance(plan, dict) and isinstance(plan.get("id"), str):
            self.installation_plan = plan["id"]

    def provision(self, check: Check, name: str) -> str:
        """Provision a resource of the configured product named ``name``; its id (fails
        ``check`` if refused)."""
        reply = check.call("POST", self.installation_path("/resources"), headers=self.admin(),
                           json_body=self.ctx.provision_body(name))
        resource_id = reply.json.get("id") if isinstance(reply.json, dict) else None
        if not reply.ok or not isinstance(resource_id, str):
            check.fail(f"could not provision a resource: {reply.summary()}")
        return resource_id

    def tear_down(self) -> None:
        """Remove what the fixture made, as far as the server lets it (best effort)."""
        with contextlib.suppress(requests.RequestException):
            if self.resource_id:
                self.ctx.target.request("DELETE", self.resource_path(), headers=self.admin())
            self.ctx.target.request("DELETE", self.installation_path(), headers=self.admin())
