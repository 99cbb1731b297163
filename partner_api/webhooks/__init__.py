"""Vercel's webhooks (§5): a signed receiver that stores each event once, and the
`webhooks.handle` job that applies it (invoices, members, installation changes, project
connections, deployment actions)."""

from __future__ import annotations

from flask import Flask

from partner_api.webhooks import dispatch, handlers  # noqa: F401 - registers the job and handlers
from partner_api.webhooks.dunning import POLICIES
from partner_api.webhooks.routes import blueprint


def init_app(app: Flask) -> None:
    policy = app.config["WEBHOOK_OVERDUE_POLICY"]
    if policy not in POLICIES:
        raise SystemExit(
            f"WEBHOOK_OVERDUE_POLICY={policy!r} is not a policy; use one of {', '.join(POLICIES)}"
        )
    app.register_blueprint(blueprint)
