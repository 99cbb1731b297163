"""Claim, replay, complete and release `Idempotency-Key` records.

A claim is inserted and committed on its own (autocommit) connection before the view runs,
so a concurrent duplicate hits the unique constraint instead of running. The response is
stored in the request's own transaction, together with the changes it reports. While the
request runs its claim's short lease is renewed (leases.py); if the process dies before the
commit, or the claim cannot be released, the lease runs out and a retry runs the call again.
"""

from __future__ import annotations

import hashlib
import json
import time
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Row, bindparam, delete, insert, select, update
from sqlalchemy.exc import IntegrityError

from partner_api import autocommit, jsonpolicy, nulchars
from partner_api.errors import Conflict, Unprocessable
from partner_api.extensions import db
from partner_api.idempotency.leases import keeper
from partner_api.idempotency.models import COMPLETED, IN_PROGRESS, IdempotencyRecord
from partner_api.timeutil import utcnow

MAX_KEY_LENGTH = 255


@dataclass(frozen=True)
class Request:
    scope: str
    method: str
    path: str
    key: str
    fingerprint: str


@dataclass(frozen=True)
class Replay:
    status: int
    body: Any


def fingerprint(method: str, path: str, body: bytes) -> str:
    """Same call, same fingerprint: JSON bodies are compared by content, not by layout.

    It runs before the body is validated, so the body is decoded by the JSON policy: what
    the policy refuses (nesting too deep to canonicalise, among others) is fingerprinted as
    the bytes it is, and the call is then refused by the policy when its arguments are read.
    """
    try:
        canonical = json.dumps(jsonpolicy.loads(body), sort_keys=True, separators=(",", ":"))
    except ValueError:
        canonical = body.decode("utf-8", "replace")
    return hashlib.sha256(f"{method}\n{path}\n{canonical}".encode()).hexdigest()


def _fitted(value: str, column) -> str:
    """`value`, or its digest if the column cannot hold it (ids in paths are the caller's).

    A digest is as unique as the value, so a long path is still its own scope; storing it
    as is would fail on Postgres (the column has a length) and answer 500.
    """
    if len(value) <= column.type.length:
        return value
    return "sha256:" + hashlib.sha256(value.encode()).hexdigest()


def _identity(call: Request) -> dict[str, str]:
    """The columns that name one use of a key."""
    return {
        "scope": _fitted(call.scope, IdempotencyRecord.scope),
        "method": call.method,
        "path": _fitted(call.path, IdempotencyRecord.path),
        "key": call.key,
    }


# Built once, run with bound values: building them per call cost more than running them.
_records = IdempotencyRecord.__table__
_CLAIM = insert(_records)
_EXISTING = select(_records).where(
    _records.c.scope == bindparam("scope"),
    _records.c.method == bindparam("method"),
    _records.c.path == bindparam("path"),
    _records.c.key == bindparam("key"),
)
_TAKE_OVER = (
    update(_records)
    .where(
        _records.c.id == bindparam("record_id"),
        _records.c.state == IN_PROGRESS,
        _records.c.lease_until < bindparam("now"),
    )
    .values(lease_until=bindparam("lease_until", type_=_records.c.lease_until.type))
)
_COMPLETE = (
    update(_records)
    .where(_records.c.id == bindparam("record_id"))
    .values(
        state=COMPLETED,
        response_status=bindparam("response_status"),
        response_body=bindparam("response_body", type_=_records.c.response_body.type),
    )
)


def _try_claim(call: Request, until: datetime) -> int | None:
    """Insert the claim, committed at once (autocommit), beside the request's transaction."""
    values = {
        **_identity(call),
        "fingerprint": call.fingerprint,
        "state": IN_PROGRESS,
        "lease_until": until,
        "created_at": utcnow(),
    }
    try:
        with autocommit.engine().connect() as connection:
            return connection.execute(_CLAIM, values).inserted_primary_key[0]
    except IntegrityError:
        return None


def _existing(call: Request) -> Row | None:
    return autocommit.first(_EXISTING, _identity(call))


def _take_over_expired(record_id: int, until: datetime) -> bool:
    params = {"record_id": record_id, "now": utcnow(), "lease_until": until}
    with autocommit.engine().connect() as connection:
        return connection.execute(_TAKE_OVER, params).rowcount == 1


def begin(call: Request, *, wait_seconds: float, lease_seconds: float) -> int | Replay:
    """Claim the key (returns the record id) or hand back the stored response.

    A duplicate that arrives while the first call runs waits for it, up to `wait_seconds`,
    and then answers 409 so that the caller retries later.
    """
    if len(call.key) > MAX_KEY_LENGTH:
        raise Unprocessable("Idempotency-Key is too long.", code="invalid_idempotency_key")
    if nulchars.NUL in call.key:
        raise Unprocessable(
            "Idempotency-Key must not contain NUL characters.", code="invalid_idempotency_key"
        )
    deadline = time.monotonic() + wait_seconds
    delay = 0.02
    while True:
        until = utcnow() + timedelta(seconds=lease_seconds)
        claimed = _try_claim(call, until)
        if claimed is not None:
            keeper().hold(claimed, until, lease_seconds)
            return claimed
        record = _existing(call)
        if record is None:
            continue  # released between our insert and our read; try again
        if record.fingerprint != call.fingerprint:
            raise Unprocessable(
                "This Idempotency-Key was already used with a different request.",
                code="idempotency_key_reused",
            )
        if record.state == COMPLETED:
            return Replay(record.response_status, record.response_body)
        if _take_over_expired(record.id, until):
            keeper().hold(record.id, until, lease_seconds)
            return record.id
        if time.monotonic() >= deadline:
            raise Conflict(
                "A request with this Idempotency-Key is still being processed.",
                code="request_in_progress",
            )
        time.sleep(delay)
        delay = min(delay * 2, 0.25)


def complete(record_id: int, status: int, body: Any) -> None:
    """Store the response in the caller's (request's) transaction."""
    db.session.execute(
        _COMPLETE, {"record_id": record_id, "response_status": status, "response_body": body}
    )


def finish(record_id: int) -> None:
    """The response is committed: the claim's lease needs no more renewals."""
    keeper().finish(record_id)


def release(record_id: int) -> None:
    """Forget a claim whose call failed, so that a retry runs it again.

    Now, or as soon as the database answers (leases.py): a release that cannot reach the
    database does not raise, so the request's own error is the one answered.
    """
    keeper().release(record_id)


def purge(older_than: timedelta) -> int:
    """Delete records past the retention window; returns how many."""
    result = db.session.execute(
        delete(IdempotencyRecord).where(IdempotencyRecord.created_at < utcnow() - older_than)
    )
    return result.rowcount
