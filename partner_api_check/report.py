"""The run's report: a table for people, a JSON document for machines."""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from partner_api_check.results import CheckResult, Outcome

REASON_WIDTH = 90


@dataclass(frozen=True)
class Report:
    target: str
    started_at: str
    settings: dict[str, Any]
    checks: list[CheckResult]

    @property
    def summary(self) -> dict[str, int]:
        counts = Counter(result.outcome for result in self.checks)
        return {"total": len(self.checks), **{str(o): counts[o] for o in Outcome}}

    @property
    def failed(self) -> bool:
        return any(result.outcome is Outcome.FAIL for result in self.checks)

    def as_dict(self) -> dict[str, Any]:
        return {
            "target": self.target,
            "started_at": self.started_at,
            "settings": self.settings,
            "checks": [result.as_dict() for result in self.checks],
            "summary": self.summary,
        }


def write_json(report: Report, path: Path) -> None:
    Path(path).write_text(json.dumps(report.as_dict(), indent=2) + "\n", encoding="utf-8")


def _shortened(text: str, width: int) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"


def render(report: Report) -> str:
    """The results table, every failure's full reason, and the counts."""
    rows = [("GROUP", "CHECK", "RESULT", "REASON")] + [
        (r.group, r.name, str(r.outcome).upper(), _shortened(r.reason, REASON_WIDTH))
        for r in report.checks
    ]
    widths = [max(len(row[column]) for row in rows) for column in range(3)]
    lines = ["  ".join([*(cell.ljust(width) for cell, width in zip(row[:3], widths, strict=True)),
                        row[3]]).rstrip() for row in rows]
    failures = [r for r in report.checks if r.outcome is Outcome.FAIL]
    if failures:
        lines += ["", "Failures:"]
        lines += [f"- {r.group} / {r.name}: {r.reason}" for r in failures]
    summary = report.summary
    lines += ["", f"{summary['total']} checks: {summary['pass']} passed, "
                  f"{summary['fail']} failed, {summary['skip']} skipped"]
    return "\n".join(lines)
