"""Installations through the Partner API (§3.4.1–3.4.4)."""

from __future__ import annotations

from sqlalchemy import text

from partner_api.extensions import db
from partner_api.installations.models import Installation
from tests.conftest import INSTALLATION_ID, upsert_body
from tests.dbstate import snapshot

URL = f"/v1/installations/{INSTALLATION_ID}"


def stored(installation_id: str = INSTALLATION_ID) -> Installation | None:
    db.session.expire_all()
    return db.session.get(Installation, installation_id)


def test_upsert_creates_the_installation_with_the_default_plan(client, vercel):
    response = client.put(URL, json=upsert_body(), headers=vercel.user())
    assert response.status_code == 200
    body = response.get_json()
    assert body["billingPlan"]["id"] == "starter"
    assert body["billingPlan"]["scope"] == "installation"
    installation = stored()
    assert installation.scopes == ["read:resource", "write:resource"]
    assert installation.account["contact"]["email"] == "owner@acme.test"
    assert installation.access_token == "vercel-access-token-1"
    assert installation.account_id is not None


def test_upsert_refreshes_credentials_and_account(client, vercel, installed):
    body = upsert_body(token="vercel-access-token-2")
    body["scopes"] = ["read:resource"]
    body["account"]["name"] = "Acme Renamed"
    assert client.put(URL, json=body, headers=vercel.user()).status_code == 200
    installation = stored()
    assert installation.access_token == "vercel-access-token-2"
    assert installation.scopes == ["read:resource"]
    assert installation.account["name"] == "Acme Renamed"


def test_access_token_is_encrypted_at_rest(client, vercel, installed):
    raw = db.session.execute(
        text("SELECT access_token FROM installations WHERE id = :id"), {"id": installed}
    ).scalar_one()
    assert "vercel-access-token-1" not in raw
    assert raw.startswith("gAAAAA")  # a Fernet token


def test_access_token_never_in_responses(client, vercel, installed):
    for response in (
        client.get(URL, headers=vercel.system()),
        client.put(URL, json=upsert_body(), headers=vercel.user()),
    ):
        assert b"vercel-access-token" not in response.data


def test_upsert_without_account_is_tolerated(client, vercel):
    body = upsert_body()
    del body["account"]
    assert client.put(URL, json=body, headers=vercel.user()).status_code == 200
    assert stored().account is None


def test_upsert_rejects_missing_credentials_with_fields(client, vercel):
    body = upsert_body()
    del body["credentials"]
    response = client.put(URL, json=body, headers=vercel.user())
    assert response.status_code == 400
    error = response.get_json()["error"]
    assert error["code"] == "validation_error"
    assert [f["key"] for f in error["fields"]] == ["credentials"]
    assert stored() is None


def test_upsert_rejects_a_token_type_longer_than_its_column(client, vercel, installed):
    """Postgres refused to store it: the refresh was a 500 there (SQLite stored it)."""
    body = upsert_body()
    body["credentials"]["token_type"] = "B" * 33
    before = snapshot()
    response = client.put(URL, json=body, headers=vercel.user())
    assert response.status_code == 400
    error = response.get_json()["error"]
    assert [f["key"] for f in error["fields"]] == ["credentials.token_type"]
    assert snapshot() == before


def test_upsert_tolerates_unknown_fields(client, vercel):
    body = {**upsert_body(), "somethingNew": {"x": 1}}
    assert client.put(URL, json=body, headers=vercel.user()).status_code == 200


def test_upsert_rejects_a_body_that_is_not_json(client, vercel):
    headers = {**vercel.user(), "Content-Type": "application/json"}
    response = client.put(URL, data="{not json", headers=headers)
    assert response.status_code == 400
    assert response.get_json()["error"]["code"] == "invalid_json"
    assert stored() is None


def test_get_installation(client, vercel, installed):
    response = client.get(URL, headers=vercel.system())
    assert response.status_code == 200
    assert response.get_json() == {
        "billingPlan": response.get_json()["billingPlan"],
        "notification": None,
    }
    assert response.get_json()["billingPlan"]["id"] == "starter"


def test_get_unknown_installation_is_404(client, vercel):
    response = client.get(URL, headers=vercel.system())
    assert response.status_code == 404
    assert response.get_json()["error"]["code"] == "not_found"


def test_update_changes_the_installation_plan(client, vercel, installed):
    response = client.patch(URL, json={"billingPlanId": "team"}, headers=vercel.user())
    assert response.status_code == 200
    assert response.get_json()["billingPlan"]["id"] == "team"
    assert stored().billing_plan_id == "team"


def test_update_rejects_an_unknown_plan(client, vercel, installed):
    response = client.patch(URL, json={"billingPlanId": "demo-pro"}, headers=vercel.user())
    assert response.status_code == 400
    assert response.get_json()["error"]["fields"][0]["key"] == "billingPlanId"
    assert stored().billing_plan_id == "starter"


def test_update_unknown_installation_is_404(client, vercel):
    response = client.patch(URL, json={"billingPlanId": "team"}, headers=vercel.user())
    assert response.status_code == 404


def test_delete_free_installation_is_finalized_at_once(client, vercel, installed):
    response = client.delete(URL, json={"reason": "uninstall"}, headers=vercel.user())
    assert response.status_code == 200
    assert response.get_json() == {"finalized": True}
    installation = stored()
    assert installation.deleted_at is not None
    assert installation.finalized_at is not None
    assert installation.delete_reason == "uninstall"


def test_delete_paid_installation_waits_for_final_invoices(client, vercel, installed):
    client.patch(URL, json={"billingPlanId": "team"}, headers=vercel.user())
    response = client.delete(URL, json={"cascadeResourceDeletion": True}, headers=vercel.system())
    assert response.get_json() == {"finalized": False}
    installation = stored()
    assert installation.finalized_at is None
    assert installation.cascade_resource_deletion is True
    # Credentials stay until finalization so final invoices can be sent.
    assert installation.access_token == "vercel-access-token-1"


def test_delete_without_body(client, vercel, installed):
    response = client.delete(URL, headers=vercel.user())
    assert response.status_code == 200
    assert response.get_json() == {"finalized": True}


def test_repeat_delete_succeeds_and_changes_nothing(client, vercel, installed):
    client.delete(URL, headers=vercel.user())
    first = stored().deleted_at
    response = client.delete(URL, headers=vercel.system())
    assert response.status_code == 200
    assert response.get_json() == {"finalized": True}
    assert stored().deleted_at == first


def test_delete_unknown_installation_is_204(client, vercel):
    response = client.delete(URL, headers=vercel.user())
    assert response.status_code == 204
    assert response.data == b""


def test_deleted_installation_is_gone_for_reads_and_updates(client, vercel, installed):
    client.delete(URL, headers=vercel.user())
    assert client.get(URL, headers=vercel.system()).status_code == 404
    update = client.patch(URL, json={"billingPlanId": "team"}, headers=vercel.user())
    assert update.status_code == 404
    assert client.get(f"{URL}/plans", headers=vercel.system()).status_code == 404


def test_upsert_of_an_uninstalled_installation_is_a_conflict(client, vercel, installed):
    client.delete(URL, headers=vercel.user())
    response = client.put(URL, json=upsert_body("new-token"), headers=vercel.user())
    assert response.status_code == 409
    assert stored().access_token == "vercel-access-token-1"


def test_trailing_slash_is_accepted(client, vercel, installed):
    assert client.get(URL + "/", headers=vercel.system()).status_code == 200
