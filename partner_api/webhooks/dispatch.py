"""The `webhooks.handle` job: route a stored event to its installation and its handler.

Runs in the worker's transaction: the handler's changes and the event's `processed_at`
commit together, and a failure rolls both back so the job's retry starts clean.
"""

from __future__ import annotations

import logging

from sqlalchemy import select

from partner_api.extensions import db
from partner_api.installations.models import Installation
from partner_api.jobs import job_handler
from partner_api.timeutil import utcnow
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
    event.result = _run(event)
    event.processed_at = utcnow()
    db.session.flush()
    log.info("webhook event %s (%s): %s", event.id, event.type, event.result)


def _run(event: WebhookEvent) -> str:
    handler = events.handler_for(event.type)
    if handler is None:
        return IGNORED
    payload = event.body.get("payload") or {}
    installation = _known_installation(routing.candidate_installation_ids(payload))
    if installation is None:
        return UNKNOWN_INSTALLATION
    event.installation_id = installation.id
    subject = events.Event(
        id=event.id,
        type=event.type,
        payload=payload,
        occurred_at=event.occurred_at or event.received_at,
        installation=installation,
    )
    try:
        with db.session.begin_nested():  # a malformed event leaves no partial change behind
            return handler(subject) or events.HANDLED
    except events.MalformedEvent as problem:
        log.warning("webhook event %s (%s) is malformed: %s", event.id, event.type, problem)
        return f"malformed: {problem}"[:255]


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
