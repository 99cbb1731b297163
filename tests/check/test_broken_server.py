"""The kit finds each defect planted in the broken sample server, at the level it deserves."""

from __future__ import annotations

import pytest

from partner_api_check import events
from partner_api_check.report import Report
from partner_api_check.results import Outcome
from tests.check.sample_server import BROKEN, judge


@pytest.fixture(scope="module")
def report() -> Report:
    return judge(BROKEN)


DEPLOYMENT_DELIVERIES = {("webhooks", f"signed {event_type}") for event_type in events.PAYLOADS
                         if event_type.startswith("deployment.")}


def outcome(report: Report, group: str, name: str):
    return next(r for r in report.checks if (r.group, r.name) == (group, name))


def by_outcome(report: Report, wanted: Outcome) -> set[tuple[str, str]]:
    return {(r.group, r.name) for r in report.checks if r.outcome is wanted}


def test_the_documented_defects_fail(report):
    assert by_outcome(report, Outcome.FAIL) == {
        ("auth", "wrong aud"),  # audience never checked
        ("auth", "USER role on mutations"),  # role ignored
        # Both let destructive calls through, so the installation did change.
        ("auth", "refused calls change nothing"),
        ("transfers", "racing accepts"),  # a completed claim accepted again
        ("lifecycle", "pending resource announced to vercel"),  # an undocumented event type
        *DEPLOYMENT_DELIVERIES,  # refused, so Vercel would retry them
        ("lifecycle", "billing data sent to vercel"),  # totals as numbers
    }
    assert report.failed()


def test_the_undocumented_ones_warn(report):
    assert by_outcome(report, Outcome.WARN) == {
        ("lifecycle", "provision resource"),  # 201 where the docs list 200
        ("bodies", "rejected bodies change nothing"),  # invalid metadata left a resource
    }


def test_reasons_name_what_went_wrong_and_the_rule(report):
    provision = outcome(report, "lifecycle", "provision resource")
    assert "answered 201; the docs list 200" in provision.reason
    wrong_aud = outcome(report, "auth", "wrong aud")
    assert "DELETE /v1/installations/{installation}: accepted with 200" in wrong_aud.reason
    assert wrong_aud.as_dict()["docs"].startswith("https://vercel.com/docs/")
    user_role = outcome(report, "auth", "USER role on mutations").reason
    assert "DELETE /v1/installations/{installation}/resources/{resource}: accepted with 204" \
           in user_role
    changed = outcome(report, "auth", "refused calls change nothing").reason
    assert changed.endswith("after: wrong aud, USER role on mutations")
    raced = outcome(report, "transfers", "racing accepts").reason
    assert raced == "2 of 2 racing accepts succeeded (204, 204); a claim is accepted once"
    announced = outcome(report, "lifecycle", "pending resource announced to vercel").reason
    assert announced.startswith("POST /v1/installations/")
    assert "/events: body is not the documented shape (CreateEvent): $.event:" in announced
    refused = outcome(report, "webhooks", "signed deployment.created").reason
    assert refused.startswith("expected 2xx, got 400")
    billing = outcome(report, "lifecycle", "billing data sent to vercel").reason
    assert billing == ("Submit Billing Data body is not the documented shape: "
                       "$.billing.items[0].total: 0 is not of type 'string'")
    leaked = outcome(report, "bodies", "rejected bodies change nothing")
    assert leaked.reason == "read back differently afterwards: resources"
    assert "rationale" in leaked.as_dict()


def test_missing_optional_endpoints_are_skipped_not_failed(report):
    for name in ("rotate secrets", "resource repl", "resource plans", "installation plans"):
        result = outcome(report, "lifecycle", name)
        assert result.outcome is Outcome.SKIP
        assert result.reason.startswith("not implemented (404)")
    assert outcome(report, "bodies", "resource repl: missing input").outcome is Outcome.SKIP


def test_checks_after_a_finding_run_on_what_the_server_made(report):
    # Provision's 201 is a warning, and the resource it made is used by the next steps.
    for name in ("get resource", "rename resource", "change resource plan", "delete resource"):
        assert outcome(report, "lifecycle", name).outcome is Outcome.PASS


def test_without_a_product_resource_checks_skip_and_say_why():
    report = judge(BROKEN, ("lifecycle", "bodies", "idempotency"), product=None)
    assert not report.failed()
    for group, name in [("lifecycle", "product plans"), ("lifecycle", "provision resource"),
                        ("bodies", "provision resource: invalid metadata"),
                        ("idempotency", "provision: same key twice")]:
        result = outcome(report, group, name)
        assert (result.outcome, result.reason) == (Outcome.SKIP, "pass --product SLUG")
    assert outcome(report, "lifecycle", "get resource").reason == (
        "needs 'lifecycle / provision resource'")
    assert outcome(report, "bodies", "upsert installation: wrong types").outcome is Outcome.PASS
