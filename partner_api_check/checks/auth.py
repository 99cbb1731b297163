"""Refusals (§2.1.4–§2.1.6): tokens Vercel never sends, and calls a valid token may not make.

Each case is sent to every endpoint it applies to. Vercel's docs give 403 for a call the
authentication does not allow, so 401 and 403 both pass; a 2xx or 5xx breaks the case's rule,
another 4xx is a finding. A 403 must carry the error envelope (the docs give it); a 401 without
it is a finding. Cases the docs do not state (a token without ``exp``, a contradicting
``X-Vercel-Auth``, a token for another installation) are recommended. After each case the
whole installation (its listing, resources, plans) must read back as before.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import requests

from partner_api_check import docs, schemas, state
from partner_api_check.context import Context, random_id
from partner_api_check.endpoints import Endpoint, available
from partner_api_check.fixtures import Fixture
from partner_api_check.keys import generate_key
from partner_api_check.results import Check, CheckFailed, Level, Rule, needs, recommended, required
from partner_api_check.target import Reply
from partner_api_check.tokens import SYSTEM, USER, TokenFactory, bearer, hs256_with_public_key
from partner_api_check.tokens import unsigned as unsigned_token

GROUP = "auth"
REFUSED = frozenset({401, 403})
OVERSIZED_PADDING = 12_000  # a ~16 KB token once encoded


class Forger:
    """Builds, for one endpoint and fixture, the headers of each refusal case."""

    def __init__(self, tokens: TokenFactory) -> None:
        self.tokens = tokens
        self.same_kid_other_key = generate_key(tokens.key.kid)
        self.unknown_key = generate_key(random_id("check-unknown-", 8))

    def claims(self, endpoint: Endpoint, fixture: Fixture, **overrides: Any) -> dict[str, Any]:
        return self.tokens.claims(endpoint.kind, fixture.installation_id, **overrides)

    def signed(self, endpoint: Endpoint, claims: dict[str, Any], key=None) -> dict[str, str]:
        return bearer(self.tokens.sign(claims, key), endpoint.kind)

    def with_claims(self, endpoint: Endpoint, fixture: Fixture, **overrides: Any):
        return self.signed(endpoint, self.claims(endpoint, fixture, **overrides))

    def without(self, endpoint: Endpoint, fixture: Fixture, name: str) -> dict[str, str]:
        claims = self.claims(endpoint, fixture)
        del claims[name]
        return self.signed(endpoint, claims)


Headers = Callable[[Forger, Endpoint, Fixture], dict[str, str]]


DOCUMENTED = required(docs.PARTNER_AUTH)
NO_EXP = recommended("the docs' token claims do not list exp; a token that never expires is "
                     "a stolen token that works forever")
AUTH_HEADER = recommended("the docs make X-Vercel-Auth optional and do not say it must agree "
                          "with the token; a server may judge by the claims alone")
OTHER_INSTALLATION = recommended("the docs do not say the token's installation_id must match "
                                 "the path; without that check one tenant's token reaches "
                                 "another tenant's installation")
OVERSIZED = recommended("the docs set no token size limit; a 16 KB token should be refused, "
                        "not crash the server")


@dataclass(frozen=True)
class Case:
    name: str
    headers: Headers
    rule: Rule = DOCUMENTED
    any_4xx: bool = False  # True: any refusal will do (the status is not the point)
    applies: Callable[[Endpoint], bool] = lambda endpoint: True


def _now() -> int:
    return int(time.time())


def _other_kind(kind: str) -> str:
    return SYSTEM if kind == USER else USER


CASES = [
    Case("no token", lambda f, e, x: {"X-Vercel-Auth": e.kind}),
    Case("basic scheme",
         lambda f, e, x: {"Authorization": "Basic Y2hlY2s6Y2hlY2s=", "X-Vercel-Auth": e.kind}),
    Case("bearer without a token",
         lambda f, e, x: {"Authorization": "Bearer", "X-Vercel-Auth": e.kind}),
    Case("alg none",
         lambda f, e, x: bearer(unsigned_token(f.claims(e, x), f.tokens.key.kid), e.kind)),
    Case("HS256 signed with the public key",
         lambda f, e, x: bearer(hs256_with_public_key(f.claims(e, x), f.tokens.key), e.kind)),
    Case("unknown kid", lambda f, e, x: f.signed(e, f.claims(e, x), f.unknown_key)),
    Case("known kid, wrong key", lambda f, e, x: f.signed(e, f.claims(e, x), f.same_kid_other_key)),
    Case("expired", lambda f, e, x: f.with_claims(e, x, iat=_now() - 3600, exp=_now() - 600)),
    Case("not yet valid", lambda f, e, x: f.with_claims(e, x, nbf=_now() + 3600)),
    Case("wrong iss", lambda f, e, x: f.with_claims(e, x, iss="https://issuer.invalid")),
    Case("wrong aud", lambda f, e, x: f.with_claims(e, x, aud=random_id("oac_someoneElse", 8))),
    Case("no exp claim", lambda f, e, x: f.without(e, x, "exp"), NO_EXP),
    Case("user token without user_role", lambda f, e, x: f.without(e, x, "user_role"),
         applies=lambda endpoint: endpoint.kind == USER),
    Case("X-Vercel-Auth contradicts the token",
         lambda f, e, x: bearer(f.tokens.sign(f.claims(e, x)), _other_kind(e.kind)),
         AUTH_HEADER),
    Case("unknown X-Vercel-Auth kind",
         lambda f, e, x: bearer(f.tokens.sign(f.claims(e, x)), "robot"), AUTH_HEADER),
    Case("oversized token",
         lambda f, e, x: f.with_claims(e, x, padding="x" * OVERSIZED_PADDING), OVERSIZED,
         any_4xx=True),
    Case("USER role on mutations",
         lambda f, e, x: f.tokens.headers(e.kind, x.installation_id, role="USER"),
         applies=lambda endpoint: endpoint.mutation),
    Case("token for another installation",
         lambda f, e, x: f.tokens.headers(e.kind, random_id("icfg_checkOther")),
         OTHER_INSTALLATION, applies=lambda endpoint: endpoint.bound),
]

STATE_CHECK = "refused calls change nothing"


@dataclass(frozen=True)
class Verdict:
    """What is wrong with one answer to a case: ``broken`` breaks the case's rule,
    ``finding`` is allowed by the docs but advised against (both None: a proper refusal)."""

    broken: str | None = None
    finding: str | None = None


def verdict(case: Case, reply: Reply) -> Verdict:
    if reply.ok:
        return Verdict(f"accepted with {reply.status}, expected a refusal (403)")
    if not 400 <= reply.status < 500:
        return Verdict(f"{reply.summary()}, expected a refusal (403)")
    if case.any_4xx:
        return Verdict()
    if reply.status not in REFUSED:
        return Verdict(finding=f"{reply.summary()}; the docs give 403 for a refused call")
    if schemas.problems("Error", reply.json):
        if reply.status == 403:
            return Verdict(f"403 without the error envelope: {reply.excerpt() or 'empty body'}")
        return Verdict(finding="401 without the error envelope")
    return Verdict()


def send_case(check: Check, forger: Forger, case: Case, fixture: Fixture,
              endpoints: list[Endpoint]) -> None:
    wrong, findings, statuses = [], [], Counter()
    for endpoint in filter(case.applies, endpoints):
        headers = case.headers(forger, endpoint, fixture)
        try:
            reply = check.call(endpoint.method, endpoint.path(fixture), headers=headers,
                               **endpoint.payload(fixture))
        except requests.ConnectionError:
            if not case.any_4xx:
                raise
            statuses["connection closed"] += 1  # a refusal too
            continue
        statuses[str(reply.status)] += 1
        judged = verdict(case, reply)
        if judged.broken:
            wrong.append(f"{endpoint.label}: {judged.broken}")
        if judged.finding:
            findings.append(f"{endpoint.label}: {judged.finding}")
    if findings:
        check.finding("; ".join(findings))
    if wrong:
        check.fail("; ".join(wrong))
    check.note(", ".join(f"{status}×{count}" for status, count in statuses.items()))


def state_rule(changed_by: list[Case]) -> Rule:
    """Required, unless only recommended cases got through (then their rule applies)."""
    if changed_by and all(case.rule.level is Level.RECOMMENDED for case in changed_by):
        return recommended("only calls the docs do not require refusing changed the "
                           "installation: " + "; ".join(dict.fromkeys(case.rule.basis
                                                                 for case in changed_by)))
    return DOCUMENTED


def fresh_fixture(ctx: Context) -> Fixture | None:
    """A new installation and resource, or None if the server refuses to make them."""
    fixture = Fixture(ctx)
    try:
        fixture.set_up(Check(ctx.target))
    except (CheckFailed, requests.RequestException):
        return None
    return fixture


SET_UP = "set up an installation and a resource"


def run(ctx: Context) -> None:
    fixture = Fixture(ctx)
    endpoints: list[Endpoint] = []
    with ctx.run.check(GROUP, SET_UP, required(docs.UPSERT_INSTALLATION)) as check:
        fixture.set_up(check)
        endpoints = available(ctx, fixture, check)
    if not endpoints:
        for case in CASES:
            ctx.run.skip(GROUP, case.name, needs(GROUP, SET_UP), case.rule)
        ctx.run.skip(GROUP, STATE_CHECK, needs(GROUP, SET_UP), DOCUMENTED)
        return
    forger = Forger(ctx.tokens)
    baseline, changed_by = state.snapshot(ctx, fixture), []
    for case in CASES:
        if fixture is None:
            ctx.run.skip(GROUP, case.name, needs(GROUP, changed_by[-1].name) + " (no fresh "
                         "installation could be made after it)", case.rule)
            continue
        with ctx.run.check(GROUP, case.name, case.rule) as check:
            send_case(check, forger, case, fixture, endpoints)
        if state.snapshot(ctx, fixture) != baseline:
            # A refusal let something through: carry on with a clean installation.
            changed_by.append(case)
            fixture.tear_down()
            fixture = fresh_fixture(ctx)
            baseline = state.snapshot(ctx, fixture) if fixture else []
    with ctx.run.check(GROUP, STATE_CHECK, state_rule(changed_by)) as check:
        if changed_by:
            check.fail("the installation or resource read back differently after: "
                       + ", ".join(case.name for case in changed_by))
        check.note(f"installation and resource unchanged after {len(CASES)} cases")
    if fixture is not None:
        fixture.tear_down()
