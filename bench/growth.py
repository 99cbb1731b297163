"""Growth: the hourly billing-data submission at two sizes, its time and its peak memory.

    python bench/growth.py --sizes 1000,10000 --resources 2 --db sqlite --out bench/growth.json

Each size runs in its own process on a fresh database, seeded in bulk, with VERCEL_API_URL
pointing at a local stand-in (bench/vercel_stub.py). Two phases are measured:

1. `billing.submit_all`, the periodic task: walks the billed installations a batch at a time
   and enqueues one `billing.submit_installation` job each;
2. the worker loop (`jobs.queue.run_due`) running those jobs: each reads the installation's
   usage, builds its billing data and POSTs it to the stand-in.

Figures per phase: seconds, microseconds per installation, and the peak of Python
allocations during the phase (tracemalloc, which also slows both sizes alike). Time should
grow with the count, per-installation time and peak memory should not.
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import subprocess
import sys
import tempfile
import time
import tracemalloc
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench import machine, servers
from bench.run import _environment, _server_settings
from bench.seed import seed
from partner_api import create_app
from partner_api.auth import devkeys
from partner_api.billing.submission import SUBMIT_INSTALLATION, submit_all
from partner_api.extensions import db
from partner_api.jobs.models import DONE, Job
from partner_api.jobs.queue import run_due
from tests.serverproc import free_port

SLOT = datetime(2026, 11, 15, 10, tzinfo=UTC)


def _phase(work: Callable[[], int]) -> dict:
    """Run `work` (it returns how many installations it handled) under tracemalloc."""
    tracemalloc.start()
    started = time.perf_counter()
    count = work()
    seconds = time.perf_counter() - started
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return {
        "installations": count,
        "seconds": round(seconds, 3),
        "us_per_installation": round(seconds / count * 1e6, 1) if count else None,
        "peak_python_mib": round(peak / 2**20, 2),
    }


def _enqueue_all() -> int:
    submit_all(SLOT)
    return db.session.query(Job).filter(Job.kind == SUBMIT_INSTALLATION).count()


def _run_jobs() -> int:
    run_due()
    return (
        db.session.query(Job)
        .filter(Job.kind == SUBMIT_INSTALLATION, Job.state == DONE)
        .count()
    )


def _wait_for_port(port: int) -> None:
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        with socket.socket() as probe:
            if probe.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.05)
    raise RuntimeError("the Vercel stand-in did not start")


def one_size(installations: int, resources: int, kind: str, postgres_url: str) -> dict:
    """Both phases at one size, on a fresh database (run in a process of its own)."""
    port = free_port()
    stub = subprocess.Popen(  # noqa: S603 - our own stand-in
        [sys.executable, str(Path(__file__).with_name("vercel_stub.py")), str(port)]
    )
    try:
        _wait_for_port(port)
        with tempfile.TemporaryDirectory(prefix="partner-api-growth-") as tmp:
            workdir = Path(tmp)
            jwks = workdir / "jwks.json"
            jwks.write_text(json.dumps(devkeys.public_jwks(devkeys.generate_signing_key())))
            settings = {**_server_settings(jwks), "VERCEL_API_URL": f"http://127.0.0.1:{port}",
                        "LOG_LEVEL": "WARNING"}
            with servers.database(kind, workdir, postgres_url) as url:
                env = servers.environment(url, 0, settings)
                servers.release(env)
                with _environment(env):
                    app = create_app()
                with app.app_context():
                    seed(installations, resources)
                    result = {
                        "installations": installations,
                        "resources_per_installation": resources,
                        "enqueue": _phase(_enqueue_all),
                        "jobs": _phase(_run_jobs),
                    }
                    db.session.remove()
                    db.engine.dispose()
        return result
    finally:
        stub.terminate()
        stub.wait(timeout=10)


def _options(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="1000,10000")
    parser.add_argument("--resources", type=int, default=2, help="per installation")
    parser.add_argument("--db", choices=["sqlite", "postgres"], default="sqlite")
    parser.add_argument("--postgres-url", default=os.environ.get(
        "BENCH_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/postgres"))
    parser.add_argument("--out", type=Path, default=Path("bench/growth.json"))
    parser.add_argument("--one", type=int, help=argparse.SUPPRESS)  # a child: one size
    return parser.parse_args(argv)


def render(results: dict) -> str:
    lines = [
        f"{results['db']}, {results['resources_per_installation']} resources per installation",
        "| installations | phase | seconds | µs per installation | peak Python MiB |",
        "|---:|---|---:|---:|---:|",
    ]
    for size in results["sizes"]:
        for phase in ("enqueue", "jobs"):
            figures = size[phase]
            lines.append(
                f"| {size['installations']} | {phase} | {figures['seconds']:.2f} | "
                f"{figures['us_per_installation']:.0f} | {figures['peak_python_mib']:.2f} |"
            )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> dict:
    options = _options(argv)
    if options.one:
        result = one_size(options.one, options.resources, options.db, options.postgres_url)
        print(json.dumps(result))
        return result
    sizes = []
    for size in (int(size) for size in options.sizes.split(",")):
        child = subprocess.run(  # noqa: S603 - this script, one size per process
            [sys.executable, __file__, "--one", str(size), "--resources",
             str(options.resources), "--db", options.db, "--postgres-url",
             options.postgres_url],
            capture_output=True, text=True, check=True,
        )
        sizes.append(json.loads(child.stdout.strip().splitlines()[-1]))
        print(f"  {size} installations done", file=sys.stderr, flush=True)
    results = {
        "machine": machine.describe(),
        "db": options.db,
        "resources_per_installation": options.resources,
        "sizes": sizes,
    }
    options.out.parent.mkdir(parents=True, exist_ok=True)
    options.out.write_text(json.dumps(results, indent=2) + "\n")
    print(render(results))
    print(f"\nwritten to {options.out}")
    return results


if __name__ == "__main__":
    main()
