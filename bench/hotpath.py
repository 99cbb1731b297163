"""Where one Partner API call spends its time, in process: cProfile over N calls.

    python bench/hotpath.py get_resource --db postgres --calls 2000
    python bench/hotpath.py provision --db sqlite --sort tottime --top 40

It builds the app as the server does (same profile and settings as bench/run.py), seeds a
fresh database, signs one token per call up front, then sends the calls through the WSGI app
with Werkzeug's test client: first unprofiled (the CPU time per call, which is what
gunicorn's CPU per request tracks, less HTTP parsing), then under cProfile.
"""

from __future__ import annotations

import argparse
import cProfile
import json
import pstats
import random
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench import servers
from bench.run import CLIENT_ID, ISSUER, POSTGRES_URL, _environment, _server_settings
from bench.scenarios import SCENARIOS, Call
from bench.seed import seed
from bench.tokens import Signer, _start, _token
from partner_api import create_app
from partner_api.auth import devkeys
from partner_api.extensions import db


def _options(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("scenario", choices=sorted(SCENARIOS))
    parser.add_argument("--db", choices=("sqlite", "postgres"), default="postgres")
    parser.add_argument("--postgres-url", default=POSTGRES_URL)
    parser.add_argument("--installations", type=int, default=100)
    parser.add_argument("--resources", type=int, default=10)
    parser.add_argument("--calls", type=int, default=2000)
    parser.add_argument("--sort", default="cumulative", help="pstats sort key")
    parser.add_argument("--top", type=int, default=45)
    parser.add_argument("--no-cprofile", action="store_true",
                        help="time the calls only (to sample with py-spy instead)")
    parser.add_argument("--dump", type=Path, help="also write the raw cProfile data here")
    parser.add_argument("--callers", metavar="PATTERN",
                        help="also list the callers of the functions matching PATTERN")
    return parser.parse_args(argv)


def _send(client, call: Call, token: str):
    headers = {"Authorization": f"Bearer {token}", "X-Vercel-Auth": "user"}
    if call.method != "GET":
        headers["Idempotency-Key"] = f"profile-{token[-24:]}"
        headers["Content-Type"] = "application/json"
    response = client.open(call.path, method=call.method, headers=headers, data=call.body)
    if response.status_code >= 400:
        raise SystemExit(f"{call.method} {call.path}: {response.status_code} {response.data!r}")
    return response


def _timed(client, calls: list[tuple[Call, str]]) -> float:
    """This process's CPU µs per call (waiting for the database is not counted)."""
    started = time.process_time()
    for call, token in calls:
        _send(client, call, token)
    return (time.process_time() - started) / len(calls) * 1e6


def main(argv: list[str] | None = None) -> None:
    options = _options(argv)
    scenario = SCENARIOS[options.scenario]
    key = devkeys.generate_signing_key("profile-key")
    _start(Signer(key.as_dict(private=True), ISSUER, CLIENT_ID))
    with tempfile.TemporaryDirectory(prefix="partner-api-profile-") as tmp:
        workdir = Path(tmp)
        jwks = workdir / "jwks.json"
        jwks.write_text(json.dumps(devkeys.public_jwks(key)))
        with servers.database(options.db, workdir, options.postgres_url) as url:
            env = servers.environment(url, 0, _server_settings(jwks))
            servers.release(env)
            with _environment(env):
                app = create_app()
                with app.app_context():
                    seeded = seed(options.installations, options.resources)
                rng = random.Random(7)  # noqa: S311 - which rows to read, not a secret

                def draw(count: int) -> list[tuple[Call, str]]:
                    calls = [scenario.draw(rng, seeded) for _ in range(count)]
                    return [(call, _token(call.installation)) for call in calls]

                client = app.test_client()
                _timed(client, draw(min(200, options.calls)))  # warm-up
                plain = _timed(client, draw(options.calls))
                print(f"{options.scenario} on {options.db}: {plain:.0f} CPU µs per call in "
                      f"process, {options.calls} calls")
                profiler = None
                if not options.no_cprofile:
                    batch = draw(options.calls)
                    profiler = cProfile.Profile()
                    profiler.enable()
                    profiled = _timed(client, batch)
                    profiler.disable()
                with app.app_context():
                    db.engine.dispose()  # before the database is dropped
    if profiler is None:
        return
    stats = pstats.Stats(profiler)
    if options.dump:
        stats.dump_stats(options.dump)
    print(f"{profiled:.0f} CPU µs per call under cProfile; "
          f"{stats.total_calls / options.calls:.0f} Python function calls per call "
          "(the steadiest figure to compare changes by)")
    stats.sort_stats(options.sort).print_stats(options.top)
    if options.callers:
        stats.print_callers(options.callers)


if __name__ == "__main__":
    main()
