"""Vercel calls that follow a state change, run by the worker (enqueued by services).

Payloads, as the services write them:

* `vercel.create_event`: `{"installation_id", "event": {"type": "resource.updated",
  "resourceId", "productId"?} | {"type": "installation.updated", "billingPlanId"?}}` → V4
* `vercel.update_resource_secrets`: `{"installation_id", "resource_id", "secrets":
  [{"name", "value", "prefix"?, "environmentOverrides"?}], "partial": bool}` → V10

Failures are retried with backoff, except: an installation that is gone (finalized here, or
answered 401/403/404/410 by Vercel after its uninstall, or 410 anytime) ends the job quietly,
since nobody is left to tell; a request Vercel rejects as invalid (400, 422…) is dead at once.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from partner_api.extensions import db
from partner_api.installations.models import Installation
from partner_api.jobs import PermanentFailure, job_handler
from partner_api.vercel.client import VercelClient
from partner_api.vercel.errors import VercelApiError
from partner_api.vercel.factory import client_for
from partner_api.vercel.models import Secret, event_from_json

log = logging.getLogger(__name__)

CREATE_EVENT = "vercel.create_event"
UPDATE_RESOURCE_SECRETS = "vercel.update_resource_secrets"


def _parse(kind: str, parse: Callable[[], Any]) -> Any:
    """A payload this code cannot read will not become readable on a retry."""
    try:
        return parse()
    except (KeyError, TypeError, ValueError, AttributeError) as error:
        reason = f"{type(error).__name__}: {error}"
        raise PermanentFailure(f"malformed {kind} payload: {reason}") from error


def _gone(installation: Installation, error: VercelApiError) -> bool:
    return error.status == 410 or (error.gone and installation.is_deleted)


def _call_vercel(installation_id: str, what: str, call: Callable[[VercelClient], None]) -> None:
    installation = db.session.get(Installation, installation_id)
    if installation is None or installation.finalized_at is not None:
        # Its token stopped working at finalization (§7.14): nothing can be delivered.
        log.warning("dropped %s: installation %s is finalized or unknown", what, installation_id)
        return
    try:
        call(client_for(installation_id))
    except VercelApiError as error:
        if _gone(installation, error):
            log.warning(
                "dropped %s: Vercel answered %s for uninstalled installation %s",
                what,
                error.status,
                installation_id,
            )
            return
        if error.rejected:
            raise PermanentFailure(str(error)) from error
        raise


@job_handler(CREATE_EVENT)
def create_event(payload: dict[str, Any]) -> None:
    installation_id, event = _parse(
        CREATE_EVENT, lambda: (payload["installation_id"], event_from_json(payload["event"]))
    )
    _call_vercel(
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
    _call_vercel(
        installation_id,
        f"secrets of resource {resource_id}",
        lambda client: client.update_resource_secrets(
            installation_id, resource_id, secrets, partial=partial
        ),
    )
