"""Playing Vercel's webhook sender: build events, sign their bytes, deliver them."""

from __future__ import annotations

import itertools
import json
from typing import Any

from sqlalchemy import func, select

from partner_api.extensions import db
from partner_api.jobs.models import Job
from partner_api.jobs.queue import run_due
from partner_api.webhooks.models import WebhookEvent
from partner_api.webhooks.signature import sign
from tests.conftest import CLIENT_SECRET, INSTALLATION_ID

URL = "/webhooks/vercel"
BASE_MS = 1_780_000_000_000  # 2026-05-28T...Z
_ids = itertools.count(1)


def event(
    event_type: str,
    payload: dict[str, Any] | None = None,
    *,
    event_id: str | None = None,
    created_ms: int | None = BASE_MS,
    installation_id: str | None = INSTALLATION_ID,
) -> dict[str, Any]:
    body_payload = dict(payload or {})
    if installation_id is not None:
        body_payload.setdefault("installationId", installation_id)
        body_payload.setdefault("configuration", {"id": installation_id})
    document: dict[str, Any] = {
        "id": event_id or f"evt_{next(_ids):06d}",
        "type": event_type,
        "region": "iad1",
        "payload": body_payload,
    }
    if created_ms is not None:
        document["createdAt"] = created_ms
    return document


def post(client, body: bytes, signature: str | None):
    headers = {"Content-Type": "application/json"}
    if signature is not None:
        headers["x-vercel-signature"] = signature
    return client.post(URL, data=body, headers=headers)


def deliver(client, document: dict[str, Any], *, secret: str = CLIENT_SECRET):
    body = json.dumps(document).encode()
    return post(client, body, sign(body, secret))


def deliver_and_handle(client, *documents: dict[str, Any]) -> list[str | None]:
    """Deliver each event (200 expected), run the queue; returns each event's result."""
    for document in documents:
        response = deliver(client, document)
        assert response.status_code == 200, response.get_json()
    run_due()
    return [result_of(document["id"]) for document in documents]


def result_of(event_id: str) -> str | None:
    db.session.expire_all()
    stored = db.session.get(WebhookEvent, event_id)
    return None if stored is None else stored.result


def counts() -> tuple[int, int]:
    """(stored events, jobs)."""
    db.session.expire_all()
    return (
        db.session.scalar(select(func.count()).select_from(WebhookEvent)),
        db.session.scalar(select(func.count()).select_from(Job)),
    )
