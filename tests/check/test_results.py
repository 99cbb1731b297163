"""A check passes unless it fails, warns or skips; any error inside it fails only that check."""

from __future__ import annotations

import json

import pytest
import requests
import responses

from partner_api_check.results import Outcome, Run, recommended, required
from partner_api_check.target import Target

BASE = "http://partner.test/vercel"
RULE = required("https://vercel.com/docs/integrations/create-integration/marketplace-api")


@pytest.fixture
def run() -> Run:
    return Run(Target(BASE))


@responses.activate
def test_a_check_without_objection_passes_with_its_statuses(run):
    responses.put(f"{BASE}/v1/installations/icfg_1", status=204)
    with run.check("lifecycle", "upsert", RULE) as check:
        check.expect_status(check.call("PUT", "/v1/installations/icfg_1", json_body={}), 200, 204)
    [result] = run.results
    assert (result.outcome, result.reason) == (Outcome.PASS, "204")
    assert result.details["calls"] == [{"method": "PUT", "path": "/v1/installations/icfg_1",
                                        "status": 204, "excerpt": ""}]
    assert responses.calls[0].request.headers["Idempotency-Key"].startswith("check-")


@responses.activate
def test_an_unexpected_status_fails_with_the_body_excerpt(run):
    responses.get(f"{BASE}/v1/x", status=500, json={"error": {"code": "boom", "message": "m"}})
    with run.check("lifecycle", "get", RULE) as check:
        check.expect_status(check.call("GET", "/v1/x"), 200)
        check.note("never reached")
    [result] = run.results
    assert result.outcome is Outcome.FAIL
    assert result.reason == ('GET /v1/x: expected 200, got 500: '
                             '{"error": {"code": "boom", "message": "m"}}')


@responses.activate
def test_a_body_off_schema_fails_naming_the_problem(run):
    responses.get(f"{BASE}/v1/plans", json={"plans": [{"id": "a"}]})
    with run.check("lifecycle", "plans", RULE) as check:
        check.expect_schema(check.call("GET", "/v1/plans"), "Plans")
    assert run.results[0].reason.startswith(
        "GET /v1/plans: body is not a Plans ($.plans[0]: 'description' is a required property")


def test_skip_and_notes(run):
    with run.check("webhooks", "signed", RULE) as check:
        check.note("tried")
        check.skip("pass --client-secret")
    with run.check("webhooks", "noted", RULE) as check:
        check.note("first")
        check.note("second")
    assert [(r.outcome, r.reason) for r in run.results] == [
        (Outcome.SKIP, "pass --client-secret"), (Outcome.PASS, "first; second")]
    assert run.results[0].details == {"notes": ["tried"]}


@responses.activate
def test_an_error_inside_a_check_fails_it_and_the_run_goes_on(run):
    responses.get(f"{BASE}/v1/down", body=requests.ConnectionError("refused"))
    with run.check("auth", "first", RULE) as check:
        check.call("GET", "/v1/down")
    with run.check("auth", "second", RULE) as check:
        json.loads("not json")
    assert [(r.name, r.outcome) for r in run.results] == [
        ("first", Outcome.FAIL), ("second", Outcome.FAIL)]
    assert run.results[0].reason == "ConnectionError: refused"
    assert run.results[1].reason.startswith("JSONDecodeError:")


@responses.activate
def test_excerpts_never_show_secrets_or_tokens(run):
    token = "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ4In0.c2lnbmF0dXJl"
    responses.post(f"{BASE}/v1/r", json={
        "id": "res_1", "secrets": [{"name": "URL", "value": "postgres://u:pw@h"}],
        "note": f"echo {token}", "access_token": "vercel-token"})
    with run.check("lifecycle", "provision", RULE) as check:
        check.call("POST", "/v1/r")
    excerpt = run.results[0].details["calls"][0]["excerpt"]
    assert excerpt == ('{"id": "res_1", "secrets": "***", "note": "echo ***", '
                       '"access_token": "***"}')


@responses.activate
def test_an_undocumented_success_is_a_finding_and_the_check_goes_on(run):
    responses.post(f"{BASE}/v1/r", status=201, json={"id": "res_1"})
    with run.check("lifecycle", "provision", RULE) as check:
        reply = check.call("POST", "/v1/r")
        check.expect_status(reply, 200)
        check.note(f"went on to {reply.json['id']}")
    [result] = run.results
    assert (result.outcome, result.reason) == (
        Outcome.WARN, "POST /v1/r: answered 201; the docs list 200")
    assert result.details["notes"] == ["went on to res_1"]


@responses.activate
def test_a_documented_error_status_is_still_a_failure(run):
    responses.get(f"{BASE}/v1/x", status=404)
    with run.check("lifecycle", "get", RULE) as check:
        check.expect_status(check.call("GET", "/v1/x"), 200)
    assert run.results[0].outcome is Outcome.FAIL


def test_a_broken_recommendation_warns_and_says_why(run):
    rule = recommended("beyond the docs, because")
    with run.check("auth", "no exp claim", rule) as check:
        check.fail("accepted")
    [result] = run.results
    assert (result.outcome, result.reason, result.rule) == (Outcome.WARN, "accepted", rule)
    assert result.as_dict()["rationale"] == "beyond the docs, because"
