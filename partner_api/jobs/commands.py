"""`flask --app wsgi jobs …`: the worker (Procfile `worker:`)."""

from __future__ import annotations

import signal
import time

import click
from flask.cli import AppGroup

from partner_api.jobs.queue import run_due

jobs = AppGroup("jobs", help="Background jobs.")


@jobs.command("work")
@click.option("--burst", is_flag=True, help="Exit once no job is due.")
@click.option("--poll", default=1.0, show_default=True, help="Seconds between polls when idle.")
def work(burst: bool, poll: float) -> None:
    """Run due jobs; stops cleanly on SIGTERM/SIGINT after the job at hand."""
    stopping = False

    def stop(signum, frame):
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    total = 0
    while not stopping:
        ran = run_due(limit=100)
        total += ran
        if ran == 0:
            if burst:
                break
            time.sleep(poll)
    click.echo(f"ran {total} jobs")
