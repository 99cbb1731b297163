"""Who may use the dashboard right now: the session's user, checked against what is stored.

A session outlives the facts it was made from: the installation can be uninstalled and
`marketplace.member.changed` can remove the user or change their role. Newer facts win.
"""

from __future__ import annotations

from dataclasses import replace

from partner_api.extensions import db
from partner_api.installations.member_models import NONE
from partner_api.installations.members import find_member
from partner_api.installations.models import Installation
from partner_api.sso.session import DashboardUser, signed_in_user


def current_user() -> DashboardUser | None:
    """The signed-in user with their current role; None if they may no longer come in."""
    user = signed_in_user()
    if user is None:
        return None
    installation = db.session.get(Installation, user.installation_id)
    if installation is None or installation.is_deleted:
        return None
    member = find_member(user.installation_id, user.user_id)
    if member is None or member.updated_at.timestamp() <= user.signed_in_at:
        return user
    if member.role == NONE:
        return None
    return replace(user, role=member.role)
