"""`deployment.integration.action.*`: recorded only (§F13).

Running an action (e.g. branching a database for a preview) is provider work that also needs
the Vercel client's V20 call; until then the table shows which actions Vercel asked for. An
event only touches the actions of the installation it routes to.
"""

from __future__ import annotations

from sqlalchemy import select

from partner_api.extensions import db
from partner_api.webhooks.events import Event, MalformedEvent, handles, text
from partner_api.webhooks.models import DeploymentAction

# event type → (state, timestamp column); a later state is never undone by an earlier one.
TRANSITIONS = {
    "deployment.integration.action.start": ("started", "started_at"),
    "deployment.integration.action.cancel": ("cancelled", "cancelled_at"),
    "deployment.integration.action.cleanup": ("cleaned_up", "cleaned_up_at"),
}
PROGRESS = {state: rank for rank, (state, _) in enumerate(TRANSITIONS.values())}


@handles(*TRANSITIONS)
def deployment_action(event: Event) -> str | None:
    deployment_id = text(event.payload, "deployment", "id")
    resource_id = text(event.payload, "resourceId")
    action_slug = text(event.payload, "action")
    action = db.session.scalar(
        select(DeploymentAction).where(
            DeploymentAction.deployment_id == deployment_id,
            DeploymentAction.resource_id == resource_id,
            DeploymentAction.action == action_slug,
        )
    )
    if action is not None and action.installation_id != event.installation.id:
        raise MalformedEvent("the deployment action belongs to another installation")
    if action is None:
        action = DeploymentAction(
            installation_id=event.installation.id,
            deployment_id=deployment_id,
            resource_id=resource_id,
            action=action_slug,
            state="started",
        )
        db.session.add(action)
    state, moment = TRANSITIONS[event.type]
    if getattr(action, moment) is None:
        setattr(action, moment, event.occurred_at)
    if PROGRESS[state] >= PROGRESS[action.state]:
        action.state = state
    db.session.flush()
    return None if action.state == state else f"kept {action.state}"
