"""Refusals (§2.1.4–§2.1.6): tokens Vercel never sends, and calls a valid token may not make.

Each case is sent to every endpoint it applies to. A bad or missing token must get 401, a
valid token that is not allowed 403, both with the error envelope; a 2xx is always a failure.
After each case the installation and resource must read back as before.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import requests

from partner_api_check import schemas
from partner_api_check.context import Context, random_id
from partner_api_check.endpoints import Endpoint, available
from partner_api_check.fixtures import Fixture
from partner_api_check.keys import generate_key
from partner_api_check.results import Check, CheckFailed
from partner_api_check.target import Reply
from partner_api_check.tokens import SYSTEM, USER, TokenFactory, bearer, hs256_with_public_key
from partner_api_check.tokens import unsigned as unsigned_token

GROUP = "auth"
UNAUTHORIZED = frozenset({401})
FORBIDDEN = frozenset({403})
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


@dataclass(frozen=True)
class Case:
    name: str
    headers: Headers
    expected: frozenset[int] | None = UNAUTHORIZED  # None: any 4xx
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
    Case("no exp claim", lambda f, e, x: f.without(e, x, "exp")),
    Case("user token without user_role", lambda f, e, x: f.without(e, x, "user_role"),
         applies=lambda endpoint: endpoint.kind == USER),
    Case("X-Vercel-Auth contradicts the token",
         lambda f, e, x: bearer(f.tokens.sign(f.claims(e, x)), _other_kind(e.kind)),
         expected=REFUSED),
    Case("unknown X-Vercel-Auth kind",
         lambda f, e, x: bearer(f.tokens.sign(f.claims(e, x)), "robot"), expected=REFUSED),
    Case("oversized token",
         lambda f, e, x: f.with_claims(e, x, padding="x" * OVERSIZED_PADDING), expected=None),
    Case("USER role on mutations",
         lambda f, e, x: f.tokens.headers(e.kind, x.installation_id, role="USER"),
         expected=FORBIDDEN, applies=lambda endpoint: endpoint.mutation),
    Case("token for another installation",
         lambda f, e, x: f.tokens.headers(e.kind, random_id("icfg_checkOther")),
         expected=FORBIDDEN, applies=lambda endpoint: endpoint.bound),
]

STATE_CHECK = "refused calls change nothing"


def verdict(case: Case, reply: Reply) -> str | None:
    """What is wrong with ``reply`` to ``case`` (None: it is a proper refusal)."""
    if case.expected is None:
        return None if 400 <= reply.status < 500 else f"{reply.summary()}, expected a 4xx"
    expected = "/".join(str(status) for status in sorted(case.expected))
    if reply.status in case.expected:
        return "no error envelope" if schemas.problems("Error", reply.json) else None
    if reply.ok:
        return f"accepted with {reply.status}, expected {expected}"
    return f"{reply.summary()}, expected {expected}"


def send_case(check: Check, forger: Forger, case: Case, fixture: Fixture,
              endpoints: list[Endpoint]) -> None:
    wrong, statuses = [], Counter()
    for endpoint in filter(case.applies, endpoints):
        headers = case.headers(forger, endpoint, fixture)
        try:
            reply = check.call(endpoint.method, endpoint.path(fixture), headers=headers,
                               **endpoint.payload(fixture))
        except requests.ConnectionError:
            if case.expected is not None:
                raise
            statuses["connection closed"] += 1  # a refusal too
            continue
        statuses[str(reply.status)] += 1
        problem = verdict(case, reply)
        if problem:
            wrong.append(f"{endpoint.label}: {problem}")
    if wrong:
        check.fail("; ".join(wrong))
    check.note(", ".join(f"{status}×{count}" for status, count in statuses.items()))


def fresh_fixture(ctx: Context) -> Fixture | None:
    """A new installation and resource, or None if the server refuses to make them."""
    fixture = Fixture(ctx)
    try:
        fixture.set_up(Check(ctx.target))
    except (CheckFailed, requests.RequestException):
        return None
    return fixture


def run(ctx: Context) -> None:
    fixture = Fixture(ctx)
    endpoints: list[Endpoint] = []
    with ctx.run.check(GROUP, "set up an installation and a resource") as check:
        fixture.set_up(check)
        endpoints = available(ctx, fixture, check)
    if not endpoints:
        for case in CASES:
            ctx.run.skip(GROUP, case.name, "set-up failed")
        ctx.run.skip(GROUP, STATE_CHECK, "set-up failed")
        return
    forger = Forger(ctx.tokens)
    baseline, changed_by = fixture.snapshot(), []
    for case in CASES:
        if fixture is None:
            ctx.run.skip(GROUP, case.name, f"no fresh installation after {changed_by[-1]!r}")
            continue
        with ctx.run.check(GROUP, case.name) as check:
            send_case(check, forger, case, fixture, endpoints)
        if fixture.snapshot() != baseline:
            # A refusal let something through: carry on with a clean installation.
            changed_by.append(case.name)
            fixture.tear_down()
            fixture = fresh_fixture(ctx)
            baseline = fixture.snapshot() if fixture else []
    with ctx.run.check(GROUP, STATE_CHECK) as check:
        if changed_by:
            check.fail("the installation or resource read back differently after: "
                       + ", ".join(changed_by))
        check.note(f"installation and resource unchanged after {len(CASES)} cases")
    if fixture is not None:
        fixture.tear_down()
