"""The job queue as gauges, read from the database each time `/metrics` is scraped.

The worker is another process, often on another machine: a count kept in this process
would see none of its work, so the figures are the table's. Two grouped queries a scrape,
both served by the (state, run_at) index; finished (`done`) jobs are history and are not
counted. A kind with no job in a state has no series for it: read an absent series as 0.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator

from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector
from sqlalchemy import bindparam, case, func, select
from sqlalchemy.exc import SQLAlchemyError

from partner_api import autocommit
from partner_api.jobs.models import DEAD, PENDING, RUNNING, Job
from partner_api.jobs.queue import due
from partner_api.timeutil import utcnow

log = logging.getLogger(__name__)

COUNTED_STATES = (PENDING, RUNNING, DEAD)

_BY_STATE = (
    select(Job.kind, Job.state, func.count())
    .where(Job.state.in_(COUNTED_STATES))
    .group_by(Job.kind, Job.state)
)
# A due job has waited since its run_at or, when its worker died, since its lease ran out.
_WAITING_SINCE = case((Job.state == PENDING, Job.run_at), else_=Job.locked_until)
_DUE = (
    select(Job.kind, func.count(), func.min(_WAITING_SINCE))
    .where(due(bindparam("now")))
    .group_by(Job.kind)
)


class JobsCollector(Collector):
    """Collects in the app context of the scrape (it reads through `autocommit`)."""

    def collect(self) -> Iterator[Metric]:
        read = GaugeMetricFamily(
            "partner_api_jobs_readable", "1 when this scrape could read the job queue, else 0."
        )
        now = utcnow()
        try:
            by_state = autocommit.all_rows(_BY_STATE, {})
            due_now = autocommit.all_rows(_DUE, {"now": now})
        except SQLAlchemyError:
            log.warning("metrics: the job queue could not be read")
            read.add_metric((), 0)
            yield read
            return
        read.add_metric((), 1)
        yield read
        jobs = GaugeMetricFamily(
            "partner_api_jobs",
            "Jobs by kind and state: pending, running, dead (the dead letters).",
            labels=("kind", "state"),
        )
        for kind, state, count in by_state:
            jobs.add_metric((kind, state), count)
        yield jobs
        depth = GaugeMetricFamily(
            "partner_api_jobs_due",
            "Jobs a worker may claim now, by kind: the queue's depth.",
            labels=("kind",),
        )
        waited = GaugeMetricFamily(
            "partner_api_jobs_oldest_due_age_seconds",
            "How long the longest-waiting due job of each kind has waited.",
            labels=("kind",),
        )
        for kind, count, since in due_now:
            depth.add_metric((kind,), count)
            waited.add_metric((kind,), max(0.0, (now - since).total_seconds()))
        yield depth
        yield waited
