"""The `jobs work` loop's rounds: run due jobs, and ride out a database outage, not exit.

An error saying the database is unreachable (partner_api/dboutage.py) anywhere in a round
(scheduling, claiming, running a job, recording its outcome) rolls the session back and
waits with capped exponential backoff and jitter, one WARNING when the outage starts and one
INFO when it ends; the pool replaces the dead connections and the loop carries on. Any other
error keeps the queue's own handling (a handler's error is recorded on its job).

The job in hand when the database went away may have run without its outcome being
recorded: it is still leased to this worker (running, its lease `queue.LEASE` ahead). The
worker remembers that lease and, as soon as the database answers, ends it
(`queue.end_lease`); the queue's rule for a lost job then applies at once instead of after
the lease: the job runs again, or is dead if that was its last attempt. What holds:
- nothing acknowledged is lost: a job and the change that enqueued it commit together, and
  a job leaves the queue only by a recorded outcome (done or dead);
- at least once, not exactly once: the run whose outcome was lost may have done its outside
  work (a Vercel call), so it is done again; handlers must be safe to run twice
  (`job_handler`), and work that must happen once per subject has a dedupe key;
- an outcome recorded after all (the commit reached the server just before the connection
  dropped) is kept: the lease to end names the attempt, which is then no longer running.

Left to the lease: a claim whose own commit was in doubt (the job's id is not known to be
ours), and every job of a worker that dies.

A worker started before the release step migrated the database (a Procfile runner starts
`web` and `worker` together) waits, with one WARNING, until the schema is at the migrations'
head (partner_api/schema.py), then says so at INFO and carries on; it never touches a table
the schema does not have yet.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable

from sqlalchemy.exc import DBAPIError

from partner_api.dboutage import Outage, is_unreachable
from partner_api.extensions import db
from partner_api.jobs.queue import claim_next, end_lease, run
from partner_api.jobs.schedule import schedule_due
from partner_api.schema import at_head
from partner_api.unit_of_work import unit_of_work

log = logging.getLogger(__name__)

# How often a running worker enqueues periodic work.
SCHEDULE_INTERVAL = 60.0
# How often a worker waiting for the migrations looks at the schema again.
SCHEMA_POLL_INTERVAL = 2.0


class Worker:
    """One worker's state between rounds: its schedule, its outage, its unrecorded leases."""

    def __init__(self, *, sleep: Callable[[float], None] = time.sleep) -> None:
        self.ran = 0
        self.outage = Outage(log)
        self._sleep = sleep
        self._next_schedule = 0.0
        self._in_hand: tuple[int, int] | None = None  # (job id, attempt) being run
        self._unrecorded: list[tuple[int, int]] = []
        self._schema_ready = False
        self._waited_for_schema = False

    def round(self, limit: int = 100) -> int | None:
        """Run up to `limit` due jobs; how many ran, or None if the database did not answer."""
        ran = 0
        try:
            if not self._schema_at_head():
                self._sleep(SCHEMA_POLL_INTERVAL)
                return None
            self._end_unrecorded_leases()
            self._schedule()
            while ran < limit and (job := claim_next()) is not None:
                self._in_hand = (job.id, job.attempts)
                run(job)
                self._in_hand = None
                ran += 1
                self.ran += 1
        except DBAPIError as error:
            if not is_unreachable(error):
                raise
            self._lost_the_database(error)
            return None
        self.outage.recovered()
        return ran

    def _schema_at_head(self) -> bool:
        if self._schema_ready:
            return True
        if not at_head():
            if not self._waited_for_schema:
                log.warning(
                    "waiting for the database schema to reach the migrations' head "
                    "(the release step: partner-api migrate)"
                )
                self._waited_for_schema = True
            return False
        if self._waited_for_schema:
            log.info("the database schema is at the migrations' head: running jobs")
        self._schema_ready = True
        return True

    def _schedule(self) -> None:
        if time.monotonic() >= self._next_schedule:
            with unit_of_work():
                schedule_due()
            self._next_schedule = time.monotonic() + SCHEDULE_INTERVAL

    def _end_unrecorded_leases(self) -> None:
        while self._unrecorded:
            end_lease(*self._unrecorded[0])
            self._unrecorded.pop(0)

    def _lost_the_database(self, error: DBAPIError) -> None:
        if self._in_hand is not None:
            self._unrecorded.append(self._in_hand)
            self._in_hand = None
        db.session.rollback()
        self._sleep(self.outage.failed(error))
