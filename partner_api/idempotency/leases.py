"""A claim's lease is short and renewed while its request runs; a failed release is retried.

A claim (service.py) names no process, so the lease is what tells a live request from a dead
one. It is short (`IDEMPOTENCY_LEASE_SECONDS`, 30 s by default) and each process renews the
leases of the claims its running requests hold, every third of a lease, from one background
thread (started when a claim is held, gone when none is). A lease cannot be as long as the
request timeout instead: gunicorn's gthread workers keep serving past `GUNICORN_TIMEOUT`, so
nothing bounds how long a request runs. Hence:
- a request that runs long keeps its claim: a duplicate waits, then is told 409 to retry;
- a process that dies (killed, out of memory, its machine lost) renews nothing more: its
  claims expire within a lease and a retry takes them over (`service.begin`);
- a request that fails releases its claim at once. If the release cannot reach the database
  the claim is no longer renewed, and the release is retried every second until the
  database answers: the key is usable again as soon as the database is back, and one lease
  after the failure at the latest.

The lease's end doubles as the holder's token: renewing and releasing match the end this
process last wrote, so a process whose claim was taken over (it could not renew for a whole
lease) neither extends nor deletes the new holder's claim. A renewal or release that fails
is tried again at the next tick. One lock orders the keeper's statements and the requests'
calls, so a token is never read while it changes.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import bindparam, delete, update
from sqlalchemy.engine import Engine
from sqlalchemy.exc import DBAPIError

from partner_api import autocommit
from partner_api.idempotency.models import IN_PROGRESS, IdempotencyRecord
from partner_api.timeutil import utcnow

RENEWALS_PER_LEASE = 3
RELEASE_RETRY_SECONDS = 1.0
_EXTENSION = "partner_api.idempotency.leases"
_creating = threading.Lock()

_records = IdempotencyRecord.__table__
_HELD_BY_US = (
    _records.c.id == bindparam("record_id"),
    _records.c.state == IN_PROGRESS,
    _records.c.lease_until == bindparam("held_until"),
)
_RENEW = (
    update(_records)
    .where(*_HELD_BY_US)
    .values(lease_until=bindparam("lease_until", type_=_records.c.lease_until.type))
)
_RELEASE = delete(_records).where(*_HELD_BY_US)


@dataclass
class _Lease:
    until: datetime
    seconds: float


class ClaimKeeper:
    """The claims this process holds: renewed while held, deleted when released."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine
        self._lock = threading.Lock()
        self._held: dict[int, _Lease] = {}
        self._releasing: dict[int, datetime] = {}
        self._thread: threading.Thread | None = None
        self._wake = threading.Event()  # a release cuts the renewal interval short

    def hold(self, record_id: int, until: datetime, seconds: float) -> None:
        """Keep the claim `record_id` (whose lease ends at `until`) alive until let go."""
        with self._lock:
            self._held[record_id] = _Lease(until, seconds)
            self._ensure_thread()

    def finish(self, record_id: int) -> None:
        """The claim completed (its response is stored): nothing more to renew."""
        with self._lock:
            self._held.pop(record_id, None)

    def release(self, record_id: int) -> None:
        """Delete the claim now, or as soon as the database answers; never raises for it."""
        with self._lock:
            lease = self._held.pop(record_id, None)
            if lease is None:
                return
            self._releasing[record_id] = lease.until
            self._release_pending()
            if self._releasing:
                self._ensure_thread()
                self._wake.set()

    def tick(self) -> None:
        """Renew every held lease and retry every pending release (the thread's round)."""
        with self._lock:
            self._renew_held()
            self._release_pending()

    def _ensure_thread(self) -> None:
        if self._thread is None or not self._thread.is_alive():  # a fork leaves it behind
            self._thread = threading.Thread(
                target=self._keep, name="idempotency-leases", daemon=True
            )
            self._thread.start()

    def _keep(self) -> None:
        while True:
            with self._lock:
                if not self._held and not self._releasing:
                    self._thread = None
                    return
                pauses = [lease.seconds / RENEWALS_PER_LEASE for lease in self._held.values()]
                pause = min(pauses + ([RELEASE_RETRY_SECONDS] if self._releasing else []))
            self._wake.wait(pause)
            self._wake.clear()
            self.tick()

    def _renew_held(self) -> None:
        for record_id, lease in list(self._held.items()):
            until = utcnow() + timedelta(seconds=lease.seconds)
            params = {"record_id": record_id, "held_until": lease.until, "lease_until": until}
            try:
                with self._engine.connect() as connection:
                    renewed = connection.execute(_RENEW, params).rowcount == 1
            except DBAPIError:
                continue  # the lease stands until its end; the next tick tries again
            if renewed:
                lease.until = until
            else:  # completed, or taken over after it could not be renewed: not ours now
                del self._held[record_id]

    def _release_pending(self) -> None:
        for record_id, until in list(self._releasing.items()):
            try:
                with self._engine.connect() as connection:
                    connection.execute(_RELEASE, {"record_id": record_id, "held_until": until})
            except DBAPIError:
                return  # the database does not answer: every other release would wait too
            del self._releasing[record_id]


def keeper() -> ClaimKeeper:
    """The current app's keeper (one per app and process)."""
    extensions = current_app.extensions
    with _creating:
        if _EXTENSION not in extensions:
            extensions[_EXTENSION] = ClaimKeeper(autocommit.engine())
        return extensions[_EXTENSION]
