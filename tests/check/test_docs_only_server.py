"""A server that does what Vercel's docs require, and nothing more, passes with warnings."""

from __future__ import annotations

import pytest

from partner_api_check.report import Report
from partner_api_check.results import Level, Outcome
from tests.check.sample_server import DOCS_ONLY, judge


@pytest.fixture(scope="module")
def report() -> Report:
    return judge(DOCS_ONLY)


def result(report: Report, group: str, name: str):
    return next(r for r in report.checks if (r.group, r.name) == (group, name))


def test_no_check_fails(report):
    assert [f"{r.group} / {r.name}: {r.reason}" for r in report.checks
            if r.outcome is Outcome.FAIL] == []
    assert not report.failed()
    assert report.failed(strict=True)


def test_what_goes_beyond_the_docs_warns(report):
    warned = {(r.group, r.name) for r in report.checks if r.outcome is Outcome.WARN}
    assert warned == {
        ("lifecycle", "upsert installation"),  # 201 where the docs list 200/204
        ("auth", "no exp claim"),
        ("auth", "X-Vercel-Auth contradicts the token"),
        ("auth", "unknown X-Vercel-Auth kind"),
        ("auth", "token for another installation"),
        ("auth", "refused calls change nothing"),  # only by the four above
        ("idempotency", "provision: same key, different body"),
        ("webhooks", "forged signature"),
        ("webhooks", "missing signature"),
        ("webhooks", "tampered body"),
    }


def test_403_for_a_bad_token_passes(report):
    for name in ("no token", "expired", "wrong iss", "wrong aud", "alg none"):
        assert result(report, "auth", name).outcome is Outcome.PASS


def test_an_upsert_answered_201_is_one_finding_and_later_steps_run(report):
    upsert = result(report, "lifecycle", "upsert installation")
    assert "answered 201; the docs list 200/204" in upsert.reason
    for name in ("get installation", "provision resource", "get resource",
                 "delete installation"):
        assert result(report, "lifecycle", name).outcome is Outcome.PASS


def test_every_check_names_its_level_and_its_basis(report):
    for checked in report.checks:
        entry = checked.as_dict()
        if checked.rule.level is Level.REQUIRED:
            assert entry["docs"].startswith("https://vercel.com/docs/"), checked.name
        else:
            assert len(entry["rationale"]) > 20, checked.name
    warned = [r for r in report.checks if r.outcome is Outcome.WARN]
    assert all(r.rule.level is Level.RECOMMENDED for r in warned
               if r.name != "upsert installation")


def test_an_asynchronous_rotation_is_followed_to_vercel(report):
    assert result(report, "lifecycle", "rotate secrets").reason.startswith("202")
    pushed = result(report, "lifecycle", "rotated secrets reach vercel")
    assert (pushed.outcome, pushed.reason) == (Outcome.PASS, "PUT …/secrets with 1 secrets")
    assert result(report, "lifecycle", "vercel api calls use the installation token"
                  ).outcome is Outcome.PASS
    for name in ("malformed JSON", "wrong types", "delay over 720 hours"):
        assert result(report, "bodies", f"rotate secrets: {name}").outcome is Outcome.PASS


def test_a_transfer_is_created_verified_and_accepted_once(report):
    names = ("create transfer request", "verify transfer request", "accept transfer request",
             "verify accepted transfer request", "racing accepts")
    assert [result(report, "transfers", name).outcome for name in names] == [Outcome.PASS] * 5
    assert result(report, "transfers", "racing accepts").reason == "204 and 409"


def test_a_pending_resource_is_followed_to_its_event(report):
    assert "(pending, plan free, 1 secrets)" in result(report, "lifecycle",
                                                       "provision resource").reason
    announced = result(report, "lifecycle", "pending resource announced to vercel")
    assert announced.outcome is Outcome.PASS
    assert announced.reason.startswith("POST /v1/installations/icfg_check")
    assert announced.reason.endswith("/events → 201")


def test_billing_data_submitted_during_the_run_is_checked(report):
    billing = result(report, "lifecycle", "billing data sent to vercel")
    assert (billing.outcome, billing.reason) == (Outcome.PASS,
                                                 "POST …/billing with 1 usage metrics")
