"""Bad request bodies (§3.1): each must get 400 with the error envelope, and change nothing.

Invalid metadata must also name the offending properties in ``error.fields`` (§3.4.5).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from partner_api_check.context import Context
from partner_api_check.endpoints import BY_NAME, available
from partner_api_check.fixtures import Fixture
from partner_api_check.results import Check

GROUP = "bodies"
MALFORMED = b'{"check": '
STATE_CHECK = "rejected bodies change nothing"


@dataclass(frozen=True)
class Case:
    endpoint: str
    name: str
    body: Callable[[Fixture], Any] | None = None  # None: malformed JSON

    @property
    def title(self) -> str:
        return f"{self.endpoint}: {self.name}"


def invalid_metadata(fixture: Fixture) -> dict[str, Any]:
    """A provision body whose metadata values are objects, which no schema allows (§3.2.5)."""
    keys = list(fixture.ctx.settings.metadata) or ["region"]
    body = fixture.ctx.provision_body(fixture.resource_name + "-bad")
    body["metadata"] = {key: {"not": ["a", "metadata", "value"]} for key in keys}
    return body


def unknown_plan(fixture: Fixture) -> dict[str, Any]:
    return fixture.ctx.provision_body(fixture.resource_name + "-bad", plan="check-no-such-plan")


def _constant(value: Any) -> Callable[[Fixture], Any]:
    return lambda fixture: value


CASES = [
    Case("upsert installation", "malformed JSON"),
    Case("upsert installation", "wrong types",
         _constant({"scopes": "all", "acceptedPolicies": [], "credentials": "token",
                    "account": 5})),
    Case("upsert installation", "missing required fields", _constant({})),
    Case("update installation", "malformed JSON"),
    Case("update installation", "wrong types", _constant({"billingPlanId": 42})),
    Case("provision resource", "malformed JSON"),
    Case("provision resource", "wrong types",
         _constant({"productId": 42, "name": ["x"], "metadata": "region", "billingPlanId": 7})),
    Case("provision resource", "missing required fields", _constant({"name": "check"})),
    Case("provision resource", "invalid metadata", invalid_metadata),
    Case("provision resource", "unknown plan", unknown_plan),
    Case("update resource", "malformed JSON"),
    Case("update resource", "wrong types", _constant({"name": 42, "metadata": "region"})),
    Case("rotate secrets", "malformed JSON"),
    Case("rotate secrets", "wrong types", _constant({"delayOldSecretsExpirationHours": "soon"})),
    Case("rotate secrets", "delay over 720 hours",
         _constant({"delayOldSecretsExpirationHours": 721})),
    Case("resource repl", "malformed JSON"),
    Case("resource repl", "wrong types", _constant({"input": 42})),
    Case("resource repl", "missing input", _constant({"readOnly": True})),
]


def send_case(check: Check, case: Case, fixture: Fixture) -> None:
    endpoint = BY_NAME[case.endpoint]
    payload = {"data": MALFORMED} if case.body is None else {"json_body": case.body(fixture)}
    reply = check.call(endpoint.method, endpoint.path(fixture), headers=fixture.admin(),
                       **payload)
    check.expect_status(reply, 400)
    if case.body is invalid_metadata:
        check.expect_envelope(reply, "ValidationError")
        keys = {field["key"] for field in reply.json["error"]["fields"]}
        named = {key for key in keys if key.removeprefix("metadata.") in invalid_metadata(
            fixture)["metadata"]}
        if not named:
            check.fail(f"error.fields keys {sorted(keys)} name no metadata property")
    else:
        check.expect_envelope(reply)
    check.note(f"400 {reply.json['error']['code']}")


def run(ctx: Context) -> None:
    fixture = Fixture(ctx)
    names: set[str] = set()
    with ctx.run.check(GROUP, "set up an installation and a resource") as check:
        fixture.set_up(check)
        names = {endpoint.name for endpoint in available(ctx, fixture, check)}
    before = fixture.snapshot() if names else None
    for case in CASES:
        if not names:
            ctx.run.skip(GROUP, case.title, "set-up failed")
        elif case.endpoint not in names:
            endpoint = BY_NAME[case.endpoint]
            needs_product = endpoint.needs_product or endpoint.needs_resource
            ctx.run.skip(GROUP, case.title, "pass --product SLUG" if needs_product and not (
                ctx.settings.product) else "endpoint not implemented (optional)")
        else:
            with ctx.run.check(GROUP, case.title) as check:
                send_case(check, case, fixture)
    with ctx.run.check(GROUP, STATE_CHECK) as check:
        if before is None:
            check.skip("set-up failed")
        if fixture.snapshot() != before:
            check.fail("the installation or resource read back differently afterwards")
        check.note("installation and resource unchanged")
    fixture.tear_down()
