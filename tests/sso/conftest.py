"""Fixtures of the SSO and dashboard tests: Vercel's token endpoint, a resource, sign-in."""

from __future__ import annotations

from typing import Any

import pytest
import responses

from partner_api import create_app
from partner_api.extensions import db
from tests.conftest import INSTALLATION_ID
from tests.sso.helpers import SsoExchange


@pytest.fixture
def sso(vercel):
    """Vercel's SSO token endpoint (V17); register answers with `sso.answer(...)`."""
    with responses.RequestsMock() as mock:
        yield SsoExchange(mock, vercel)


@pytest.fixture
def resource(client, vercel, installed) -> dict[str, Any]:
    """A ready demo resource of the installation, as Provision Resource answered it."""
    return provision(client, vercel, INSTALLATION_ID)


def provision(client, vercel, installation_id: str, name: str = "my-store") -> dict[str, Any]:
    body = {
        "productId": "demo",
        "name": name,
        "metadata": {"region": "fra1"},
        "billingPlanId": "demo-free",
    }
    response = client.post(
        f"/v1/installations/{installation_id}/resources",
        json=body,
        headers=vercel.user(installation_id),
    )
    assert response.status_code == 200, response.get_json()
    return response.get_json()


@pytest.fixture
def app_with(app, app_settings):
    """Another app on the same database, with some settings changed."""
    made = []

    def build(**settings: Any):
        other = create_app({**app_settings, **settings})
        made.append(other)
        return other

    yield build
    for other in made:
        with other.app_context():
            db.session.remove()
            db.engine.dispose()
