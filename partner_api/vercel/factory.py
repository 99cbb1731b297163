"""Clients configured from the app: base URL, User-Agent and an installation's token."""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version

from flask import current_app

from partner_api.extensions import db
from partner_api.installations.models import Installation
from partner_api.vercel.client import VercelClient
from partner_api.vercel.errors import UnknownInstallation


def _version() -> str:
    try:
        return version("partner-api")
    except PackageNotFoundError:  # run from a source tree that was never installed
        return "0+unknown"


def user_agent(integration_id: str | None) -> str:
    """Names this software and the integration, so Vercel can tell who is calling."""
    return f"partner-api/{_version()} (+integration {integration_id or 'unset'})"


def _client(token: str | None) -> VercelClient:
    config = current_app.config
    return VercelClient(
        config["VERCEL_API_URL"], token, user_agent=user_agent(config["INTEGRATION_CLIENT_ID"])
    )


def client_for(installation_id: str) -> VercelClient:
    """A client with the installation's (decrypted) access token, deleted or not."""
    installation = db.session.get(Installation, installation_id)
    if installation is None:
        raise UnknownInstallation(f"no installation {installation_id} is stored")
    return _client(installation.access_token)


def integration_client() -> VercelClient:
    """A client without an installation token: for the SSO code exchange (V17)."""
    return _client(None)
