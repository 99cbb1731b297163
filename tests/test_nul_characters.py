"""A NUL character in a request is refused alike on SQLite and Postgres, and changes nothing.

Postgres cannot hold a NUL in text: before they were refused at the edge, such requests
were 500s there (and stored on SQLite).
"""

from __future__ import annotations

import pytest

from tests.conftest import INSTALLATION_ID, upsert_body
from tests.dbstate import snapshot
from tests.resources.conftest import RESOURCES, provision_body

URL = f"/v1/installations/{INSTALLATION_ID}"
TRANSFERS = f"{URL}/resource-transfer-requests"


def refused(response, status: int, code: str) -> dict:
    assert response.status_code == status, response.get_data(as_text=True)
    error = response.get_json()["error"]
    assert error["code"] == code
    return error


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", f"{RESOURCES}/res%00"),
        ("PATCH", f"{RESOURCES}/%00"),
        ("POST", f"{TRANSFERS}/claim%00/verify"),
        ("POST", f"{TRANSFERS}/%00/accept"),
        ("GET", "/v1/products/demo%00/plans"),
    ],
)
def test_a_path_segment_with_nul_names_nothing(client, vercel, installed, method, path):
    before = snapshot()
    response = client.open(path, method=method, json={"name": "x"}, headers=vercel.system())
    refused(response, 404, "not_found")
    assert snapshot() == before


def test_a_query_value_with_nul_is_invalid(client, vercel, installed):
    response = client.get(f"{RESOURCES}?ids=res_1&ids=res%00", headers=vercel.system())
    error = refused(response, 400, "validation_error")
    assert [field["key"] for field in error["fields"]] == ["query.ids.1"]


@pytest.mark.parametrize(
    ("method", "path", "body", "key"),
    [
        ("POST", RESOURCES, provision_body(name="my\x00store"), "name"),
        ("POST", RESOURCES, provision_body(externalId="\x00"), "externalId"),
        ("POST", RESOURCES, provision_body(metadata={"region": "iad1\x00"}), "metadata.region"),
        ("PUT", URL, {**upsert_body(), "account": {"url": "u", "name": "A\x00"}}, "account.name"),
        ("PUT", URL, {**upsert_body(), "scopes": ["read:resource", "\x00"]}, "scopes.1"),
        ("POST", f"{URL}/billing/provision", {"invoiceId": "inv\x00"}, "invoiceId"),
        ("DELETE", URL, {"reason": "\x00"}, "reason"),
        ("POST", RESOURCES, "\x00", "body"),
    ],
    ids=["name", "externalId", "metadata", "nested", "list_item", "invoiceId", "reason", "body"],
)
def test_a_body_value_with_nul_is_invalid(client, vercel, installed, method, path, body, key):
    before = snapshot()
    response = client.open(path, method=method, json=body, headers=vercel.user())
    error = refused(response, 400, "validation_error")
    assert error["fields"] == [{"key": key, "message": "Must not contain NUL characters."}]
    assert snapshot() == before


def test_a_nul_in_a_key_is_reported_at_that_key(client, vercel, installed):
    body = {**upsert_body(), "acceptedPolicies": {"toc": "2026-01-01T00:00:00Z", "t\x00": "x"}}
    response = client.put(URL, json=body, headers=vercel.user())
    error = refused(response, 400, "validation_error")
    assert [field["key"] for field in error["fields"]] == ["acceptedPolicies.t\x00"]
