"""The hourly walk over installations reads them a bounded batch at a time."""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import event, func, insert, select

from partner_api.billing import submission
from partner_api.extensions import db
from partner_api.installations.models import Installation
from partner_api.jobs.models import Job

SLOT = datetime(2026, 3, 15, 10, tzinfo=UTC)
LIMIT = re.compile(r"\bLIMIT\b", re.IGNORECASE)


def add_installations(count: int, **fields) -> list[str]:
    ids = [f"icfg_batch{index:06d}" for index in range(count)]
    rows = [
        {
            "id": installation_id,
            "access_token": "vercel-access-token",
            "token_type": "Bearer",
            "scopes": [],
            "accepted_policies": {},
            "created_at": SLOT - timedelta(days=40),
            "updated_at": SLOT - timedelta(days=40),
            **fields,
        }
        for installation_id in ids
    ]
    db.session.execute(insert(Installation), rows)
    db.session.commit()
    return ids


@contextmanager
def installation_queries() -> Iterator[list[tuple[str, object]]]:
    """The SQL statements that read the installations table, with their parameters."""
    seen: list[tuple[str, object]] = []

    def record(conn, cursor, statement, parameters, context, executemany):
        if re.search(r"\bFROM installations\b", statement):
            seen.append((statement, parameters))

    event.listen(db.engine, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        event.remove(db.engine, "before_cursor_execute", record)


def enqueued() -> list[str]:
    jobs = db.session.scalars(
        select(Job).where(Job.kind == submission.SUBMIT_INSTALLATION).order_by(Job.id)
    )
    return [job.payload["installation_id"] for job in jobs]


@pytest.mark.parametrize(("count", "queries"), [(1_200, 13), (1_250, 13), (40, 1)])
def test_the_walk_enqueues_every_installation_once_with_bounded_queries(
    app, monkeypatch, count, queries
):
    monkeypatch.setattr(submission, "BATCH_SIZE", 100)
    ids = add_installations(count)
    batches: list[int] = []
    walk = submission.installation_ids

    def counted(period):
        for batch in walk(period):
            batches.append(len(batch))
            yield batch

    monkeypatch.setattr(submission, "installation_ids", counted)

    with installation_queries() as seen:
        submission.submit_all(SLOT)

    assert sorted(enqueued()) == ids
    assert max(batches) <= 100 and sum(batches) == count
    assert len(seen) == queries
    for statement, parameters in seen:
        assert LIMIT.search(statement), statement
        assert 100 in (parameters.values() if isinstance(parameters, dict) else parameters)


def test_the_walk_skips_finalized_and_long_uninstalled_installations(app, monkeypatch):
    monkeypatch.setattr(submission, "BATCH_SIZE", 100)
    live = add_installations(150)
    db.session.execute(
        insert(Installation),
        [
            {
                "id": f"icfg_gone{index}",
                "access_token": "t",
                "token_type": "Bearer",
                "scopes": [],
                "accepted_policies": {},
                "created_at": SLOT - timedelta(days=90),
                "updated_at": SLOT - timedelta(days=90),
                **fields,
            }
            for index, fields in enumerate(
                [
                    {"deleted_at": SLOT - timedelta(hours=3), "finalized_at": SLOT},
                    {"deleted_at": datetime(2026, 2, 27, tzinfo=UTC)},  # February's is closed
                    {"deleted_at": datetime(2026, 3, 2, tzinfo=UTC)},  # March's is open
                ]
            )
        ],
    )
    db.session.commit()

    submission.submit_all(SLOT)

    assert sorted(enqueued()) == sorted([*live, "icfg_gone2"])


def test_the_walk_commits_each_batch(app, monkeypatch):
    """A walk that dies half-way keeps the jobs of the batches it finished."""
    monkeypatch.setattr(submission, "BATCH_SIZE", 100)
    add_installations(250)
    original = submission.enqueue
    calls = 0

    def failing(*args, **kwargs):
        nonlocal calls
        calls += 1
        if calls == 201:
            raise RuntimeError("the worker was stopped")
        return original(*args, **kwargs)

    monkeypatch.setattr(submission, "enqueue", failing)
    with pytest.raises(RuntimeError):
        submission.submit_all(SLOT)
    db.session.rollback()

    count = select(func.count()).select_from(Job).where(Job.kind == submission.SUBMIT_INSTALLATION)
    assert db.session.scalar(count) == 200
