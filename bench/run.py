"""The Partner API benchmark: the app against a bare Flask ceiling and floor, in the same run.

    python bench/run.py --db both --installations 1000 --resources 10 \
        --duration 5 --rounds 3 --concurrency 8,32 --out bench/results.json
    python bench/run.py --smoke        # seconds, SQLite, a handful of rows

For each database: a fresh database, the Procfile's release (migrations), N installations ×
M resources seeded in bulk, then the app and bench/ceiling.py (the bare ceiling route and
the floor routes: each call's essentials without the app), both served at once by the
Procfile's web command with the shipped gunicorn configuration. wrk (one thread, a separate
process on loopback) sends every scenario at every concurrency, in rounds: each round measures the
ceiling, the floor and then the app, so that they share the machine's state of the moment,
and the figures are the medians over the rounds. Each request carries its own token, signed
before the run. A one-second calibration run per scenario and concurrency (also the
warm-up, in the first round) tells how many tokens a timed run needs; a run that uses them
all up is repeated with more.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import random
import statistics
import sys
import tempfile
from collections import defaultdict
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench import machine, servers, wrk
from bench.scenarios import CEILING, FLOORS, SCENARIOS, Scenario
from bench.seed import Seeded, seed
from bench.tokens import RequestFactory, Signer
from partner_api import create_app
from partner_api.auth import devkeys
from partner_api.extensions import db

ISSUER = "https://marketplace.vercel.com"
CLIENT_ID = "oac_BenchIntegration0001"
BARE_ROUTES = (CEILING, *FLOORS)  # served by bench/ceiling.py
TARGETS = {"get_resource": 0.50, "provision": 0.25}  # share of the ceiling's throughput
CALIBRATION_REQUESTS = 1000
CALIBRATION_SECONDS = 1.0
HEADROOM = 1.3  # tokens signed per expected request of the timed run
GROWTH = 2  # a run whose requests ran out is repeated with this many times more
SMOKE_RATE = 1000.0  # requests per second a smoke run signs tokens for, without calibrating
SMOKE_SCENARIOS = ("get_resource", "provision", "mixed")
# The server in which each run creates (and then drops) its own database.
POSTGRES_URL = os.environ.get("BENCH_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/postgres")


def _options(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", choices=["sqlite", "postgres", "both"], default="both")
    parser.add_argument("--installations", type=int, default=1000)
    parser.add_argument("--resources", type=int, default=10, help="per installation")
    parser.add_argument("--duration", type=float, default=10.0, help="seconds per run")
    parser.add_argument("--rounds", type=int, default=3,
                        help="measure every scenario this many times, ceiling first each "
                        "time; the figures are the medians")
    parser.add_argument("--concurrency", default="1,8,32", help="comma-separated connections")
    parser.add_argument("--scenarios", default=",".join(SCENARIOS))
    parser.add_argument("--postgres-url", default=POSTGRES_URL)
    parser.add_argument("--out", type=Path, default=Path("bench/results.json"))
    parser.add_argument("--smoke", action="store_true",
                        help="a quick check that the harness works: tiny data, SQLite, "
                        "three scenarios of 2 s")
    options = parser.parse_args(argv)
    if options.smoke:
        options.db, options.installations, options.resources = "sqlite", 5, 3
        options.duration, options.concurrency, options.rounds = 2.0, "4", 2
        options.scenarios = ",".join(SMOKE_SCENARIOS)
    options.levels = [int(level) for level in options.concurrency.split(",")]
    options.chosen = [SCENARIOS[name] for name in options.scenarios.split(",")]
    options.databases = ["sqlite", "postgres"] if options.db == "both" else [options.db]
    return options


def _server_settings(jwks: Path) -> dict[str, str]:
    return {
        "VERCEL_JWKS_URL": jwks.as_uri(),
        "VERCEL_OIDC_ISSUER": ISSUER,
        "INTEGRATION_CLIENT_ID": CLIENT_ID,
        "INTEGRATION_CLIENT_SECRET": "bench-client-secret",
    }


@contextmanager
def _environment(env: dict[str, str]) -> Iterator[None]:
    saved = dict(os.environ)
    os.environ.update(env)
    try:
        yield
    finally:
        os.environ.clear()
        os.environ.update(saved)


def _seed(env: dict[str, str], installations: int, resources: int) -> Seeded:
    """Seed through the app as the server configures it (same profile and settings)."""
    with _environment(env):
        app = create_app()
        with app.app_context():
            seeded = seed(installations, resources)
            db.engine.dispose()
    return seeded


class Runner:
    """Runs scenarios against one server; the same token factory serves every run."""

    def __init__(self, factory: RequestFactory, seeded: Seeded, workdir: Path, options) -> None:
        self.factory = factory
        self.seeded = seeded
        self.workdir = workdir
        self.options = options
        self.rng = random.Random(7)  # noqa: S311 - which rows to read, not a secret
        self.rates: dict[tuple[str, int], float] = {}  # calibrated requests per second

    def _requests(self, scenario: Scenario, count: int) -> Path:
        calls = [scenario.draw(self.rng, self.seeded) for _ in range(count)]
        path = self.workdir / "requests.bin"
        return self.factory.write(calls, path, signed=scenario.authenticated)

    def _run(self, scenario: Scenario, server: servers.Server, connections: int,
             seconds: float, count: int) -> tuple[wrk.Figures, float]:
        """A run with enough requests for `seconds`; a pool that ran out is made larger.

        Returns the figures and the server's CPU seconds during the run.
        """
        while True:
            requests = self._requests(scenario, count)
            cpu = server.cpu_seconds()
            figures = wrk.run(server.url, requests, connections=connections, seconds=seconds)
            if not figures.exhausted:
                return figures, server.cpu_seconds() - cpu
            count *= GROWTH

    def measure(self, scenario: Scenario, server: servers.Server,
                connections: int) -> tuple[wrk.Figures, float]:
        """Calibrate (and warm up) the first time, then the timed run; a smoke run guesses."""
        key = (scenario.name, connections)
        if self.options.smoke:
            self.rates[key] = SMOKE_RATE
        elif key not in self.rates:
            calibration, _ = self._run(scenario, server, connections, CALIBRATION_SECONDS,
                                       CALIBRATION_REQUESTS)
            self.rates[key] = calibration.throughput
        count = math.ceil(self.rates[key] * self.options.duration * HEADROOM) + 50
        return self._run(scenario, server, connections, self.options.duration, count)


def _row(database: str, scenario: str, connections: int, figures: wrk.Figures,
         server_cpu: float, round_number: int) -> dict:
    return {
        "db": database,
        "scenario": scenario,
        "concurrency": connections,
        "round": round_number,
        "requests": figures.requests,
        "seconds": round(figures.seconds, 3),
        "throughput_rps": round(figures.throughput, 1),
        "p50_ms": figures.p50_ms,
        "p90_ms": figures.p90_ms,
        "p99_ms": figures.p99_ms,
        "errors": figures.errors,
        "loadgen_cpu_seconds": figures.loadgen_cpu_seconds,
        "server_cpu_seconds": round(server_cpu, 2),
        # gunicorn's CPU per answered request: unlike throughput, barely moved by whatever
        # else the machine runs at the time.
        "server_cpu_us_per_request": (
            round(server_cpu / figures.requests * 1e6) if figures.requests else None
        ),
    }


def _bench_database(database: str, factory: RequestFactory, settings: dict[str, str],
                    workdir: Path, options) -> list[dict]:
    """Every round's runs on `database`, the bare routes first in each round."""
    rows = []
    with servers.database(database, workdir, options.postgres_url) as url, ExitStack() as stack:
        env = servers.environment(url, 0, settings)
        servers.release(env)
        seeded = _seed(env, options.installations, options.resources)
        runner = Runner(factory, seeded, workdir, options)
        bare = stack.enter_context(
            servers.serving(servers.CEILING, env, workdir / f"ceiling-{database}.log"))
        app = stack.enter_context(
            servers.serving(servers.APP, env, workdir / f"gunicorn-{database}.log"))
        plan = [(bare, scenario) for scenario in BARE_ROUTES]
        plan += [(app, scenario) for scenario in options.chosen]
        for round_number in range(1, options.rounds + 1):
            for connections in options.levels:
                for server, scenario in plan:
                    figures, cpu = runner.measure(scenario, server, connections)
                    rows.append(_row(database, scenario.name, connections, figures, cpu,
                                     round_number))
                    _print_progress(rows[-1])
    return rows


def _print_progress(row: dict) -> None:
    print(f"  {row['db']:8} round {row['round']} {row['scenario']:18} c={row['concurrency']:<3} "
          f"{row['throughput_rps']:8.1f} req/s", file=sys.stderr, flush=True)


def _with_ratios(rows: list[dict]) -> list[dict]:
    """Each run's throughput over the ceiling's in the same round, at the same concurrency."""
    ceiling = {(row["db"], row["round"], row["concurrency"]): row["throughput_rps"]
               for row in rows if row["scenario"] == CEILING.name}
    for row in rows:
        base = ceiling.get((row["db"], row["round"], row["concurrency"]))
        row["ratio_to_ceiling"] = round(row["throughput_rps"] / base, 3) if base else None
    return rows


_MEDIANS = ("throughput_rps", "p50_ms", "p90_ms", "p99_ms", "server_cpu_us_per_request",
            "ratio_to_ceiling")


def _medians(rows: list[dict]) -> list[dict]:
    """One row per database, scenario and concurrency: the median of its rounds' figures,
    the requests, errors and CPU seconds of all of them, and each round's throughput."""
    groups: dict[tuple, list[dict]] = defaultdict(list)
    for row in rows:
        groups[row["db"], row["scenario"], row["concurrency"]].append(row)
    combined = []
    for (database, scenario, connections), runs in groups.items():
        errors: dict[str, int] = defaultdict(int)
        for run in runs:
            for name, count in run["errors"].items():
                errors[name] += count
        row = {"db": database, "scenario": scenario, "concurrency": connections,
               "rounds": len(runs)}
        for name in _MEDIANS:
            values = [run[name] for run in runs if run[name] is not None]
            row[name] = round(statistics.median(values), 3) if values else None
        for name in ("requests", "seconds", "loadgen_cpu_seconds", "server_cpu_seconds"):
            row[name] = round(sum(run[name] for run in runs), 3)
        row["errors"] = dict(errors)
        row["throughput_by_round"] = [run["throughput_rps"] for run in runs]
        combined.append(row)
    return combined


def _summary(rows: list[dict]) -> dict:
    """Per database and scenario: the best (median) throughput over the concurrencies, and
    its share of the ceiling's best."""
    summary: dict = {}
    for row in rows:
        entry = summary.setdefault(row["db"], {}).setdefault(row["scenario"], row)
        if row["throughput_rps"] > entry["throughput_rps"]:
            summary[row["db"]][row["scenario"]] = row
    result: dict = {}
    for database, best in summary.items():
        peak = best[CEILING.name]["throughput_rps"]
        result[database] = {
            name: {
                "peak_rps": row["throughput_rps"],
                "at_concurrency": row["concurrency"],
                "share_of_ceiling_peak": round(row["throughput_rps"] / peak, 3) if peak else None,
                **({"target": TARGETS[name],
                    "target_met": bool(peak) and row["throughput_rps"] / peak >= TARGETS[name]}
                   if name in TARGETS else {}),
            }
            for name, row in best.items()
        }
    return result


def render(results: dict) -> str:
    config = results["config"]
    lines = [
        f"{config['installations']} installations × {config['resources']} resources, "
        f"{config['duration_s']} s per run, medians of {config['rounds']} rounds, "
        f"load: {config['load_generator']}",
        f"machine: {results['machine']['nproc']} cores, {results['machine']['cpu']}, "
        f"{results['machine']['memory_gib']} GiB",
        "",
        "| db | scenario | conc | req/s | p50 ms | p99 ms | vs ceiling | server CPU µs/req "
        "| errors |",
        "|---|---|---:|---:|---:|---:|---:|---:|---|",
    ]
    for row in results["runs"]:
        ratio = "" if row["ratio_to_ceiling"] is None else f"{row['ratio_to_ceiling']:.0%}"
        cpu = row["server_cpu_us_per_request"]
        errors = ", ".join(f"{k} {v}" for k, v in row["errors"].items()) or "0"
        lines.append(
            f"| {row['db']} | {row['scenario']} | {row['concurrency']} | "
            f"{row['throughput_rps']:.0f} | {row['p50_ms']:.2f} | {row['p99_ms']:.2f} | "
            f"{ratio} | {'' if cpu is None else f'{cpu:.0f}'} | {errors} |"
        )
    lines += ["", "Peak throughput (best concurrency) as a share of the ceiling's peak:"]
    for database, scenarios in results["summary"].items():
        shares = []
        for name, entry in scenarios.items():
            verdict = ""
            if "target" in entry:
                verdict = f" (target {entry['target']:.0%}: "
                verdict += "met)" if entry["target_met"] else "NOT met)"
            shares.append(f"{name} {entry['share_of_ceiling_peak']:.0%}{verdict}")
        lines.append(f"  {database}: " + "; ".join(shares))
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> dict:
    options = _options(argv)
    wrk.require_wrk()
    key = devkeys.generate_signing_key("bench-key")
    with tempfile.TemporaryDirectory(prefix="partner-api-bench-") as tmp:
        workdir = Path(tmp)
        jwks = workdir / "jwks.json"
        jwks.write_text(json.dumps(devkeys.public_jwks(key)))
        settings = _server_settings(jwks)
        signer = Signer(key.as_dict(private=True), ISSUER, CLIENT_ID)
        rows = []
        with RequestFactory(signer) as factory:
            for database in options.databases:
                rows += _bench_database(database, factory, settings, workdir, options)
    results = {
        "machine": machine.describe(),
        "config": {
            "installations": options.installations,
            "resources": options.resources,
            "duration_s": options.duration,
            "rounds": options.rounds,
            "concurrency": options.levels,
            "gunicorn": "partner_api/gunicorn_conf.py as shipped (WEB_CONCURRENCY=2 gthread "
                        "workers × 4 threads)",
            "load_generator": "wrk, 1 thread, on the same machine (it shares the cores)",
            "smoke": options.smoke,
        },
        "runs": _medians(_with_ratios(rows)),
    }
    results["summary"] = _summary(results["runs"])
    options.out.parent.mkdir(parents=True, exist_ok=True)
    options.out.write_text(json.dumps(results, indent=2) + "\n")
    print(render(results))
    print(f"\nwritten to {options.out}")
    return results


if __name__ == "__main__":
    main()
