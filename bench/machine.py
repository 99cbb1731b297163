"""What the figures were measured on."""

from __future__ import annotations

import os
import platform
import shutil
import subprocess
from importlib import metadata
from pathlib import Path

PACKAGES = ("flask", "flask-smorest", "marshmallow", "sqlalchemy", "psycopg", "joserfc",
            "gunicorn", "werkzeug")


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.partition(":")[2].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def _memory_gib() -> float | None:
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                return round(int(line.split()[1]) / 1024**2, 1)
    except OSError:
        pass
    return None


def _wrk_version() -> str:
    found = shutil.which("wrk")
    if found is None:
        return "not installed"
    output = subprocess.run([found, "--version"], capture_output=True, text=True).stdout  # noqa: S603
    return output.splitlines()[0].split(" Copyright")[0] if output else "unknown"


def describe() -> dict:
    return {
        "nproc": os.cpu_count(),
        "cpu": _cpu_model(),
        "memory_gib": _memory_gib(),
        "python": platform.python_version(),
        "kernel": platform.release(),
        "wrk": _wrk_version(),
        "packages": {name: metadata.version(name) for name in PACKAGES},
    }
