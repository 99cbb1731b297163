"""Accepting a delivery: check its shape, store it once, queue its handling.

The body is decoded by the app's JSON policy (partner_api/jsonpolicy.py): a signature proves
who sent a delivery, not that the database can hold it. The `id` and `type` go into
columns of their own, so they are refused with a NUL in them (see partner_api/nulchars.py);
the rest is stored encrypted, as JSON text, which holds anything the policy lets through.

Changes are flushed, never committed: the route owns the transaction, so the event row and
its `webhooks.handle` job exist together or not at all.
"""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime
from typing import Any

from partner_api import jsonpolicy, nulchars
from partner_api.errors import ApiError, FieldError, ValidationFailed
from partner_api.extensions import db
from partner_api.jobs import enqueue
from partner_api.rows import insert_new
from partner_api.timeutil import utcnow
from partner_api.webhooks.models import WebhookEvent

log = logging.getLogger(__name__)

HANDLE_JOB = "webhooks.handle"
MAX_ID_LENGTH = 255
MAX_TYPE_LENGTH = 128


def parse(body: bytes) -> dict[str, Any]:
    """The event document, or a 400 naming what is wrong (never echoing the body)."""
    try:
        document = jsonpolicy.loads(body)  # what the policy refuses is a 400 of its own
    except json.JSONDecodeError:
        raise ApiError("The request body is not valid JSON.", code="invalid_json") from None
    if not isinstance(document, dict):
        raise ValidationFailed(
            "A webhook event is a JSON object.", fields=[FieldError("body", "Not an object.")]
        )
    problems = [
        FieldError(key, f"A non-empty string of at most {limit} characters, no NUL, is required.")
        for key, limit in (("id", MAX_ID_LENGTH), ("type", MAX_TYPE_LENGTH))
        if not _short_text(document.get(key), limit)
    ]
    if not isinstance(document.get("payload", {}), dict):
        problems.append(FieldError("payload", "Must be an object."))
    if problems:
        raise ValidationFailed("The webhook event is incomplete.", fields=problems)
    return document


def _short_text(value: Any, limit: int) -> bool:
    return (
        isinstance(value, str)
        and len(value.strip()) > 0
        and len(value) <= limit
        and nulchars.NUL not in value
    )


def occurred_at(document: dict[str, Any]) -> datetime | None:
    """`createdAt` is epoch milliseconds; anything else is treated as unknown."""
    created = document.get("createdAt")
    if isinstance(created, bool) or not isinstance(created, int | float):
        return None
    try:
        return datetime.fromtimestamp(created / 1000, UTC)
    except (OverflowError, OSError, ValueError):
        return None


def store(document: dict[str, Any]) -> bool:
    """Store the event and queue its handling; False if its id was seen before.

    The insert does nothing on a duplicate id: a concurrent delivery of the same id waits
    on the primary key and then inserts nothing, so exactly one of them queues the job.
    """
    event_id = document["id"]
    if db.session.get(WebhookEvent, event_id) is not None:
        return False
    inserted = insert_new(
        WebhookEvent,
        id=event_id,
        type=document["type"],
        occurred_at=occurred_at(document),
        body=document,
        received_at=utcnow(),
    )
    if not inserted:
        return False
    enqueue(HANDLE_JOB, {"event_id": event_id})
    log.info("webhook event %s (%s) stored", event_id, document["type"])
    return True
