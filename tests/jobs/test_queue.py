"""The durable queue: lost workers, permanent failures, and concurrent workers."""

from __future__ import annotations

import threading
import time
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import update

from partner_api.extensions import db
from partner_api.jobs import PermanentFailure, enqueue, job_handler
from partner_api.jobs.models import DEAD, DONE, PENDING, RUNNING, Job
from partner_api.jobs.queue import LEASE, LOST_ON_LAST_ATTEMPT, claim_next, run_due
from partner_api.timeutil import utcnow

RECORD = "test.record"
REFUSE = "test.refuse"
ran: list[tuple[int, str]] = []
ran_lock = threading.Lock()


@job_handler(RECORD)
def record(payload: dict[str, Any]) -> None:
    time.sleep(payload.get("sleep", 0))
    with ran_lock:
        ran.append((payload["n"], threading.current_thread().name))


@job_handler(REFUSE)
def refuse(payload: dict[str, Any]) -> None:
    raise PermanentFailure("the partner's product no longer exists")


@pytest.fixture(autouse=True)
def forget_runs():
    ran.clear()
    yield
    ran.clear()


def add(kind: str = RECORD, **payload) -> int:
    job = enqueue(kind, {"n": 1, **payload})
    db.session.commit()
    return job.id


def stored(job_id: int) -> Job:
    db.session.expire_all()
    return db.session.get(Job, job_id)


def expire_leases() -> None:
    """What time does to a dead worker's lease."""
    db.session.execute(
        update(Job).where(Job.state == RUNNING).values(locked_until=utcnow() - timedelta(seconds=1))
    )
    db.session.commit()


def test_a_job_whose_worker_died_mid_run_is_run_again_after_its_lease(app):
    job_id = add()
    claimed = claim_next()  # a worker takes it … and dies before finishing
    assert claimed.id == job_id
    db.session.expire_all()
    assert stored(job_id).state == RUNNING
    assert stored(job_id).locked_until > utcnow() + LEASE - timedelta(minutes=1)
    assert run_due() == 0  # still leased: nobody else may take it
    expire_leases()
    assert run_due() == 1
    job = stored(job_id)
    assert (job.state, job.attempts, job.locked_until) == (DONE, 2, None)
    assert ran == [(1, threading.current_thread().name)]


def test_a_job_lost_during_its_last_attempt_is_dead_not_run(app):
    job = enqueue(RECORD, {"n": 1}, max_attempts=1)
    db.session.commit()
    claim_next()
    expire_leases()
    assert run_due() == 0
    job = stored(job.id)
    assert (job.state, job.last_error) == (DEAD, LOST_ON_LAST_ATTEMPT)
    assert job.finished_at is not None
    assert ran == []


def test_a_permanent_failure_is_dead_after_one_attempt(app):
    job_id = add(REFUSE)
    run_due()
    job = stored(job_id)
    assert (job.state, job.attempts, job.max_attempts) == (DEAD, 1, 10)
    assert job.last_error == "PermanentFailure: the partner's product no longer exists"


def test_an_ordinary_failure_is_retried_later(app):
    job = enqueue("test.no-such-kind", {})
    db.session.commit()
    run_due()
    job = stored(job.id)
    assert (job.state, job.attempts) == (PENDING, 1)
    assert job.run_at > utcnow()
    assert "no handler" in job.last_error


@pytest.mark.postgres
def test_two_workers_never_run_the_same_job(app):
    if db.engine.dialect.name != "postgresql":
        pytest.skip("SKIP LOCKED concurrency needs Postgres (TEST_DATABASE_URL)")
    count = 40
    for n in range(count):
        enqueue(RECORD, {"n": n, "sleep": 0.005})
    db.session.commit()
    errors: list[BaseException] = []
    start = threading.Barrier(2)

    def worker() -> None:
        try:
            with app.app_context():
                start.wait()
                run_due()
                db.session.remove()
        except BaseException as error:  # surfaced below
            errors.append(error)

    threads = [threading.Thread(target=worker, name=f"worker-{i}") for i in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert errors == []
    numbers = sorted(n for n, _ in ran)
    assert numbers == list(range(count))  # every job once, none twice
    assert {name for _, name in ran} == {"worker-0", "worker-1"}  # really concurrent
    db.session.expire_all()
    assert {job.state for job in db.session.query(Job)} == {DONE}
    assert {job.attempts for job in db.session.query(Job)} == {1}
