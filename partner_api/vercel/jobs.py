"""Vercel calls that follow a state change, run by the worker (enqueued by services).

Payloads, as the services write them:

* `vercel.create_event`: `{"installation_id", "event": {"type": "resource.updated",
  "resourceId", "productId"?} | {"type": "installation.updated", "billingPlanId"?}}` → V4
* `vercel.update_resource_secrets`: `{"installation_id", "resource_id", "secrets":
  [{"name", "value", "prefix"?, "environmentOverrides"?}], "partial": bool}` → V10
* `vercel.update_installation`: `{"installation_id", "update": <V1 body>}` → V1
* `vercel.update_resource`: `{"installation_id", "resource_id", "update": <V8 body>}` → V8

The V1/V8 bodies may hold `status`, `billingPlan` and `notification` (`null` clears it).
Other modules never spell these kinds: `push_*` enqueue them in the caller's transaction, and
jobs of their own that call Vercel do it through `call_from_job`.

Failures are retried with backoff, except: an installation that is gone (finalized here, or
answered 401/403/404/410 by Vercel after its uninstall, or 410 anytime) ends the job quietly,
since nobody is left to tell; a request Vercel rejects as invalid (400, 422…) is dead at once.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from partner_api.extensions import db
from partner_api.installations.models import Installation
from partner_api.jobs import PermanentFailure, enqueue, job_handler
from partner_api.vercel.client import VercelClient
from partner_api.vercel.errors import VercelApiError
from partner_api.vercel.factory import client_for
from partner_api.vercel.models import (
    OMIT,
    Event,
    InstallationUpdate,
    Notification,
    ResourceUpdate,
    Secret,
    event_from_json,
)
from partner_api.vercel.outcomes import Outcome, outcome_of

log = logging.getLogger(__name__)

CREATE_EVENT = "vercel.create_event"
UPDATE_RESOURCE_SECRETS = "vercel.update_resource_secrets"
UPDATE_INSTALLATION = "vercel.update_installation"
UPDATE_RESOURCE = "vercel.update_resource"


def _parse(kind: str, parse: Callable[[], Any]) -> Any:
    """A payload this code cannot read will not become readable on a retry."""
    try:
        return parse()
    except (KeyError, TypeError, ValueError, AttributeError) as error:
        reason = f"{type(error).__name__}: {error}"
        raise PermanentFailure(f"malformed {kind} payload: {reason}") from error


def call_from_job(installation_id: str, what: str, call: Callable[[VercelClient], None]) -> None:
    """Run `call` with the installation's client, for a job handler; `what` names it in logs.

    A finalized or unknown installation is not called and a GONE answer (see `outcomes`)
    ends the job quietly, each with a warning; a REJECTED answer raises `PermanentFailure`
    (the job is dead at once); any other failure propagates, so the queue retries it.
    """
    installation = db.session.get(Installation, installation_id)
    if installation is None or installation.finalized_at is not None:
        # Its token stopped working at finalization (§7.14): nothing can be delivered.
        log.warning("dropped %s: installation %s is finalized or unknown", what, installation_id)
        return
    try:
        call(client_for(installation_id))
    except VercelApiError as error:
        outcome = outcome_of(error, uninstalled=installation.is_deleted)
        if outcome is Outcome.GONE:
            log.warning(
                "dropped %s: Vercel answered %s for uninstalled installation %s",
                what,
                error.status,
                installation_id,
            )
            return
        if outcome is Outcome.REJECTED:
            raise PermanentFailure(str(error)) from error
        raise


@job_handler(CREATE_EVENT)
def create_event(payload: dict[str, Any]) -> None:
    installation_id, event = _parse(
        CREATE_EVENT, lambda: (payload["installation_id"], event_from_json(payload["event"]))
    )
    call_from_job(
        installation_id,
        f"{event.TYPE} event",
        lambda client: client.create_event(installation_id, event),
    )


@job_handler(UPDATE_RESOURCE_SECRETS)
def update_resource_secrets(payload: dict[str, Any]) -> None:
    installation_id, resource_id, secrets, partial = _parse(
        UPDATE_RESOURCE_SECRETS,
        lambda: (
            payload["installation_id"],
            payload["resource_id"],
            [Secret.from_json(item) for item in payload["secrets"]],
            bool(payload.get("partial", False)),
        ),
    )
    call_from_job(
        installation_id,
        f"secrets of resource {resource_id}",
        lambda client: client.update_resource_secrets(
            installation_id, resource_id, secrets, partial=partial
        ),
    )


def _notification(body: Mapping[str, Any]) -> Any:
    """Absent: leave it; `null`: clear it; an object: show it."""
    if "notification" not in body:
        return OMIT
    value = body["notification"]
    return None if value is None else Notification.from_json(value)


def _installation_update(body: Mapping[str, Any]) -> InstallationUpdate:
    return InstallationUpdate(
        status=body.get("status"),
        external_id=body.get("externalId"),
        billing_plan=body.get("billingPlan"),
        notification=_notification(body),
    )


def _resource_update(body: Mapping[str, Any]) -> ResourceUpdate:
    return ResourceUpdate(
        name=body.get("name"),
        status=body.get("status"),
        billing_plan=body.get("billingPlan"),
        notification=_notification(body),
    )


def push_installation_update(installation_id: str, update: InstallationUpdate) -> None:
    """Have a job send V1 (secrets never travel this way, so the body is stored as is)."""
    enqueue(UPDATE_INSTALLATION, {"installation_id": installation_id, "update": update.to_json()})


def push_resource_update(installation_id: str, resource_id: str, update: ResourceUpdate) -> None:
    """Have a job send V8 with status, plan, name or notification (not secrets: use V10)."""
    if update.secrets is not None:
        raise ValueError("secrets go through vercel.update_resource_secrets")
    payload = {"installation_id": installation_id, "resource_id": resource_id}
    enqueue(UPDATE_RESOURCE, payload | {"update": update.to_json()})


def push_resource_secrets(
    installation_id: str, resource_id: str, secrets: Sequence[Mapping[str, Any]], partial: bool
) -> None:
    """Have a job send V10 with `secrets` in the §3.2.4 shape (as `Secret.to_json` writes
    them); `partial`: they replace only the secrets of the same name."""
    enqueue(
        UPDATE_RESOURCE_SECRETS,
        {
            "installation_id": installation_id,
            "resource_id": resource_id,
            "secrets": secrets,
            "partial": partial,
        },
    )


def push_event(installation_id: str, event: Event) -> None:
    """Have a job send V4, after which Vercel re-reads the installation or resource."""
    enqueue(CREATE_EVENT, {"installation_id": installation_id, "event": event.to_json()})


@job_handler(UPDATE_INSTALLATION)
def update_installation(payload: dict[str, Any]) -> None:
    installation_id, update = _parse(
        UPDATE_INSTALLATION,
        lambda: (payload["installation_id"], _installation_update(payload["update"])),
    )
    call_from_job(
        installation_id,
        "installation update",
        lambda client: client.update_installation(installation_id, update),
    )


@job_handler(UPDATE_RESOURCE)
def update_resource(payload: dict[str, Any]) -> None:
    installation_id, resource_id, update = _parse(
        UPDATE_RESOURCE,
        lambda: (
            payload["installation_id"],
            payload["resource_id"],
            _resource_update(payload["update"]),
        ),
    )
    call_from_job(
        installation_id,
        f"update of resource {resource_id}",
        lambda client: client.update_resource(installation_id, resource_id, update),
    )
