"""What the built-in providers add to the server's own operations: `/readyz` details, a check
when a serving process starts, CLI commands.

A provider's part is imported only when the catalog offers its product: the `postgres`
provider's package loads psycopg, which a server without it never needs.
"""

from __future__ import annotations

from typing import Any

from flask import Flask

from partner_api.providers.registry import EXTENSION

POSTGRES = "postgres"


def _offers_postgres(app: Flask) -> bool:
    """Whether `app` serves the postgres product; another WSGI app served with the shipped
    gunicorn configuration (the benchmark's bare ceiling) has no providers and offers none."""
    return POSTGRES in app.extensions.get(EXTENSION, {})


def register_commands(app: Flask) -> None:
    if _offers_postgres(app):
        from partner_api.providers.postgres.commands import group

        app.cli.add_command(group)


def readiness_details(app: Flask) -> dict[str, Any]:
    """Extra `/readyz` fields; none of them makes the server unready."""
    if not _offers_postgres(app):
        return {}
    from partner_api.providers.postgres import exposure_watch

    return {"postgres_provider": exposure_watch.readiness_detail(app)}


def check_at_start(app: Flask) -> None:
    """Log what an operator should know once, when a serving process starts."""
    if _offers_postgres(app):
        from partner_api.providers.postgres import exposure_watch

        exposure_watch.check_at_start(app)
