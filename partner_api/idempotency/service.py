"""Claim, replay, complete and release `Idempotency-Key` records.

A claim is inserted and committed on its own connection before the view runs, so a
concurrent duplicate hits the unique constraint instead of running. The response is stored
in the request's own transaction, together with the changes it reports; if the process dies
before that commit the claim's lease runs out and a retry runs the call again.
"""

from __future__ import annotations

import hashlib
import json
import time
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from sqlalchemy import Row, delete, insert, select, update
from sqlalchemy.exc import IntegrityError

from partner_api import nulchars
from partner_api.errors import Conflict, Unprocessable
from partner_api.extensions import db
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
    """Same call, same fingerprint: JSON bodies are compared by content, not by layout."""
    try:
        canonical = json.dumps(json.loads(body), sort_keys=True, separators=(",", ":"))
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


def _try_claim(call: Request, lease_seconds: float) -> int | None:
    now = utcnow()
    try:
        with db.engine.begin() as connection:
            result = connection.execute(
                insert(IdempotencyRecord).values(
                    **_identity(call),
                    fingerprint=call.fingerprint,
                    state=IN_PROGRESS,
                    lease_until=now + timedelta(seconds=lease_seconds),
                    created_at=now,
                )
            )
            return result.inserted_primary_key[0]
    except IntegrityError:
        return None


def _existing(call: Request) -> Row | None:
    identity = _identity(call)
    with db.engine.connect() as connection:
        row = connection.execute(
            select(IdempotencyRecord.__table__).where(
                *(getattr(IdempotencyRecord, name) == value for name, value in identity.items())
            )
        ).first()
    return row


def _take_over_expired(record_id: int, lease_seconds: float) -> bool:
    now = utcnow()
    with db.engine.begin() as connection:
        result = connection.execute(
            update(IdempotencyRecord)
            .where(
                IdempotencyRecord.id == record_id,
                IdempotencyRecord.state == IN_PROGRESS,
                IdempotencyRecord.lease_until < now,
            )
            .values(lease_until=now + timedelta(seconds=lease_seconds))
        )
        return result.rowcount == 1


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
        claimed = _try_claim(call, lease_seconds)
        if claimed is not None:
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
        if _take_over_expired(record.id, lease_seconds):
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
        update(IdempotencyRecord)
        .where(IdempotencyRecord.id == record_id)
        .values(state=COMPLETED, response_status=status, response_body=body)
    )


def release(record_id: int) -> None:
    """Forget a claim whose call failed, so that a retry runs it again."""
    with db.engine.begin() as connection:
        connection.execute(
            delete(IdempotencyRecord).where(
                IdempotencyRecord.id == record_id, IdempotencyRecord.state == IN_PROGRESS
            )
        )


def purge(older_than: timedelta) -> int:
    """Delete records past the retention window; returns how many."""
    result = db.session.execute(
        delete(IdempotencyRecord).where(IdempotencyRecord.created_at < utcnow() - older_than)
    )
    return result.rowcount
