"""The dashboard's sign-in session: Flask's signed cookie, holding who signed in and nothing
that would let anyone call Vercel (no `id_token`, no access token).

The cookie settings (HttpOnly, SameSite=Lax, Secure outside development, 8 h) are in
config.py. The lifetime is absolute: `signed_in_at` is checked here as well, so a cookie
re-sent after its time is refused even by a client that ignores its expiry.
"""

from __future__ import annotations

import hmac
import secrets
import time
from dataclasses import dataclass

from flask import Flask, Request, current_app, session
from flask.sessions import SecureCookieSessionInterface

from partner_api.auth.claims import ADMIN, Claims

_KEYS = ("installation_id", "user_id", "user_role", "signed_in_at", "csrf_token")
# Vercel's calls (the Partner API) never carry the dashboard's cookie nor use it.
PARTNER_API_PREFIX = "/v1/"


class DashboardSessionInterface(SecureCookieSessionInterface):
    """Flask's signed cookie, left unopened on Partner API calls.

    Flask opens the session of every request: a cookie look-up and a signing serializer
    built each time, a few percent of a Partner API read. Those calls get Flask's null
    session instead, which is never saved.
    """

    def open_session(self, app: Flask, request: Request):
        if request.path.startswith(PARTNER_API_PREFIX):
            return None
        return super().open_session(app, request)


@dataclass(frozen=True)
class DashboardUser:
    installation_id: str
    user_id: str
    role: str
    signed_in_at: int
    csrf_token: str
    name: str | None = None
    email: str | None = None

    @property
    def is_admin(self) -> bool:
        return self.role == ADMIN

    @property
    def display_name(self) -> str:
        return self.name or self.email or self.user_id


def start(claims: Claims) -> None:
    """A fresh session for the user of a verified `id_token`; any previous one is dropped."""
    session.clear()
    session.permanent = True
    session.update(
        installation_id=claims.installation_id,
        user_id=claims.user_id,
        user_role=claims.user_role,
        user_name=claims.user_name,
        user_email=claims.user_email,
        signed_in_at=int(time.time()),
        csrf_token=secrets.token_urlsafe(32),
    )


def end() -> None:
    session.clear()


def signed_in_user() -> DashboardUser | None:
    """The session's user; None without a session or once its lifetime is over."""
    if not all(key in session for key in _KEYS):
        return None
    lifetime = current_app.permanent_session_lifetime.total_seconds()
    if time.time() - session["signed_in_at"] > lifetime:
        return None
    return DashboardUser(
        installation_id=session["installation_id"],
        user_id=session["user_id"],
        role=session["user_role"],
        signed_in_at=session["signed_in_at"],
        csrf_token=session["csrf_token"],
        name=session.get("user_name"),
        email=session.get("user_email"),
    )


def csrf_valid(user: DashboardUser, submitted: str | None) -> bool:
    """Whether a form carries the session's CSRF token (compared in constant time)."""
    if not submitted:
        return False
    return hmac.compare_digest(submitted.encode(), user.csrf_token.encode())
