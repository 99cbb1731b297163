"""The verified identity carried by a Vercel Partner API token."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

__all__ = ["ADMIN", "SYSTEM", "USER", "USER_ROLES", "Claims"]

USER = "user"
SYSTEM = "system"
ADMIN = "ADMIN"
USER_ROLES = frozenset({ADMIN, "USER"})


@dataclass(frozen=True)
class Claims:
    """Claims of a verified token; build it only through ``TokenVerifier.verify``.

    Personal data (email, name, avatar) and the raw claim set are kept out of ``repr`` so
    that logging a ``Claims`` object does not leak them.
    """

    kind: str
    subject: str | None
    account_id: str | None
    installation_id: str | None
    user_id: str | None = None
    user_role: str | None = None
    user_email: str | None = field(default=None, repr=False)
    user_name: str | None = field(default=None, repr=False)
    user_avatar_url: str | None = field(default=None, repr=False)
    raw: Mapping[str, Any] = field(default_factory=dict, repr=False, hash=False)

    @property
    def is_user(self) -> bool:
        return self.kind == USER

    @property
    def is_system(self) -> bool:
        return self.kind == SYSTEM

    @property
    def is_admin(self) -> bool:
        return self.is_user and self.user_role == ADMIN
