"""`marketplace.member.changed`: a team member's role for this installation (§5.2)."""

from __future__ import annotations

from partner_api.installations.member_models import ROLES
from partner_api.installations.members import record_member
from partner_api.webhooks.events import Event, MalformedEvent, handles, text


@handles("marketplace.member.changed")
def member_changed(event: Event) -> str | None:
    """Role `NONE` means removed; the row stays, with that role."""
    role = text(event.payload, "role").upper()
    if role not in ROLES:
        raise MalformedEvent(f"role must be one of {', '.join(ROLES)}")
    recorded = record_member(
        event.installation.id,
        text(event.payload, "memberId"),
        role=role,
        as_of=event.occurred_at,
        email=text(event.payload, "userEmail", required=False),
        global_user_id=text(event.payload, "globalUserId", required=False),
    )
    return None if recorded is not None else "stale"
