"""Clients built from the app's settings and an installation's stored token."""

from __future__ import annotations

import pytest
import responses

from partner_api.vercel import UnknownInstallation, client_for, integration_client
from partner_api.vercel.factory import user_agent
from tests.conftest import CLIENT_ID, INSTALLATION_ID


def test_client_for_uses_the_decrypted_token_the_configured_url_and_a_descriptive_agent(
    app, installed
):
    app.config["VERCEL_API_URL"] = "https://vercel-proxy.test/api/"
    with responses.RequestsMock() as api:
        api.get(
            f"https://vercel-proxy.test/api/v1/installations/{INSTALLATION_ID}/account",
            json={"url": "https://vercel.com/acme"},
        )
        client_for(INSTALLATION_ID).get_account(INSTALLATION_ID)
        request = api.calls[0].request
    assert request.headers["Authorization"] == "Bearer vercel-access-token-1"
    assert request.headers["User-Agent"] == user_agent(CLIENT_ID)


def test_the_user_agent_names_the_software_its_version_and_the_integration():
    assert user_agent("oac_X").startswith("partner-api/")
    assert user_agent("oac_X").endswith(" (+integration oac_X)")
    assert user_agent("oac_X").split()[0] != "partner-api/"


def test_client_for_an_unknown_installation_fails(app):
    with pytest.raises(UnknownInstallation):
        client_for("icfg_unknown")


def test_the_integration_client_carries_no_bearer(app):
    with responses.RequestsMock() as api:
        api.post(
            f"{app.config['VERCEL_API_URL']}/v1/integrations/sso/token", json={"id_token": "t"}
        )
        integration_client().exchange_sso_code(code="c", client_id=CLIENT_ID, client_secret="s")
        headers = api.calls[0].request.headers
    assert "Authorization" not in headers
    assert CLIENT_ID in headers["User-Agent"]
