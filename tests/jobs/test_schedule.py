"""Periodic tasks: one job per slot however often the scheduler runs."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select

from partner_api.extensions import db
from partner_api.jobs import schedule
from partner_api.jobs.models import Job
from partner_api.jobs.queue import run_due

calls: list[datetime] = []


@schedule.periodic("test-hourly", timedelta(hours=1))
def record_slot(slot: datetime) -> None:
    calls.append(slot)


def jobs_of_kind(kind: str) -> int:
    return db.session.scalar(select(func.count()).select_from(Job).where(Job.kind == kind))


def test_each_slot_runs_once_however_often_it_is_scheduled(app):
    calls.clear()
    first = datetime(2026, 11, 26, 10, 5, tzinfo=UTC)
    for minute in (0, 10, 50):
        schedule.schedule_due(first + timedelta(minutes=minute))
    db.session.commit()
    assert jobs_of_kind("periodic.test-hourly") == 1
    schedule.schedule_due(first + timedelta(hours=1))
    db.session.commit()
    assert jobs_of_kind("periodic.test-hourly") == 2
    run_due()
    assert sorted(calls) == [
        datetime(2026, 11, 26, 10, tzinfo=UTC),
        datetime(2026, 11, 26, 11, tzinfo=UTC),
    ]


def test_schedule_command_enqueues_and_commits(app, runner):
    result = runner.invoke(args=["jobs", "schedule"])
    assert result.exit_code == 0
    assert "test-hourly" in result.output
    db.session.remove()
    assert jobs_of_kind("periodic.test-hourly") == 1
