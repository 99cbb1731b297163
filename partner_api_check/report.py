"""The run's report: a table for people, a JSON document for machines.

A run fails only on a FAIL (a broken documented rule); warnings fail it only when strict.
"""

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

    def failed(self, strict: bool = False) -> bool:
        """Whether a required check failed (or, if ``strict``, any check warned)."""
        failing = {Outcome.FAIL, Outcome.WARN} if strict else {Outcome.FAIL}
        return any(result.outcome in failing for result in self.checks)

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


def _level(result: CheckResult) -> str:
    return str(result.rule.level) if result.rule else ""


def render(report: Report) -> str:
    """The results table, every failure's and warning's full reason with the docs page or
    rationale behind it, and the counts."""
    rows = [("GROUP", "CHECK", "LEVEL", "RESULT", "REASON")] + [
        (r.group, r.name, _level(r), str(r.outcome).upper(), _shortened(r.reason, REASON_WIDTH))
        for r in report.checks
    ]
    widths = [max(len(row[column]) for row in rows) for column in range(4)]
    lines = ["  ".join([*(cell.ljust(width) for cell, width in zip(row[:4], widths, strict=True)),
                        row[4]]).rstrip() for row in rows]
    for title, outcome in (("Failures", Outcome.FAIL), ("Warnings", Outcome.WARN)):
        listed = [r for r in report.checks if r.outcome is outcome]
        if listed:
            lines += ["", f"{title}:"]
            lines += [f"- {r.group} / {r.name}: {r.reason}"
                      + (f" [{r.rule.basis}]" if r.rule else "") for r in listed]
    summary = report.summary
    lines += ["", f"{summary['pass']} passed, {summary['fail']} failed, "
                  f"{summary['warn']} warned, {summary['skip']} skipped"]
    return "\n".join(lines)
