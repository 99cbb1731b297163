"""The benchmark's harness works end to end: `python bench/run.py --smoke`.

It serves the ceiling and the app under gunicorn, signs a token per request and drives them
with wrk; the figures themselves are not asserted (tests never time anything).
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.serverproc import ROOT

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.skipif(shutil.which("wrk") is None, reason="needs wrk (apt-get install wrk)"),
]


def test_smoke_run_measures_every_scenario_without_errors(tmp_path: Path):
    out = tmp_path / "results.json"
    subprocess.run(
        [sys.executable, "bench/run.py", "--smoke", "--out", str(out)],
        cwd=ROOT, check=True, capture_output=True, timeout=120,
    )
    results = json.loads(out.read_text())
    runs = {row["scenario"]: row for row in results["runs"]}
    floors = {"floor_token", "floor_get_resource", "floor_provision"}
    assert set(runs) == {"ceiling", *floors, "get_resource", "provision", "mixed"}
    for row in runs.values():
        assert row["rounds"] == 2 and len(row["throughput_by_round"]) == 2, row
        assert row["requests"] > 0, row
        assert row["errors"] == {}, row
        assert row["ratio_to_ceiling"] > 0, row
    assert runs["ceiling"]["ratio_to_ceiling"] == 1.0
    assert set(results["summary"]["sqlite"]["get_resource"]) >= {"peak_rps", "target_met"}
    assert results["machine"]["nproc"] >= 1
