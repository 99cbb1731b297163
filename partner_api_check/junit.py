"""The run as JUnit XML, for CI: one test case per check, its level and docs as properties.

A FAIL is a ``<failure>``; a WARN is one too when the run is strict, else it passes with the
warning in ``<system-out>``; a SKIP is ``<skipped>``.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path

from partner_api_check.report import Report
from partner_api_check.results import Outcome


def document(report: Report, strict: bool = False) -> ET.ElementTree:
    summary = report.summary
    failing = {Outcome.FAIL, Outcome.WARN} if strict else {Outcome.FAIL}
    suite = ET.Element("testsuite", {
        "name": f"partner-api check {report.target}",
        "tests": str(summary["total"]),
        "failures": str(sum(result.outcome in failing for result in report.checks)),
        "skipped": str(summary["skip"]),
        "timestamp": report.started_at,
    })
    for result in report.checks:
        case = ET.SubElement(suite, "testcase", {"classname": result.group, "name": result.name})
        properties = ET.SubElement(case, "properties")
        values = {"outcome": str(result.outcome), **(result.rule.as_dict() if result.rule else {})}
        for name, value in values.items():
            ET.SubElement(properties, "property", {"name": name, "value": value})
        if result.outcome in failing:
            ET.SubElement(case, "failure", {"message": result.reason}).text = result.reason
        elif result.outcome is Outcome.WARN:
            ET.SubElement(case, "system-out").text = f"warning: {result.reason}"
        elif result.outcome is Outcome.SKIP:
            ET.SubElement(case, "skipped", {"message": result.reason})
    ET.indent(suite)
    return ET.ElementTree(suite)


def write_junit(report: Report, path: Path, strict: bool = False) -> None:
    document(report, strict).write(Path(path), encoding="utf-8", xml_declaration=True)
