"""Enqueue jobs, and claim and run them (several workers may run at once)."""

from __future__ import annotations

import logging
import random
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, or_, select, update

from partner_api.extensions import db
from partner_api.jobs.models import DEAD, DONE, PENDING, RUNNING, Job
from partner_api.rows import insert_new
from partner_api.timeutil import utcnow
from partner_api.unit_of_work import unit_of_work

log = logging.getLogger(__name__)

DEFAULT_MAX_ATTEMPTS = 10
LEASE = timedelta(minutes=5)
MAX_BACKOFF = timedelta(hours=1)
LOST_ON_LAST_ATTEMPT = "the worker running its last attempt stopped before finishing it"

Handler = Callable[[dict[str, Any]], None]
_handlers: dict[str, Handler] = {}


class PermanentFailure(Exception):
    """Raised by a handler when trying again cannot help: the job is dead at once.

    The message becomes the job's `last_error`; keep secrets out of it.
    """


def job_handler(kind: str) -> Callable[[Handler], Handler]:
    """Register the function that runs jobs of `kind`; it must be safe to run twice."""

    def register(function: Handler) -> Handler:
        if kind in _handlers and _handlers[kind] is not function:
            raise ValueError(f"a handler for job kind {kind!r} is already registered")
        _handlers[kind] = function
        return function

    return register


def enqueue(
    kind: str,
    payload: dict[str, Any],
    *,
    run_at: datetime | None = None,
    dedupe_key: str | None = None,
    max_attempts: int = DEFAULT_MAX_ATTEMPTS,
) -> Job:
    """Add a job to the current transaction; with `dedupe_key`, at most one such job exists."""
    now = utcnow()
    values = {
        "kind": kind,
        "payload": payload,
        "state": PENDING,
        "attempts": 0,
        "max_attempts": max_attempts,
        "run_at": run_at or now,
        "dedupe_key": dedupe_key,
        "created_at": now,
        "updated_at": now,
    }
    if dedupe_key is None:
        job = Job(**values)
        db.session.add(job)
        db.session.flush()
        return job
    # The unique dedupe key decides a race; no savepoint (SQLite would commit it early).
    insert_new(Job, **values)
    return db.session.scalars(select(Job).where(Job.dedupe_key == dedupe_key)).one()


def backoff(attempts: int) -> timedelta:
    """Exponential with jitter: ~2 s, 4 s, 8 s … capped at an hour."""
    seconds = min(2**attempts, MAX_BACKOFF.total_seconds())
    return timedelta(seconds=seconds * random.uniform(0.75, 1.25))  # noqa: S311 - jitter


def due(now: datetime) -> ColumnElement[bool]:
    """Jobs a worker may claim at `now`: pending ones whose time has come, and running ones
    whose lease ran out (their worker died)."""
    return or_(
        (Job.state == PENDING) & (Job.run_at <= now),
        (Job.state == RUNNING) & (Job.locked_until < now),
    )


def claim_next(now: datetime | None = None) -> Job | None:
    """Take one due job; a job whose worker died is taken again once its lease runs out.

    On Postgres `FOR UPDATE SKIP LOCKED` lets workers claim different rows concurrently; the
    conditional update makes the claim safe on SQLite too. A lost job that already used all
    its attempts is marked dead instead: a job that kills its worker must not loop forever.
    """
    now = now or utcnow()
    while True:
        with unit_of_work():
            candidate = db.session.execute(
                select(Job.id, Job.state, Job.attempts, Job.max_attempts)
                .where(due(now))
                .order_by(Job.run_at, Job.id)
                .limit(1)
                .with_for_update(skip_locked=True)
            ).first()
            if candidate is None:
                return None
            unchanged = (
                Job.id == candidate.id,
                Job.state == candidate.state,
                Job.attempts == candidate.attempts,
            )
            lost_on_last_attempt = (
                candidate.state == RUNNING and candidate.attempts >= candidate.max_attempts
            )
            if lost_on_last_attempt:
                db.session.execute(
                    update(Job)
                    .where(*unchanged)
                    .values(
                        state=DEAD,
                        locked_until=None,
                        finished_at=now,
                        updated_at=now,
                        last_error=LOST_ON_LAST_ATTEMPT,
                    )
                )
            else:
                claimed = db.session.execute(
                    update(Job)
                    .where(*unchanged)
                    .values(
                        state=RUNNING,
                        attempts=Job.attempts + 1,
                        locked_until=now + LEASE,
                        updated_at=now,
                    )
                )
        if lost_on_last_attempt:
            log.error("job %s is dead: its worker stopped during its last attempt", candidate.id)
        elif claimed.rowcount == 1:
            return db.session.get(Job, candidate.id)


def _describe(error: BaseException) -> str:
    return f"{type(error).__name__}: {error}"[:1000]


def run(job: Job) -> str:
    """Run a claimed job in a unit of work: its handler's changes commit with its completion
    (except a step the handler made durable in a unit of its own), or its failure is recorded."""
    handler = _handlers.get(job.kind)
    try:
        with unit_of_work():
            if handler is None:
                raise LookupError(f"no handler for job kind {job.kind!r}")
            handler(dict(job.payload))
            now = utcnow()
            job.state, job.finished_at, job.updated_at, job.last_error = DONE, now, now, None
            job.locked_until = None
    except Exception as error:  # rolled back by the unit of work
        with unit_of_work():
            _record_failure(job.id, error)
    return db.session.get(Job, job.id).state


def _record_failure(job_id: int, error: Exception) -> None:
    job = db.session.get(Job, job_id)
    now = utcnow()
    job.last_error = _describe(error)
    job.updated_at = now
    job.locked_until = None
    if isinstance(error, PermanentFailure) or job.attempts >= job.max_attempts:
        job.state = DEAD
        job.finished_at = now
        log.error("job %s (%s) is dead after %s attempts", job.id, job.kind, job.attempts)
    else:
        job.state = PENDING
        job.run_at = now + backoff(job.attempts)
        log.warning("job %s (%s) failed, retrying at %s", job.id, job.kind, job.run_at)


def end_lease(job_id: int, attempt: int) -> None:
    """End the lease of a job's attempt now, as if its worker had died (`claim_next`).

    For a worker that could not record the attempt's outcome; if the outcome was recorded
    after all, the attempt is no longer running and nothing changes.
    """
    now = utcnow()
    with unit_of_work():
        db.session.execute(
            update(Job)
            .where(Job.id == job_id, Job.state == RUNNING, Job.attempts == attempt)
            .values(locked_until=now, updated_at=now)
        )


def run_due(limit: int | None = None) -> int:
    """Run due jobs until none is left (or `limit`); returns how many ran."""
    count = 0
    while limit is None or count < limit:
        job = claim_next()
        if job is None:
            break
        run(job)
        count += 1
    return count
