"""Who may do what in an installation: roles recorded per Vercel user.

Changes are flushed, never committed: the caller owns the transaction.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select

from partner_api.extensions import db
from partner_api.installations.member_models import ROLES, Member


def find_member(installation_id: str, user_id: str) -> Member | None:
    return db.session.scalar(
        select(Member).where(Member.installation_id == installation_id, Member.user_id == user_id)
    )


def record_member(
    installation_id: str,
    user_id: str,
    *,
    role: str,
    as_of: datetime,
    email: str | None = None,
    global_user_id: str | None = None,
) -> Member | None:
    """Store what was known about the member at `as_of`; None if newer facts are stored.

    `email` and `global_user_id` are only sent with extra permissions, so absent values
    keep the stored ones.
    """
    if role not in ROLES:
        raise ValueError(f"unknown member role {role!r}")
    member = find_member(installation_id, user_id)
    if member is None:
        member = Member(installation_id=installation_id, user_id=user_id)
        db.session.add(member)
    elif member.updated_at > as_of:
        return None
    member.role = role
    member.updated_at = as_of
    if email is not None:
        member.email = email
    if global_user_id is not None:
        member.global_user_id = global_user_id
    db.session.flush()
    return member
