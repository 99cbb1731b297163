"""Drive one load run with wrk (a separate process, on loopback) and read its figures."""

from __future__ import annotations

import json
import resource
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

SCRIPT = Path(__file__).with_name("replay.lua")
MARKER = "WRK_JSON "


@dataclass(frozen=True)
class Figures:
    exhausted: bool  # the requests ran out before the time did: the figures undercount
    requests: int
    seconds: float
    p50_ms: float
    p90_ms: float
    p99_ms: float
    errors: dict[str, int]
    loadgen_cpu_seconds: float

    @property
    def throughput(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0


def require_wrk() -> str:
    found = shutil.which("wrk")
    if found is None:
        raise SystemExit("wrk is not installed: apt-get install -y wrk (Debian's package)")
    return found


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def run(base_url: str, requests_file: Path, *, connections: int, seconds: float) -> Figures:
    """Send the file's requests over `connections` keep-alive connections from one wrk thread.

    One thread is plenty for these rates and leaves the most CPU to the server: on a small
    machine the load generator competes with it for the same cores.
    """
    cpu_before = _children_cpu()
    completed = subprocess.run(  # noqa: S603 - wrk, with our own arguments
        [
            require_wrk(), "-t1", f"-c{connections}", f"-d{max(1, round(seconds))}s",
            "--timeout", "10s", "-s", str(SCRIPT), f"{base_url}/", "--", str(requests_file),
        ],
        capture_output=True, text=True, check=True, timeout=seconds + 60,
    )
    cpu = _children_cpu() - cpu_before
    line = next(
        (line for line in completed.stdout.splitlines() if line.startswith(MARKER)), None
    )
    if line is None:
        raise RuntimeError(f"wrk printed no figures:\n{completed.stdout}\n{completed.stderr}")
    data = json.loads(line[len(MARKER):])
    return Figures(
        exhausted=data["exhausted"],
        requests=data["requests"],
        seconds=data["duration_us"] / 1e6,
        p50_ms=data["p50_us"] / 1000,
        p90_ms=data["p90_us"] / 1000,
        p99_ms=data["p99_us"] / 1000,
        errors={name: count for name, count in data["errors"].items() if count},
        loadgen_cpu_seconds=round(cpu, 3),
    )
