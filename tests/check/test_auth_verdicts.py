"""How the auth group judges one answer to one refusal case: 401 and 403 both refuse."""

from __future__ import annotations

import json

import pytest

from partner_api_check.checks.auth import CASES, Verdict, state_rule, verdict
from partner_api_check.results import Level
from partner_api_check.target import Reply

ENVELOPE = json.dumps({"error": {"code": "unauthorized", "message": "Bad token."}})
BY_NAME = {case.name: case for case in CASES}


def reply(status: int, body: str = ENVELOPE) -> Reply:
    return Reply("GET", "/v1/installations/icfg_1", status, body)


@pytest.mark.parametrize("status", [401, 403])
@pytest.mark.parametrize("case", ["wrong aud", "expired", "no token", "USER role on mutations"])
def test_401_and_403_with_the_envelope_are_proper_refusals(case, status):
    assert verdict(BY_NAME[case], reply(status)) == Verdict()


def test_a_403_without_the_envelope_breaks_the_rule_a_401_is_a_finding():
    assert verdict(BY_NAME["expired"], reply(403, "Forbidden")) == Verdict(
        "403 without the error envelope: Forbidden")
    assert verdict(BY_NAME["expired"], reply(401, "Unauthorized")) == Verdict(
        finding="401 without the error envelope")


def test_another_4xx_is_a_finding_naming_what_came():
    assert verdict(BY_NAME["alg none"], reply(404, "")) == Verdict(
        finding="404; the docs give 403 for a refused call")


def test_a_success_or_a_server_error_breaks_the_rule():
    assert verdict(BY_NAME["no token"], reply(204, "")).broken == (
        "accepted with 204, expected a refusal (403)")
    assert verdict(BY_NAME["no token"], reply(500, "")).broken == (
        "500, expected a refusal (403)")


def test_an_oversized_token_may_get_any_4xx_but_not_a_success_or_crash():
    oversized = BY_NAME["oversized token"]
    assert verdict(oversized, reply(431, "")) == Verdict()
    assert verdict(oversized, reply(400, "Bad Request")) == Verdict()
    assert verdict(oversized, reply(200, "{}")).broken
    assert verdict(oversized, reply(502, "")).broken


def test_levels_follow_the_docs():
    recommended = {case.name for case in CASES if case.rule.level is Level.RECOMMENDED}
    assert recommended == {"no exp claim", "X-Vercel-Auth contradicts the token",
                           "unknown X-Vercel-Auth kind", "oversized token",
                           "token for another installation"}


def test_a_change_is_a_failure_only_if_a_required_case_let_it_through():
    assert state_rule([]).level is Level.REQUIRED
    assert state_rule([BY_NAME["no exp claim"]]).level is Level.RECOMMENDED
    assert state_rule([BY_NAME["no exp claim"], BY_NAME["wrong aud"]]).level is Level.REQUIRED
