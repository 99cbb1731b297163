"""The Partner API endpoints the kit calls (contract §3.3), with a plausible body for each."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from partner_api_check.context import Context
from partner_api_check.fixtures import Fixture
from partner_api_check.results import Check
from partner_api_check.tokens import SYSTEM, USER

Body = Callable[[Fixture], Any]


@dataclass(frozen=True)
class Endpoint:
    name: str
    method: str
    template: str
    kind: str  # the auth kind Vercel uses (USER where the docs allow user or system)
    mutation: bool = False  # a user token without the ADMIN role must be refused
    optional: bool = False  # the contract lets a partner leave it out
    needs_product: bool = False  # the path or body names the product (`--product`)
    body: Body | None = None

    @property
    def label(self) -> str:
        return f"{self.method} {self.template}"

    @property
    def bound(self) -> bool:
        """Whether the path names the installation (it must match the token's)."""
        return "{installation}" in self.template

    @property
    def needs_resource(self) -> bool:
        return "{resource}" in self.template

    def path(self, fixture: Fixture) -> str:
        return self.template.format(
            installation=fixture.installation_id,
            resource=fixture.resource_id,
            product=fixture.ctx.settings.product,
        )

    def payload(self, fixture: Fixture) -> dict[str, Any]:
        """Keyword arguments carrying the endpoint's body, for `Check.call`."""
        return {} if self.body is None else {"json_body": self.body(fixture)}


def _same_plan(fixture: Fixture) -> dict[str, Any]:
    return {"billingPlanId": fixture.installation_plan} if fixture.installation_plan else {}


_INSTALLATION = "/v1/installations/{installation}"
_RESOURCE = _INSTALLATION + "/resources/{resource}"

# Reads first, deletions last: a refusal test that the server wrongly lets through then
# spoils as little as possible for the endpoints after it.
ENDPOINTS = [
    Endpoint("get installation", "GET", _INSTALLATION, SYSTEM, optional=True),
    Endpoint("installation plans", "GET", _INSTALLATION + "/plans", SYSTEM, optional=True),
    Endpoint("product plans", "GET", "/v1/products/{product}/plans", SYSTEM, needs_product=True),
    Endpoint("list resources", "GET", _INSTALLATION + "/resources", SYSTEM, optional=True),
    Endpoint("get resource", "GET", _RESOURCE, SYSTEM),
    Endpoint("resource plans", "GET", _RESOURCE + "/plans", SYSTEM, optional=True),
    Endpoint("upsert installation", "PUT", _INSTALLATION, USER, mutation=True,
             body=lambda f: f.ctx.upsert_body(f.access_token)),
    Endpoint("update installation", "PATCH", _INSTALLATION, USER, mutation=True, optional=True,
             body=_same_plan),
    Endpoint("provision resource", "POST", _INSTALLATION + "/resources", USER, mutation=True,
             needs_product=True, body=lambda f: f.ctx.provision_body(f.resource_name)),
    Endpoint("update resource", "PATCH", _RESOURCE, USER, mutation=True, optional=True,
             body=lambda f: {"name": f.resource_name}),
    Endpoint("rotate secrets", "POST", _RESOURCE + "/secrets/rotate", USER, mutation=True,
             optional=True, body=lambda f: {"reason": "conformance check"}),
    Endpoint("resource repl", "POST", _RESOURCE + "/repl", USER, optional=True,
             body=lambda f: {"input": "help", "readOnly": True}),
    Endpoint("delete resource", "DELETE", _RESOURCE, USER, mutation=True),
    Endpoint("delete installation", "DELETE", _INSTALLATION, USER, mutation=True),
]

BY_NAME = {endpoint.name: endpoint for endpoint in ENDPOINTS}


def available(ctx: Context, fixture: Fixture, check: Check) -> list[Endpoint]:
    """The endpoints this run can call: some need a product or a resource, and optional ones
    are kept only if a valid call shows they exist (noted on ``check``)."""
    chosen, missing = [], []
    for endpoint in ENDPOINTS:
        if (endpoint.needs_product and not ctx.settings.product) or (
                endpoint.needs_resource and not fixture.resource_id):
            continue
        if endpoint.optional and not supported(ctx, fixture, endpoint):
            missing.append(endpoint.label)
            continue
        chosen.append(endpoint)
    if missing:
        check.note("not implemented (optional): " + ", ".join(missing))
    return chosen


def supported(ctx: Context, fixture: Fixture, endpoint: Endpoint) -> bool:
    """Whether an optional endpoint exists, probed once per run with a valid call."""
    known = ctx.known_support(endpoint.name)
    if known is not None:
        return known
    reply = ctx.target.request(endpoint.method, endpoint.path(fixture),
                               headers=ctx.tokens.headers(endpoint.kind, fixture.installation_id),
                               **endpoint.payload(fixture))
    return ctx.record_support(endpoint.name, reply)
