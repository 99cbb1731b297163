"""Webhook events as Vercel delivers them (contract §5): the envelope, and each documented
marketplace event's payload.

Every event concerns an installation (and team, resource, project) made up for it, one the
server has never seen: the docs ask the receiver to acknowledge it all the same (§7.28).
Datetimes in payloads are ISO-8601 UTC; `createdAt` is epoch milliseconds.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from partner_api_check.context import random_id

_DAY = "2026-01-01T00:00:00.000Z"
_NEXT_DAY = "2026-01-02T00:00:00.000Z"

Payload = Callable[[str], dict[str, Any]]  # the installation id → the event's own fields


def _invoice(installation: str) -> dict[str, Any]:
    return {"installationId": installation, "invoiceId": random_id("inv_check"),
            "externalInvoiceId": None, "period": {"start": _DAY, "end": _NEXT_DAY},
            "invoiceDate": _NEXT_DAY, "invoiceTotal": "10.00"}


def _refund(installation: str) -> dict[str, Any]:
    return {"installationId": installation, "invoiceId": random_id("inv_check"),
            "externalInvoiceId": None, "period": {"start": _DAY, "end": _NEXT_DAY},
            "amount": "10.00", "reason": "conformance check"}


def _member(installation: str) -> dict[str, Any]:
    return {"installationId": installation, "memberId": random_id("user_check"),
            "role": "USER"}


def _transferred(installation: str) -> dict[str, Any]:
    return {"installationId": installation, "previousTeamId": random_id("team_check"),
            "previousAccountId": random_id("team_check"), "newTeamId": random_id("team_check"),
            "newAccountId": random_id("team_check")}


def _project(installation: str) -> dict[str, Any]:
    project = random_id("prj_check")
    return {"installationId": installation, "resourceId": random_id("res_check"),
            "project": {"id": project, "name": "check-project"}, "projectId": project,
            "targets": ["production", "preview"]}


def _action(installation: str) -> dict[str, Any]:
    return {"installationId": installation, "resourceId": random_id("res_check"),
            "action": "check-action", "deployment": {"id": random_id("dpl_check")}}


def _check_run(installation: str) -> dict[str, Any]:
    deployment = random_id("dpl_check")
    return {"checkRun": {"id": random_id("chk_check"), "checkId": random_id("check_check"),
                         "source": {"kind": "integration",
                                    "integrationConfigurationId": installation},
                         "deploymentId": deployment},
            "deployment": {"id": deployment}}


def _deployment(_installation: str) -> dict[str, Any]:
    deployment = random_id("dpl_check")
    return {"deployment": {"id": deployment, "meta": {}, "url": "check.vercel.app",
                           "name": "check"},
            "links": {"deployment": f"https://vercel.com/check/{deployment}",
                      "project": "https://vercel.com/check/project"},
            "target": "production", "project": {"id": random_id("prj_check")},
            "plan": "pro", "regions": ["iad1"]}


# The configuration fields each event adds to `configuration.id`.
_CONFIGURATION: dict[str, dict[str, Any]] = {
    "integration-configuration.removed": {"projectSelection": "all", "projects": []},
    "integration-configuration.permission-upgraded": {"projectSelection": "selected",
                                                      "projects": []},
    "integration-configuration.scope-change-confirmed": {
        "scopes": ["read:resource", "write:resource"]},
}

PAYLOADS: dict[str, Payload] = {
    "marketplace.invoice.created": _invoice,
    "marketplace.invoice.paid": _invoice,
    "marketplace.invoice.notpaid": _invoice,
    "marketplace.invoice.overdue": _invoice,
    "marketplace.invoice.refunded": _refund,
    "marketplace.member.changed": _member,
    "integration-configuration.removed": lambda _installation: {},
    "integration-configuration.transferred": _transferred,
    "integration-configuration.permission-upgraded": lambda _installation: {
        "projects": {"added": [], "removed": []}},
    "integration-configuration.scope-change-confirmed": lambda _installation: {},
    "integration-resource.project-connected": _project,
    "integration-resource.project-disconnected": _project,
    "deployment.integration.action.start": _action,
    "deployment.integration.action.cancel": _action,
    "deployment.integration.action.cleanup": _action,
    "deployment.checkrun.start": _check_run,
    "deployment.checkrun.cancel": _check_run,
    **{f"deployment.{state}": _deployment
       for state in ("created", "ready", "succeeded", "error", "canceled", "promoted",
                     "cleanup")},
}


def event(event_type: str) -> dict[str, Any]:
    """A delivery of ``event_type`` for a new, unknown installation."""
    installation = random_id("icfg_checkHook")
    return {
        "id": random_id("evt_check"),
        "type": event_type,
        "createdAt": int(time.time() * 1000),
        "region": None,
        "payload": {
            "configuration": {"id": installation, **_CONFIGURATION.get(event_type, {})},
            "team": {"id": random_id("team_check")},
            "user": {"id": None},
            **PAYLOADS[event_type](installation),
        },
    }
