"""`Idempotency-Key` (§3.1, §7.5): Vercel retries, so a repeated key must not repeat the work.

The docs give every mutating Partner API call an ``Idempotency-Key`` that stays the same when
Vercel retries it, so a repeated key must not repeat the work (required): a repeated call
succeeds like the first and racing duplicates create one resource. An answer that differs in
detail is a finding. What a reused key with another body gets the docs do not say: refusing
it is recommended.
"""

from __future__ import annotations

import uuid
from collections import Counter
from typing import Any

from partner_api_check import docs
from partner_api_check.context import Context, random_id
from partner_api_check.endpoints import BY_NAME, supported
from partner_api_check.fixtures import Fixture
from partner_api_check.racing import Call, at_once
from partner_api_check.results import Check, needs, recommended, required
from partner_api_check.target import Reply

GROUP = "idempotency"
RACERS = 10
SEQUENTIAL = "provision: same key twice"
RACE = f"provision: {RACERS} racing requests with one key"
OTHER_BODY = "provision: same key, different body"
UPSERT_TWICE = "upsert: same key twice"
REUSED_KEY = recommended("the docs do not say what a reused key with another body gets; "
                         "replaying the first answer hides the caller's mistake, so 409/422")


def key() -> dict[str, str]:
    return {"Idempotency-Key": f"check-{uuid.uuid4()}"}


def same_answer(check: Check, first: Reply, second: Reply) -> None:
    """The repeat must succeed like the first call; a different body is a finding."""
    if not second.ok:
        check.fail(f"first answer {first.summary()}; repeated {second.summary()}")
    if (first.status, first.json) != (second.status, second.json):
        check.finding(f"the repeat answered differently: first {first.summary()}; "
                      f"repeated {second.summary()}")


def resource_id(reply: Reply) -> Any:
    return reply.json.get("id") if isinstance(reply.json, dict) else None


def count_resources(ctx: Context, check: Check, fixture: Fixture, name: str, ids: set) -> int:
    """How many resources named ``name`` the installation has: from List Resources if the
    server has it, else by reading back each id the answers carried."""
    if supported(ctx, fixture, BY_NAME["list resources"]):
        reply = check.call("GET", fixture.installation_path("/resources"),
                           headers=fixture.system())
        listed = reply.json.get("resources") if isinstance(reply.json, dict) else None
        if reply.status == 200 and isinstance(listed, list):
            return sum(1 for item in listed if isinstance(item, dict) and item.get("name") == name)
    paths = [fixture.installation_path(f"/resources/{found}") for found in ids]
    return sum(check.call("GET", path, headers=fixture.system()).ok for path in paths)


def race(ctx: Context, fixture: Fixture, body: dict[str, Any]) -> list[Reply | Exception]:
    """Send the same provision call from ``RACERS`` threads at once."""
    call = Call("POST", fixture.installation_path("/resources"),
                {"headers": {**fixture.admin(), **key()}, "json_body": body})
    return at_once(ctx.target, [call] * RACERS)


def run(ctx: Context) -> None:
    fixture = Fixture(ctx)
    installed = False
    with ctx.run.check(GROUP, UPSERT_TWICE, required(docs.UPSERT_INSTALLATION)) as check:
        headers = {**fixture.admin(), **key()}
        body = ctx.upsert_body(fixture.access_token)
        first = check.call("PUT", fixture.installation_path(), headers=headers, json_body=body)
        if not first.ok:
            check.fail(f"could not install: {first.summary()}")
        installed = True
        same_answer(check, first, check.call("PUT", fixture.installation_path(),
                                             headers=headers, json_body=body))
    for name in (SEQUENTIAL, RACE, OTHER_BODY):
        rule = REUSED_KEY if name == OTHER_BODY else required(docs.PROVISION_RESOURCE)
        if not installed:
            ctx.run.skip(GROUP, name, needs(GROUP, UPSERT_TWICE), rule)
        elif not ctx.settings.product:
            ctx.run.skip(GROUP, name, "pass --product SLUG", rule)
    if installed and ctx.settings.product:
        provision_checks(ctx, fixture)
    fixture.tear_down()


def provision_checks(ctx: Context, fixture: Fixture) -> None:
    path = fixture.installation_path("/resources")
    name = random_id("check-idem-", 6)
    body = ctx.provision_body(name)
    headers = {**fixture.admin(), **key()}
    with ctx.run.check(GROUP, SEQUENTIAL, required(docs.PROVISION_RESOURCE)) as check:
        first = check.call("POST", path, headers=headers, json_body=body)
        if not first.ok:
            check.fail(f"could not provision: {first.summary()}")
        same_answer(check, first, check.call("POST", path, headers=headers, json_body=body))
        if count_resources(ctx, check, fixture, name, {resource_id(first)}) != 1:
            check.fail("expected exactly one resource")
    with ctx.run.check(GROUP, RACE, required(docs.PROVISION_RESOURCE)) as check:
        raced = random_id("check-race-", 6)
        replies = race(ctx, fixture, ctx.provision_body(raced))
        errors = [reply for reply in replies if not isinstance(reply, Reply)]
        if errors:
            check.fail(f"{len(errors)} requests got no answer: {errors[0]}")
        statuses = Counter(reply.status for reply in replies)
        check.note(", ".join(f"{status}×{count}" for status, count in sorted(statuses.items())))
        if any(status >= 500 for status in statuses):
            check.fail("a racing duplicate got a server error: " + check.notes[-1])
        ids = {resource_id(reply) for reply in replies if reply.ok}
        if not ids:
            check.fail("no request succeeded: " + check.notes[-1])
        if len(ids) != 1:
            check.fail(f"successful answers carry {len(ids)} different resource ids")
        created = count_resources(ctx, check, fixture, raced, ids)
        if created != 1:
            check.fail(f"{created} resources were created")
    with ctx.run.check(GROUP, OTHER_BODY, REUSED_KEY) as check:
        changed = {**body, "name": name + "-other"}
        reply = check.call("POST", path, headers=headers, json_body=changed)
        if reply.ok:
            check.fail(f"accepted ({reply.summary()}); a reused key with another body is "
                       "better refused with 409/422 (§3.1)")
        if not 400 <= reply.status < 500:
            check.fail(f"expected 409/422, got {reply.summary()}")
        check.note(reply.summary() + ("" if reply.status in (409, 422) else
                                      " (the contract suggests 409 or 422)"))
