"""Periodic work (hourly billing data, deadlines): one job per task and time slot.

`@periodic(name, every)` registers a task. `schedule_due()` enqueues, for every task, a job
for the current slot with a dedupe key naming the slot, so it can run as often as you like
(a platform scheduler calling `flask jobs schedule`, and the worker each minute) and each
slot still runs once. The task receives the slot's start time.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from partner_api.jobs.queue import enqueue, job_handler
from partner_api.timeutil import isoformat, utcnow

Task = Callable[[datetime], None]
EPOCH = datetime(2000, 1, 1, tzinfo=UTC)


@dataclass(frozen=True)
class Periodic:
    name: str
    every: timedelta

    @property
    def job_kind(self) -> str:
        return f"periodic.{self.name}"

    def slot(self, now: datetime) -> datetime:
        """The start of the slot `now` falls in (slots are aligned to a fixed epoch)."""
        return EPOCH + self.every * ((now - EPOCH) // self.every)


_tasks: dict[str, Periodic] = {}


def periodic(name: str, every: timedelta) -> Callable[[Task], Task]:
    def register(task: Task) -> Task:
        entry = Periodic(name, every)
        if name in _tasks and _tasks[name] != entry:
            raise ValueError(f"periodic task {name!r} is already registered")
        _tasks[name] = entry
        job_handler(entry.job_kind)(
            lambda payload: task(datetime.fromisoformat(payload["slot"]))
        )
        return task

    return register


def schedule_due(now: datetime | None = None) -> list[str]:
    """Enqueue the current slot of every task (in the caller's transaction)."""
    now = now or utcnow()
    enqueued = []
    for entry in _tasks.values():
        slot = entry.slot(now)
        enqueue(
            entry.job_kind,
            {"slot": slot.isoformat()},
            dedupe_key=f"{entry.job_kind}:{isoformat(slot)}",
        )
        enqueued.append(entry.name)
    return enqueued
