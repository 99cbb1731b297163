"""`flask --app wsgi jobs …`: the worker (Procfile `worker:`) and tools to inspect jobs."""

from __future__ import annotations

import json
import re
import signal
import time
from typing import Any

import click
from flask import current_app
from flask.cli import AppGroup
from sqlalchemy import select

from partner_api.extensions import db
from partner_api.jobs.models import DEAD, DONE, PENDING, RUNNING, Job
from partner_api.jobs.schedule import schedule_due
from partner_api.jobs.worker import Worker
from partner_api.providers import operations
from partner_api.timeutil import isoformat, utcnow
from partner_api.unit_of_work import unit_of_work

jobs = AppGroup("jobs", help="Background jobs.")

# Payloads may carry secrets (they are encrypted at rest); these keys are never printed.
SECRET_KEY = re.compile(r"value|token|secret|password|credential", re.IGNORECASE)
MASK = "***"


@jobs.command("work")
@click.option("--burst", is_flag=True, help="Exit once no job is due.")
@click.option("--poll", default=1.0, show_default=True, help="Seconds between polls when idle.")
def work(burst: bool, poll: float) -> None:
    """Run due jobs; stops cleanly on SIGTERM/SIGINT after the job at hand.

    A database outage is waited out (partner_api/jobs/worker.py), even with --burst.
    """
    stopping = False

    def stop(signum, frame):
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    operations.check_at_start(current_app)
    worker = Worker()
    while not stopping:
        if worker.round() == 0:
            if burst:
                break
            time.sleep(poll)
    click.echo(f"ran {worker.ran} jobs")


@jobs.command("schedule")
def schedule() -> None:
    """Enqueue the current slot of every periodic task (safe to run at any frequency)."""
    with unit_of_work():
        names = schedule_due()
    click.echo(f"scheduled: {', '.join(names) or 'nothing registered'}")


def masked(data: Any) -> Any:
    """`data` with the whole value of every secret-looking key replaced by a mask."""
    if isinstance(data, dict):
        return {
            key: MASK if SECRET_KEY.search(str(key)) else masked(value)
            for key, value in data.items()
        }
    if isinstance(data, list):
        return [masked(item) for item in data]
    return data


def _when(moment) -> str:
    return isoformat(moment) if moment else "-"


def _job(job_id: int) -> Job:
    job = db.session.get(Job, job_id)
    if job is None:
        raise click.ClickException(f"no job {job_id}")
    return job


@jobs.command("list")
@click.option(
    "--state", type=click.Choice([PENDING, RUNNING, DONE, DEAD]), help="Only jobs in this state."
)
@click.option("--limit", default=50, show_default=True, help="Newest jobs first, at most this.")
def list_jobs(state: str | None, limit: int) -> None:
    """One line per job: id, state, kind, attempts, next run, last error."""
    query = select(Job).order_by(Job.id.desc()).limit(limit)
    if state:
        query = query.where(Job.state == state)
    for job in db.session.scalars(query):
        error = job.last_error.splitlines()[0][:80] if job.last_error else ""
        click.echo(
            f"{job.id}\t{job.state}\t{job.kind}\t{job.attempts}/{job.max_attempts}"
            f"\t{_when(job.run_at)}\t{error}"
        )


@jobs.command("show")
@click.argument("job_id", type=int)
def show(job_id: int) -> None:
    """A job's fields and its payload, secret values masked."""
    job = _job(job_id)
    fields = {
        "id": job.id,
        "kind": job.kind,
        "state": job.state,
        "attempts": f"{job.attempts}/{job.max_attempts}",
        "run_at": _when(job.run_at),
        "locked_until": _when(job.locked_until),
        "created_at": _when(job.created_at),
        "updated_at": _when(job.updated_at),
        "finished_at": _when(job.finished_at),
        "dedupe_key": job.dedupe_key or "-",
        "last_error": job.last_error or "-",
    }
    for name, value in fields.items():
        click.echo(f"{name}: {value}")
    click.echo("payload: " + json.dumps(masked(job.payload), indent=2, sort_keys=True))


@jobs.command("retry")
@click.argument("job_id", type=int)
def retry(job_id: int) -> None:
    """Give a dead job a fresh set of attempts, starting now."""
    with unit_of_work():
        job = _job(job_id)
        if job.state != DEAD:
            raise click.ClickException(f"job {job_id} is {job.state}; only dead jobs are retried")
        now = utcnow()
        job.state = PENDING
        job.attempts = 0
        job.run_at = now
        job.updated_at = now
        job.finished_at = None
    click.echo(f"job {job_id} will run again")
