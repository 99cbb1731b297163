"""Resource transfers (§1.3 F9, §3.4.15–3.4.17): a claim is created, verified, accepted once.

The source installation offers a resource (Create answers 200 with a `providerClaimId`); a
candidate target verifies the claim (200) and accepts it (204), after which the resource is the
target's. A completed claim can be neither verified nor accepted again, so of two targets
accepting one claim at the same instant exactly one succeeds and the other gets one of the
refusals Accept documents. The transfer endpoints are optional: a server answering 404, 405
or 501 to Create skips the group.
"""

from __future__ import annotations

import time

from partner_api_check import docs
from partner_api_check.context import NOT_IMPLEMENTED, Context
from partner_api_check.fixtures import Fixture
from partner_api_check.racing import Call, at_once
from partner_api_check.results import Check, needs, required
from partner_api_check.target import Reply

GROUP = "transfers"
CREATE = required(docs.CREATE_TRANSFER)
VERIFY = required(docs.VERIFY_TRANSFER)
ACCEPT = required(docs.ACCEPT_TRANSFER)
ACCEPT_REFUSALS = (403, 404, 409, 422)
CLAIM_LIFETIME_MS = 3_600_000
STEPS = {"create transfer request": CREATE, "verify transfer request": VERIFY,
         "accept transfer request": ACCEPT, "verify accepted transfer request": VERIFY,
         "racing accepts": ACCEPT}


def claims_path(installation: Fixture, suffix: str = "") -> str:
    return installation.installation_path(f"/resource-transfer-requests{suffix}")


def create(check: Check, source: Fixture, resource_id: str) -> Reply:
    body = {"resourceIds": [resource_id],
            "expiresAt": int(time.time() * 1000) + CLAIM_LIFETIME_MS}
    return check.call("POST", claims_path(source), headers=source.system(), json_body=body)


def claim_id(check: Check, reply: Reply) -> str:
    check.expect_status(reply, 200)
    return check.expect_schema(reply, "TransferCreated")["providerClaimId"]


def verify(check: Check, target: Fixture, claim: str) -> Reply:
    return check.call("GET", claims_path(target, f"/{claim}/verify"), headers=target.system())


def accept_call(target: Fixture, claim: str) -> Call:
    return Call("POST", claims_path(target, f"/{claim}/accept"), {"headers": target.system()})


def expect_refusal(check: Check, reply: Reply, what: str) -> None:
    if reply.status not in ACCEPT_REFUSALS:
        wanted = "/".join(str(status) for status in ACCEPT_REFUSALS)
        check.fail(f"{what}: expected a refusal ({wanted}), got {reply.summary()}")
    check.expect_envelope(reply)


def run(ctx: Context) -> None:
    if not ctx.settings.product:
        for name, rule in STEPS.items():
            ctx.run.skip(GROUP, name, "pass --product SLUG", rule)
        return
    source, targets = Fixture(ctx), [Fixture(ctx), Fixture(ctx)]
    try:
        Transfers(ctx, source, targets).run()
    finally:
        for installation in (source, *targets):
            installation.tear_down()


class Transfers:
    def __init__(self, ctx: Context, source: Fixture, targets: list[Fixture]) -> None:
        self.ctx = ctx
        self.source = source
        self.targets = targets
        self.claim: str | None = None
        self.accepted = False
        self.skipped: str | None = None

    def step(self, name: str):
        return self.ctx.run.check(GROUP, name, STEPS[name])

    def run(self) -> None:
        self.create()
        self.verify()
        self.accept()
        self.verify_accepted()
        self.racing_accepts()

    def create(self) -> None:
        with self.step("create transfer request") as check:
            for installation in (self.source, *self.targets):
                installation.install(check)
            self.source.resource_id = self.source.provision(check, self.source.resource_name)
            reply = create(check, self.source, self.source.resource_id)
            if reply.status in NOT_IMPLEMENTED:
                self.skipped = (f"not implemented ({reply.status}); transfers are optional "
                                "(§3.3 #15)")
                check.skip(self.skipped)
            self.claim = claim_id(check, reply)

    def need_claim(self, check: Check) -> None:
        if self.skipped:
            check.skip(self.skipped)
        if not self.claim:
            check.skip(needs(GROUP, "create transfer request"))

    def verify(self) -> None:
        with self.step("verify transfer request") as check:
            self.need_claim(check)
            check.expect_status(verify(check, self.targets[0], self.claim), 200)

    def accept(self) -> None:
        target = self.targets[0]
        with self.step("accept transfer request") as check:
            self.need_claim(check)
            call = accept_call(target, self.claim)
            check.expect_status(check.call(call.method, call.path, **call.options), 204)
            self.accepted = True
            target.resource_id, self.source.resource_id = self.source.resource_id, None
            reply = check.call("GET", target.resource_path(), headers=target.system())
            if reply.status != 200:
                check.fail(f"the accepted resource is not the target's: GET {reply.path} "
                           f"answered {reply.summary()}")

    def verify_accepted(self) -> None:
        with self.step("verify accepted transfer request") as check:
            if not self.accepted:
                check.skip(self.skipped or needs(GROUP, "accept transfer request"))
            reply = verify(check, self.targets[1], self.claim)
            expect_refusal(check, reply, "verifying a completed claim")

    def racing_accepts(self) -> None:
        """A new claim verified by both targets, then accepted by both at once."""
        with self.step("racing accepts") as check:
            self.need_claim(check)
            self.source.resource_id = self.source.provision(check, self.source.resource_name)
            claim = claim_id(check, create(check, self.source, self.source.resource_id))
            for target in self.targets:
                check.expect_status(verify(check, target, claim), 200)
            replies = at_once(self.ctx.target, [accept_call(target, claim)
                                                for target in self.targets])
            for reply in replies:
                if isinstance(reply, Exception):
                    check.fail(f"an accept got no answer: {type(reply).__name__}: {reply}")
                check.trace(reply)
            winners = [index for index, reply in enumerate(replies) if reply.ok]
            if len(winners) != 1:
                check.fail(f"{len(winners)} of 2 racing accepts succeeded "
                           f"({', '.join(str(reply.status) for reply in replies)}); "
                           "a claim is accepted once")
            loser = replies[1 - winners[0]]
            check.expect_status(replies[winners[0]], 204)
            expect_refusal(check, loser, "the losing accept")
            check.note(f"204 and {loser.status}")
