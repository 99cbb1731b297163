"""The report: the JSON document, the table, and what counts as a failed run."""

from __future__ import annotations

import json

from partner_api_check.report import REASON_WIDTH, Report, render, write_json
from partner_api_check.results import CheckResult, Outcome, recommended, required

DOCS = "https://vercel.com/docs/integrations/create-integration/marketplace-api/reference/partner"
CHECKS = [
    CheckResult("lifecycle", "upsert installation", Outcome.PASS, "200",
                {"calls": [{"method": "PUT", "path": "/v1/installations/icfg_1", "status": 200,
                            "excerpt": ""}]}, required(DOCS + "/upsert-installation")),
    CheckResult("auth", "wrong aud", Outcome.FAIL, "GET /v1/x: accepted with 200. " * 10,
                rule=required(DOCS)),
    CheckResult("auth", "no exp claim", Outcome.WARN, "GET /v1/x: accepted with 200",
                rule=recommended("tokens should expire")),
    CheckResult("webhooks", "signed delivery", Outcome.SKIP, "pass --client-secret",
                rule=required("https://vercel.com/docs/webhooks/webhooks-api")),
]


def report(checks=CHECKS) -> Report:
    return Report(target="http://127.0.0.1:8000", started_at="2026-01-01T00:00:00Z",
                  settings={"INTEGRATION_CLIENT_ID": "oac_check1"}, checks=list(checks))


def test_json_report_has_every_section_and_each_checks_level(tmp_path):
    path = tmp_path / "report.json"
    write_json(report(), path)
    document = json.loads(path.read_text())
    assert set(document) == {"target", "started_at", "settings", "checks", "summary"}
    assert document["target"] == "http://127.0.0.1:8000"
    assert document["settings"] == {"INTEGRATION_CLIENT_ID": "oac_check1"}
    assert document["summary"] == {"total": 4, "pass": 1, "fail": 1, "warn": 1, "skip": 1}
    assert document["checks"][0] == {
        "group": "lifecycle", "name": "upsert installation", "outcome": "pass",
        "reason": "200", "details": CHECKS[0].details, "level": "required",
        "docs": DOCS + "/upsert-installation",
    }
    assert document["checks"][2]["level"] == "recommended"
    assert document["checks"][2]["rationale"] == "tokens should expire"
    assert [check["outcome"] for check in document["checks"]] == ["pass", "fail", "warn", "skip"]


def test_only_a_failure_fails_the_run_unless_strict():
    assert report().failed()
    without_failure = report([CHECKS[0], CHECKS[2], CHECKS[3]])
    assert not without_failure.failed()
    assert without_failure.failed(strict=True)
    assert not report([CHECKS[0], CHECKS[3]]).failed(strict=True)
    assert not report([]).failed()


def test_table_lists_every_check_then_failures_and_warnings_with_their_basis():
    text = render(report())
    lines = text.splitlines()
    assert lines[0].split() == ["GROUP", "CHECK", "LEVEL", "RESULT", "REASON"]
    assert lines[1].split()[:5] == ["lifecycle", "upsert", "installation", "required", "PASS"]
    failing_row = lines[2]
    assert "required     FAIL" in failing_row and failing_row.endswith("…")
    assert len(failing_row.split("FAIL", 1)[1].strip()) == REASON_WIDTH
    assert "recommended  WARN    GET /v1/x: accepted with 200" in lines[3]
    assert "required     SKIP    pass --client-secret" in lines[4]
    assert f"- auth / wrong aud: {CHECKS[1].reason} [{DOCS}]" in lines
    warnings = lines.index("Warnings:")
    assert lines[warnings + 1] == (
        "- auth / no exp claim: GET /v1/x: accepted with 200 [tokens should expire]")
    assert lines[-1] == "1 passed, 1 failed, 1 warned, 1 skipped"


def test_a_clean_run_has_no_failures_or_warnings_section():
    text = render(report([CHECKS[0]]))
    assert "Failures:" not in text and "Warnings:" not in text
    assert text.endswith("1 passed, 0 failed, 0 warned, 0 skipped")
