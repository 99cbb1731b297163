"""The job gauges are the jobs table's, read at scrape time (the worker is another process)."""

from __future__ import annotations

from datetime import timedelta

import pytest

from partner_api import create_app
from partner_api.extensions import db
from partner_api.jobs.models import DEAD, DONE, PENDING, RUNNING, Job
from partner_api.timeutil import utcnow
from tests.metrics.conftest import TOKEN, scrape

HOUR = timedelta(hours=1)


def add_job(kind: str, state: str, *, run_at_ago: timedelta, lease_left: timedelta | None = None):
    now = utcnow()
    db.session.add(
        Job(
            kind=kind,
            payload={"secret": "in the payload"},
            state=state,
            attempts=1 if state != PENDING else 0,
            max_attempts=10,
            run_at=now - run_at_ago,
            locked_until=None if lease_left is None else now + lease_left,
            created_at=now - HOUR,
            updated_at=now,
        )
    )


def by_labels(samples, *names: str) -> dict:
    return {tuple(s.labels[n] for n in names): s.value for s in samples}


def test_jobs_by_kind_and_state_due_depth_and_oldest_due_age(app, metered):
    add_job("alpha", PENDING, run_at_ago=timedelta(seconds=90))
    add_job("alpha", PENDING, run_at_ago=timedelta(seconds=10))
    add_job("alpha", PENDING, run_at_ago=-HOUR)  # not due for an hour
    # Its worker died: due again since its lease ran out 30 s ago, not since run_at.
    add_job("beta", RUNNING, run_at_ago=2 * HOUR, lease_left=timedelta(seconds=-30))
    add_job("beta", RUNNING, run_at_ago=timedelta(seconds=5), lease_left=timedelta(minutes=5))
    add_job("beta", DEAD, run_at_ago=HOUR)
    add_job("beta", DONE, run_at_ago=HOUR)
    db.session.commit()

    families = scrape(metered)

    assert by_labels(families["partner_api_jobs_readable"]) == {(): 1}
    assert by_labels(families["partner_api_jobs"], "kind", "state") == {
        ("alpha", "pending"): 3,
        ("beta", "running"): 2,
        ("beta", "dead"): 1,
    }
    assert by_labels(families["partner_api_jobs_due"], "kind") == {("alpha",): 2, ("beta",): 1}
    ages = by_labels(families["partner_api_jobs_oldest_due_age_seconds"], "kind")
    assert 90 <= ages[("alpha",)] < 3600
    assert 30 <= ages[("beta",)] < 3600


def test_an_empty_queue_has_no_job_series(metered):
    families = scrape(metered)
    assert by_labels(families["partner_api_jobs_readable"]) == {(): 1}
    assert families["partner_api_jobs"] == []
    assert families["partner_api_jobs_due"] == []


@pytest.fixture
def unreadable(app_settings, tmp_path):
    """An app whose database cannot be opened (a SQLite file in a directory that is not)."""
    broken = {**app_settings, "METRICS_TOKEN": TOKEN,
              "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'missing' / 'x.sqlite3'}"}
    served = create_app(broken)
    yield served.test_client()
    with served.app_context():
        db.engine.dispose()


def test_an_unreadable_queue_is_reported_as_such_and_the_scrape_still_answers(
    unreadable, caplog
):
    families = scrape(unreadable)
    assert by_labels(families["partner_api_jobs_readable"]) == {(): 0}
    assert "partner_api_jobs" not in families
    assert "partner_api_http_requests" in families
    assert [r.levelname for r in caplog.records if r.name == "partner_api.metrics.jobs"] == [
        "WARNING"
    ]
