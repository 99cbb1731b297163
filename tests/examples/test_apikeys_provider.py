"""The README's worked provider example, plugged in through the catalog like a partner would."""

from __future__ import annotations

import json

import pytest
import requests
import responses

from partner_api.jobs.queue import run_due
from tests.conftest import INSTALLATION_ID, running_app, upsert_body

ADMIN = "https://admin.acme.test"


@pytest.fixture
def catalog_file(tmp_path):
    path = tmp_path / "catalog.json"
    path.write_text(json.dumps({
        "products": [{
            "slug": "acme-api",
            "name": "Acme API",
            "provider": "examples.apikeys_provider:ApiKeysProvider",
            "metadataSchema": {"type": "object", "properties": {}},
            "plans": [{"id": "acme-free", "type": "subscription", "name": "Free",
                       "description": "10k requests a month", "paymentMethodRequired": False}],
        }],
    }))
    return path


@pytest.fixture
def acme_app(app_settings, migrated, catalog_file, monkeypatch):
    monkeypatch.setenv("ACME_ADMIN_URL", ADMIN)
    monkeypatch.setenv("ACME_ADMIN_TOKEN", "acme-admin-token")
    with running_app({**app_settings, "CATALOG_PATH": str(catalog_file)}) as app:
        yield app


@responses.activate
def test_lifecycle_through_the_example_provider(acme_app, vercel):
    client = acme_app.test_client()
    responses.post(f"{ADMIN}/projects", json={"id": "prj_1"})
    responses.post(f"{ADMIN}/projects/prj_1/keys", json={"id": "key_1", "secret": "sk_one"})
    assert client.put(f"/v1/installations/{INSTALLATION_ID}", json=upsert_body(),
                      headers=vercel.user()).status_code == 200

    provisioned = client.post(
        f"/v1/installations/{INSTALLATION_ID}/resources",
        json={"productId": "acme-api", "name": "my api", "metadata": {},
              "billingPlanId": "acme-free"},
        headers=vercel.user(),
    )
    assert provisioned.status_code == 200, provisioned.get_json()
    resource = provisioned.get_json()
    assert {s["name"]: s["value"] for s in resource["secrets"]} == {
        "ACME_API_KEY": "sk_one", "ACME_PROJECT_ID": "prj_1"}
    assert responses.calls[0].request.headers["Authorization"] == "Bearer acme-admin-token"

    responses.post(f"{ADMIN}/projects/prj_1/keys", json={"id": "key_2", "secret": "sk_two"})
    responses.delete(f"{ADMIN}/projects/prj_1/keys/key_1")
    rotated = client.post(
        f"/v1/installations/{INSTALLATION_ID}/resources/{resource['id']}/secrets/rotate",
        json={"delayOldSecretsExpirationHours": 0}, headers=vercel.user(),
    )
    assert rotated.get_json() == {
        "sync": True, "partial": True, "secrets": [{"name": "ACME_API_KEY", "value": "sk_two"}]}
    run_due()  # the old key's grace period is over: it is revoked at the partner
    assert [c.request.method + " " + c.request.url for c in responses.calls][-1] == (
        f"DELETE {ADMIN}/projects/prj_1/keys/key_1")

    responses.delete(f"{ADMIN}/projects/prj_1")
    deleted = client.delete(f"/v1/installations/{INSTALLATION_ID}/resources/{resource['id']}",
                            headers=vercel.user())
    assert deleted.status_code == 204
    run_due()
    assert responses.calls[-1].request.url == f"{ADMIN}/projects/prj_1"


@responses.activate
def test_unreachable_admin_api_is_a_503_and_creates_nothing(acme_app, vercel):
    client = acme_app.test_client()
    client.put(f"/v1/installations/{INSTALLATION_ID}", json=upsert_body(), headers=vercel.user())
    responses.post(f"{ADMIN}/projects", body=requests.ConnectionError("down"))
    response = client.post(
        f"/v1/installations/{INSTALLATION_ID}/resources",
        json={"productId": "acme-api", "name": "my api", "metadata": {},
              "billingPlanId": "acme-free"},
        headers=vercel.user(),
    )
    assert response.status_code == 503
    assert response.get_json()["error"]["code"] == "provider_unavailable"
    listed = client.get(f"/v1/installations/{INSTALLATION_ID}/resources", headers=vercel.system())
    assert listed.get_json() == {"resources": []}
