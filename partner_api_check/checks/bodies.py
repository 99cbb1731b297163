"""Bad request bodies (§3.1): each must get 400 with the error envelope, and change nothing.

The docs give 400 with the envelope for input that fails validation (another 4xx is a finding,
a 2xx or 5xx a failure). Invalid metadata should also name the offending properties in
``error.fields`` (§3.4.5; optional in the docs, so a finding). Whether anything changed is
judged on full snapshots (`state`): a rejected provision must not have created a resource.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from partner_api_check import docs, schemas, state
from partner_api_check.context import Context
from partner_api_check.endpoints import BY_NAME, available
from partner_api_check.fixtures import Fixture
from partner_api_check.results import Check, Rule, needs, recommended, required
from partner_api_check.target import Reply

GROUP = "bodies"
MALFORMED = b'{"check": '
STATE_CHECK = "rejected bodies change nothing"
SET_UP = "set up an installation and a resource"
UNKNOWN_PLAN = recommended("the docs do not say how an unknown billingPlanId is refused; a "
                           "resource on a plan that does not exist cannot be billed")
UNCHANGED = recommended("the docs define 400 as input that failed validation but do not say "
                        "the call has no effect; what a refused call made, Vercel never "
                        "learns of (a resource nobody can see or delete)")


@dataclass(frozen=True)
class Case:
    endpoint: str
    name: str
    body: Callable[[Fixture], Any] | None = None  # None: malformed JSON
    rule: Rule | None = None  # None: the endpoint's docs page (400 on invalid input)

    @property
    def title(self) -> str:
        return f"{self.endpoint}: {self.name}"

    @property
    def level(self) -> Rule:
        return self.rule or required(docs.BY_ENDPOINT[self.endpoint])


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
    Case("provision resource", "unknown plan", unknown_plan, UNKNOWN_PLAN),
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
    if reply.ok or not 400 <= reply.status < 500:
        check.fail(f"{reply.method} {reply.path}: expected 400, got {reply.summary()}")
    if reply.status != 400:
        check.finding(f"{reply.summary()}; the docs give 400 for input that failed validation")
    check.expect_envelope(reply)
    if case.body is invalid_metadata:
        named_fields(check, reply, set(invalid_metadata(fixture)["metadata"]))
    check.note(f"{reply.status} {reply.json['error']['code']}")


def named_fields(check: Check, reply: Reply, properties: set[str]) -> None:
    """A finding unless ``error.fields`` names one of the invalid metadata ``properties``."""
    if schemas.problems("ValidationError", reply.json):
        check.finding("no error.fields naming the invalid metadata properties")
        return
    keys = {field["key"] for field in reply.json["error"]["fields"]}
    if not {key for key in keys if key.removeprefix("metadata.") in properties}:
        check.finding(f"error.fields keys {sorted(keys)} name no metadata property")


def run(ctx: Context) -> None:
    fixture = Fixture(ctx)
    names: set[str] = set()
    with ctx.run.check(GROUP, SET_UP, required(docs.UPSERT_INSTALLATION)) as check:
        fixture.set_up(check)
        names = {endpoint.name for endpoint in available(ctx, fixture, check)}
    before = state.snapshot(ctx, fixture) if names else None
    for case in CASES:
        if not names:
            ctx.run.skip(GROUP, case.title, needs(GROUP, SET_UP), case.level)
        elif case.endpoint not in names:
            endpoint = BY_NAME[case.endpoint]
            needs_product = endpoint.needs_product or endpoint.needs_resource
            ctx.run.skip(GROUP, case.title, "pass --product SLUG" if needs_product and not (
                ctx.settings.product) else "endpoint not implemented (optional)", case.level)
        else:
            with ctx.run.check(GROUP, case.title, case.level) as check:
                send_case(check, case, fixture)
    with ctx.run.check(GROUP, STATE_CHECK, UNCHANGED) as check:
        if before is None:
            check.skip(needs(GROUP, SET_UP))
        changed = state.differences(before, state.snapshot(ctx, fixture))
        if changed:
            check.fail("read back differently afterwards: " + ", ".join(changed))
        check.note("installation, resource listing and resource unchanged")
    fixture.tear_down()
