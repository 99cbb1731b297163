"""The report: the JSON document, the table, and what counts as a failed run."""

from __future__ import annotations

import json

from partner_api_check.report import REASON_WIDTH, Report, render, write_json
from partner_api_check.results import CheckResult, Outcome

CHECKS = [
    CheckResult("lifecycle", "upsert installation", Outcome.PASS, "200",
                {"calls": [{"method": "PUT", "path": "/v1/installations/icfg_1", "status": 200,
                            "excerpt": ""}]}),
    CheckResult("auth", "wrong aud", Outcome.FAIL, "GET /v1/x: accepted with 200. " * 10),
    CheckResult("webhooks", "signed delivery", Outcome.SKIP, "pass --client-secret"),
]


def report(checks=CHECKS) -> Report:
    return Report(target="http://127.0.0.1:8000", started_at="2026-01-01T00:00:00Z",
                  settings={"INTEGRATION_CLIENT_ID": "oac_check1"}, checks=list(checks))


def test_json_report_has_every_section(tmp_path):
    path = tmp_path / "report.json"
    write_json(report(), path)
    document = json.loads(path.read_text())
    assert set(document) == {"target", "started_at", "settings", "checks", "summary"}
    assert document["target"] == "http://127.0.0.1:8000"
    assert document["settings"] == {"INTEGRATION_CLIENT_ID": "oac_check1"}
    assert document["summary"] == {"total": 3, "pass": 1, "fail": 1, "skip": 1}
    assert document["checks"][0] == {
        "group": "lifecycle", "name": "upsert installation", "outcome": "pass",
        "reason": "200", "details": CHECKS[0].details,
    }
    assert [check["outcome"] for check in document["checks"]] == ["pass", "fail", "skip"]


def test_only_a_failure_fails_the_run():
    assert report().failed
    assert not report([CHECKS[0], CHECKS[2]]).failed
    assert not report([]).failed


def test_table_lists_every_check_then_the_full_reasons_of_failures():
    text = render(report())
    lines = text.splitlines()
    assert lines[0].split() == ["GROUP", "CHECK", "RESULT", "REASON"]
    assert lines[1].split()[:4] == ["lifecycle", "upsert", "installation", "PASS"]
    failing_row = lines[2]
    assert "FAIL" in failing_row and failing_row.endswith("…")
    assert len(failing_row.split("FAIL", 1)[1].strip()) == REASON_WIDTH
    assert "SKIP    pass --client-secret" in lines[3]
    assert f"- auth / wrong aud: {CHECKS[1].reason}" in lines
    assert lines[-1] == "3 checks: 1 passed, 1 failed, 1 skipped"


def test_a_clean_run_has_no_failures_section():
    text = render(report([CHECKS[0]]))
    assert "Failures:" not in text
    assert text.endswith("1 checks: 1 passed, 0 failed, 0 skipped")
