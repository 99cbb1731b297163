"""The `webhooks.handle` job: route a stored event to its installation and its handler.

Runs in the worker's unit of work, a handler in a unit of its own within it: the handler's
changes, the event's result and its `processed_at` commit together; a malformed event
(`MalformedEvent`, possibly after the handler changed some rows) rolls all of the handler's
changes back, and the verdict is then recorded by the worker's unit. Any other failure rolls
everything back, so the job's retry starts clean. No savepoint: SQLite's driver cannot nest
one inside its own transaction (partner_api/rows.py).
"""

from __future__ import annotations

import logging

from sqlalchemy import select

from partner_api.extensions import db
from partner_api.installations.models import Installation
from partner_api.jobs import job_handler
from partner_api.timeutil import utcnow
from partner_api.unit_of_work import unit_of_work
from partner_api.webhooks import events, routing
from partner_api.webhooks.models import WebhookEvent
from partner_api.webhooks.receiver import HANDLE_JOB

log = logging.getLogger(__name__)

IGNORED = "ignored"
UNKNOWN_INSTALLATION = "unknown installation"


@job_handler(HANDLE_JOB)
def handle(job: dict) -> None:
    event = db.session.get(WebhookEvent, job["event_id"])
    if event is None or event.processed_at is not None:
        return
    handler = events.handler_for(event.type)
    if handler is None:
        return _record(event, IGNORED)
    payload = event.body.get("payload") or {}
    installation = _known_installation(routing.candidate_installation_ids(payload))
    if installation is None:
        return _record(event, UNKNOWN_INSTALLATION)
    installation_id = installation.id
    subject = events.Event(
        id=event.id,
        type=event.type,
        payload=payload,
        occurred_at=event.occurred_at or event.received_at,
        installation=installation,
    )
    try:
        with unit_of_work():
            _record(event, handler(subject) or events.HANDLED, installation_id)
    except events.MalformedEvent as problem:  # rolled back: no partial change is left
        log.warning("webhook event %s (%s) is malformed: %s", event.id, event.type, problem)
        _record(event, f"malformed: {problem}"[:255], installation_id)


def _record(event: WebhookEvent, result: str, installation_id: str | None = None) -> None:
    if installation_id is not None:
        event.installation_id = installation_id
    event.result = result
    event.processed_at = utcnow()
    db.session.flush()
    log.info("webhook event %s (%s): %s", event.id, event.type, event.result)


def _known_installation(candidates: list[str]) -> Installation | None:
    """The first named installation we have a row for (uninstalled ones included)."""
    if not candidates:
        return None
    known = {
        installation.id: installation
        for installation in db.session.scalars(
            select(Installation).where(Installation.id.in_(candidates))
        )
    }
    return next((known[id_] for id_ in candidates if id_ in known), None)
