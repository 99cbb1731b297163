"""Secrets rotation asked for in the dashboard (ADMIN only).

Flushed, not committed: the view owns the transaction."""

from __future__ import annotations

from partner_api.errors import Forbidden
from partner_api.resources import rotation as resource_rotation
from partner_api.sso.session import DashboardUser
from partner_api.vercel.jobs import push_resource_secrets

ROTATION_REASON = "requested in the partner dashboard"


def rotate_secrets(user: DashboardUser, resource_id: str, delay_hours: float) -> bool:
    """Rotate, keeping the old secrets valid for `delay_hours`; True if the new ones exist now.

    Vercel did not ask for this rotation, so it learns the new secrets only through Update
    Resource Secrets (V10): queued here for a rotation done now, by the background job for
    one the provider finishes later.
    """
    if not user.is_admin:
        raise Forbidden("Only team members with the Admin role can rotate secrets.")
    outcome = resource_rotation.rotate(
        user.installation_id, resource_id, ROTATION_REASON, delay_hours
    )
    if outcome.secrets is None:
        return False
    push_resource_secrets(user.installation_id, resource_id, outcome.secrets, outcome.partial)
    return True
