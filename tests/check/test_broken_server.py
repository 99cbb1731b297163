"""The kit finds exactly the three faults planted in `broken_server`, and nothing else."""

from __future__ import annotations

import pytest
import requests

from partner_api_check.context import Settings
from partner_api_check.kit import Kit
from partner_api_check.report import Report
from partner_api_check.results import Outcome
from tests.check import broken_server

CLIENT_SECRET = "broken-client-secret"


@pytest.fixture(scope="module")
def report() -> Report:
    with Kit() as kit:
        jwks = requests.get(kit.server_settings()["VERCEL_JWKS_URL"], timeout=5).json()
        app = broken_server.create_app(jwks, kit.tokens.issuer, CLIENT_SECRET)
        with broken_server.serving(app) as base_url:
            yield kit.check(Settings(base_url, product=broken_server.PRODUCT,
                                     client_secret=CLIENT_SECRET))


def outcome(report: Report, group: str, name: str):
    return next(r for r in report.checks if (r.group, r.name) == (group, name))


def test_exactly_the_planted_faults_fail(report):
    failed = {(r.group, r.name) for r in report.checks if r.outcome is Outcome.FAIL}
    assert failed == {
        ("lifecycle", "provision resource"),  # answers 201
        ("auth", "wrong aud"),  # audience never checked
        ("auth", "USER role on mutations"),  # role ignored
        # Both let destructive calls through, so the installation did change.
        ("auth", "refused calls change nothing"),
    }
    assert report.failed


def test_failure_reasons_name_what_went_wrong(report):
    assert "expected 200, got 201" in outcome(report, "lifecycle", "provision resource").reason
    wrong_aud = outcome(report, "auth", "wrong aud").reason
    assert "DELETE /v1/installations/{installation}: accepted with 200, expected 401" in wrong_aud
    user_role = outcome(report, "auth", "USER role on mutations").reason
    assert "DELETE /v1/installations/{installation}/resources/{resource}: accepted with 204, " \
           "expected 403" in user_role
    changed = outcome(report, "auth", "refused calls change nothing").reason
    assert changed.endswith("after: wrong aud, USER role on mutations")


def test_missing_optional_endpoints_are_skipped_not_failed(report):
    for name in ("rotate secrets", "resource repl", "resource plans", "installation plans"):
        result = outcome(report, "lifecycle", name)
        assert result.outcome is Outcome.SKIP
        assert result.reason.startswith("not implemented (404)")
    assert outcome(report, "bodies", "resource repl: missing input").outcome is Outcome.SKIP


def test_checks_after_a_fault_still_run(report):
    # Provision's 201 fails its check, but the resource it made is used by the next steps.
    for name in ("get resource", "rename resource", "change resource plan", "delete resource"):
        assert outcome(report, "lifecycle", name).outcome is Outcome.PASS


def test_without_a_product_resource_checks_skip_and_say_why():
    with Kit() as kit:
        jwks = requests.get(kit.server_settings()["VERCEL_JWKS_URL"], timeout=5).json()
        app = broken_server.create_app(jwks, kit.tokens.issuer, CLIENT_SECRET)
        with broken_server.serving(app) as base_url:
            report = kit.check(Settings(base_url), ["lifecycle", "bodies", "idempotency"])
    assert not report.failed
    for group, name in [("lifecycle", "product plans"), ("lifecycle", "provision resource"),
                        ("bodies", "provision resource: invalid metadata"),
                        ("idempotency", "provision: same key twice")]:
        result = outcome(report, group, name)
        assert (result.outcome, result.reason) == (Outcome.SKIP, "pass --product SLUG")
    assert outcome(report, "lifecycle", "get resource").reason == (
        "needs a resource from 'provision resource'")
    assert outcome(report, "bodies", "upsert installation: wrong types").outcome is Outcome.PASS
