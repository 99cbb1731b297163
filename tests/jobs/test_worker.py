"""The `jobs work` loop rides out a database outage, and reruns the job it could not record.

The worker reaches Postgres through a proxy the test cuts while a job runs
(tests/tcpproxy.py). The queue's lease is five minutes: the job in hand must run again
within the test's bounded wait, long before its lease would have run out.
"""

from __future__ import annotations

import logging
import threading
from typing import Any

import pytest
from sqlalchemy import select

from partner_api.extensions import db
from partner_api.jobs import enqueue, job_handler
from partner_api.jobs.models import DONE, Job
from partner_api.jobs.worker import Worker
from tests.tcpproxy import app_behind_proxy
from tests.test_database_outage import wait_for

pytestmark = pytest.mark.postgres

GATED = "test.worker-gated"
runs: list[int] = []
in_job, leave_job = threading.Event(), threading.Event()


@job_handler(GATED)
def gated(payload: dict[str, Any]) -> None:
    runs.append(payload["n"])
    if payload.get("gate") and len(runs) == 1:
        in_job.set()
        leave_job.wait(60)


@pytest.fixture
def behind_proxy(app_settings, migrated):
    runs.clear()
    in_job.clear()
    leave_job.clear()
    with app_behind_proxy(app_settings) as pair:
        yield pair
    leave_job.set()


def add(n: int, **payload) -> int:
    job_id = enqueue(GATED, {"n": n, **payload}).id
    db.session.commit()  # and hold no connection afterwards: the proxy may cut it
    return job_id


def states() -> dict[int, tuple[str, int]]:
    """State and attempts of this test's jobs (the worker also schedules periodic ones)."""
    db.session.expire_all()
    jobs = db.session.scalars(select(Job).where(Job.kind == GATED))
    return {job.id: (job.state, job.attempts) for job in jobs}


def test_the_worker_survives_an_outage_and_reruns_the_job_it_held(behind_proxy, caplog):
    app, proxy = behind_proxy
    held, before = add(1, gate=True), add(2)
    stop, failures = threading.Event(), []

    def work() -> None:
        with app.app_context():
            worker = Worker()
            try:
                while not stop.is_set():
                    if worker.round() == 0:
                        stop.wait(0.05)
            except BaseException as error:  # a loop that escapes is what this test catches
                failures.append(error)
            finally:
                db.session.remove()

    with caplog.at_level(logging.INFO):
        thread = threading.Thread(target=work)
        thread.start()
        try:
            assert in_job.wait(30)
            proxy.cut()
            leave_job.set()  # the job finishes, but its outcome cannot be recorded
            wait_for(lambda: "database unreachable" in caplog.text)
            proxy.restore()
            after = add(3)
            wait_for(lambda: set(states().values()) == {(DONE, 1), (DONE, 2)} or bool(failures))
        finally:
            stop.set()
            thread.join(60)

    assert failures == []
    assert states() == {held: (DONE, 2), before: (DONE, 1), after: (DONE, 1)}
    assert sorted(runs) == [1, 1, 2, 3]
    outage = [r for r in caplog.records if r.name == "partner_api.jobs.worker"]
    assert [(r.levelname, r.getMessage().split(" (")[0].split(" after")[0]) for r in outage] == [
        ("WARNING", "database unreachable"),
        ("INFO", "database reachable again"),
    ]
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]
