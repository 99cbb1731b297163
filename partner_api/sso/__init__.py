"""Vercel SSO (the Redirect Login URL, §2.4) and the partner dashboard it opens (F4)."""

from __future__ import annotations

from flask import Flask

from partner_api.sso import dashboard, routes, session
from partner_api.sso.redirects import EXTENSION, configured_origins


def init_app(app: Flask) -> None:
    try:
        origins = configured_origins(
            app.config.get("SSO_ALLOWED_REDIRECT_ORIGINS"), app.config.get("PUBLIC_URL")
        )
    except ValueError as error:
        raise SystemExit(f"partner-api cannot start: {error}") from None
    app.extensions[EXTENSION] = origins
    app.session_interface = session.DashboardSessionInterface()
    app.register_blueprint(routes.blueprint)
    app.register_blueprint(dashboard.blueprint)
