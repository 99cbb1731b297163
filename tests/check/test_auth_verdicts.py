"""How the auth group judges one answer to one refusal case."""

from __future__ import annotations

import json

from partner_api_check.checks.auth import CASES, verdict
from partner_api_check.target import Reply

ENVELOPE = json.dumps({"error": {"code": "unauthorized", "message": "Bad token."}})
BY_NAME = {case.name: case for case in CASES}


def reply(status: int, body: str = ENVELOPE) -> Reply:
    return Reply("GET", "/v1/installations/icfg_1", status, body)


def test_the_expected_refusal_with_an_envelope_is_right():
    assert verdict(BY_NAME["wrong aud"], reply(401)) is None
    assert verdict(BY_NAME["USER role on mutations"], reply(403)) is None
    assert verdict(BY_NAME["unknown X-Vercel-Auth kind"], reply(403)) is None


def test_a_refusal_without_the_envelope_is_wrong():
    assert verdict(BY_NAME["expired"], reply(401, "Unauthorized")) == "no error envelope"


def test_another_4xx_for_a_bad_token_is_wrong_and_says_what_came():
    assert verdict(BY_NAME["alg none"], reply(403)) == (
        '403: {"error": {"code": "unauthorized", "message": "Bad token."}}, expected 401')
    assert verdict(BY_NAME["token for another installation"], reply(404, "")) == (
        "404, expected 403")


def test_a_success_is_always_wrong():
    assert verdict(BY_NAME["no token"], reply(204, "")) == "accepted with 204, expected 401"


def test_an_oversized_token_may_get_any_4xx_but_not_a_success_or_crash():
    oversized = BY_NAME["oversized token"]
    assert verdict(oversized, reply(431, "")) is None
    assert verdict(oversized, reply(400, "Bad Request")) is None
    assert verdict(oversized, reply(200, "{}")) == "200: {}, expected a 4xx"
    assert verdict(oversized, reply(502, "")) == "502, expected a 4xx"
