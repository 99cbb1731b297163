"""Hostile input with valid auth is refused at the edge, alike on SQLite and Postgres.

Each class here once reached a 500 on some route (see issue 12): bodies nested thousands of
levels deep, lone surrogates, integers of thousands of digits, NaN, 90,000 ids in one body,
a NUL in a webhook id, path ids longer than their columns. Each is now the §3.1 envelope
with a 4xx, and the database is left exactly as it was.
"""

from __future__ import annotations

import json

import pytest

from partner_api import pathids
from partner_api.jsonpolicy import MAX_DEPTH
from partner_api.schemas import MAX_LISTED_IDS
from partner_api.webhooks.signature import sign
from tests.conftest import CLIENT_SECRET, INSTALLATION_ID, upsert_body
from tests.dbstate import snapshot
from tests.fuzz.world import in_an_hour_ms
from tests.resources.conftest import RESOURCES, provision_body
from tests.webhooks.delivery import counts, event, post

URL = f"/v1/installations/{INSTALLATION_ID}"
TRANSFERS = f"{URL}/resource-transfer-requests"
DRIVER_LIMIT_IDS = 90_000  # past SQLite's 32,766 and psycopg's 65,535 parameters


def refused(response, status: int, code: str | None = None) -> dict:
    assert response.status_code == status, response.get_data(as_text=True)[:500]
    assert response.mimetype == "application/json"
    body = response.get_json()
    assert set(body) == {"error"}
    if code is not None:
        assert body["error"]["code"] == code
    return body["error"]


def deep(depth: int) -> str:
    return '{"a":' * depth + "1" + "}" * depth


def with_raw(body: dict, key: str, raw: str) -> bytes:
    """`body` as JSON, with `key`'s value replaced by `raw` JSON text."""
    marker = "__raw_value__"
    return json.dumps({**body, key: marker}).replace(json.dumps(marker), raw).encode()


HOSTILE_BODIES = {
    "nested_5000": lambda body: with_raw(body, "metadata", deep(5000)),
    "nested_100000": lambda body: with_raw(body, "metadata", "[" * 100_000 + "]" * 100_000),
    "nested_just_past_the_limit": lambda body: with_raw(body, "metadata", deep(MAX_DEPTH)),
    "lone_surrogate_value": lambda body: with_raw(body, "name", '"\\ud800"'),
    "lone_surrogate_key": lambda body: with_raw(body, "\ud800", "1"),
    "integer_5000_digits": lambda body: with_raw(body, "metadata", "1" * 5000),
    "integer_4000_digits": lambda body: with_raw(body, "expiresAt", "1" * 4000),
    "integer_past_64_bits": lambda body: with_raw(body, "expiresAt", str(2**64)),
    "nan": lambda body: with_raw(body, "expiresAt", "NaN"),
    "infinity": lambda body: with_raw(body, "metadata", "-Infinity"),
    "overflowing_float": lambda body: with_raw(body, "expiresAt", "1e400"),
    "encoded_surrogate": lambda body: json.dumps(body).encode()[:-1] + b', "x": "\xed\xa0\x80"}',
}


def transfer_body() -> dict:
    return {"resourceIds": ["res_1"], "expiresAt": in_an_hour_ms()}


# Each body-taking route, with a valid body and the kind of token it accepts.
BODY_ROUTES = {
    "upsert_installation": ("PUT", URL, upsert_body, "user"),
    "update_installation": ("PATCH", URL, lambda: {"billingPlanId": "team"}, "user"),
    "provision_resource": ("POST", RESOURCES, provision_body, "user"),
    "create_transfer": ("POST", TRANSFERS, transfer_body, "system"),
    "billing_provision": ("POST", f"{URL}/billing/provision", lambda: {"invoiceId": "i"}, "user"),
}


@pytest.mark.parametrize("hostile", HOSTILE_BODIES.values(), ids=HOSTILE_BODIES.keys())
@pytest.mark.parametrize("route", BODY_ROUTES.values(), ids=BODY_ROUTES.keys())
@pytest.mark.parametrize("idempotency_key", [None, "hostile-1"], ids=["no_key", "key"])
def test_a_hostile_body_is_an_invalid_json_400_that_changes_nothing(
    client, vercel, installed, route, hostile, idempotency_key
):
    method, path, valid_body, kind = route
    headers = {**getattr(vercel, kind)(), "Content-Type": "application/json"}
    if idempotency_key:
        headers["Idempotency-Key"] = idempotency_key  # the fingerprint reads the body first
    before = snapshot()
    response = client.open(path, method=method, data=hostile(valid_body()), headers=headers)
    refused(response, 400, "invalid_json")
    assert snapshot() == before


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("POST", TRANSFERS, {**transfer_body(), "resourceIds": ["r"] * DRIVER_LIMIT_IDS}),
        ("GET", f"{RESOURCES}?" + "&".join(["ids=r"] * DRIVER_LIMIT_IDS), None),
    ],
    ids=["transfer_body", "list_query"],
)
def test_more_ids_than_a_request_may_list_are_a_400_naming_the_list(
    client, vercel, installed, method, path, body
):
    before = snapshot()
    response = client.open(path, method=method, json=body, headers=vercel.system())
    error = refused(response, 400, "validation_error")
    assert [field["key"] for field in error["fields"]] in (["resourceIds"], ["query.ids"])
    assert str(MAX_LISTED_IDS) in error["fields"][0]["message"]
    assert snapshot() == before


def test_as_many_ids_as_a_request_may_list_are_looked_up(client, vercel, installed):
    query = "&".join(["ids=r"] * MAX_LISTED_IDS)
    response = client.get(f"{RESOURCES}?{query}", headers=vercel.system())
    assert response.status_code == 200
    assert response.get_json() == {"resources": []}


LONG_INSTALLATION = "icfg_" + "x" * 3000
LONG_RESOURCE = "res_" + "x" * pathids.max_length("resource_id")


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("PUT", f"/v1/installations/{LONG_INSTALLATION}", upsert_body()),
        ("GET", f"/v1/installations/{LONG_INSTALLATION}", None),
        ("POST", f"/v1/installations/{LONG_INSTALLATION}/resources", provision_body()),
        ("PATCH", f"{RESOURCES}/{LONG_RESOURCE}", {"name": "x"}),
        ("DELETE", f"{RESOURCES}/{LONG_RESOURCE}", None),
        ("POST", f"{TRANSFERS}/{'c' * 65}/verify", None),
        ("GET", f"/v1/products/{'p' * 65}/plans", None),
    ],
    ids=["upsert", "get", "provision", "update_resource", "delete_resource", "verify", "plans"],
)
def test_a_path_id_longer_than_its_column_names_nothing(
    client, vercel, installed, method, path, body
):
    installation_id = path.split("/")[3] if path.startswith("/v1/installations/") else None
    before = snapshot()
    headers = {**vercel.user(installation_id or INSTALLATION_ID), "Idempotency-Key": "long"}
    response = client.open(path, method=method, json=body, headers=headers)
    refused(response, 404, "not_found")
    assert snapshot() == before


def test_a_path_id_as_long_as_its_column_is_served(client, vercel):
    installation_id = "i" * pathids.max_length("installation_id")
    url = f"/v1/installations/{installation_id}"
    response = client.put(url, json=upsert_body(), headers=vercel.user(installation_id))
    assert response.status_code == 200, response.get_json()


def test_a_route_whose_path_id_has_no_column_cannot_be_added(app):
    with pytest.raises(LookupError, match="invoice_id"):
        app.add_url_rule("/v1/invoices/<invoice_id>", "invoice", lambda invoice_id: "")


@pytest.mark.parametrize(
    ("header", "value", "status"),
    [
        ("Idempotency-Key", "k" * 100_000, 422),
        ("X-Vercel-Auth", "\x7f" * 10_000, None),
        ("X-Request-Id", "\x01<" * 10_000, 200),
        ("Authorization", "Bearer " + "a.b." * 25_000, 401),
    ],
    ids=["idempotency_key", "auth_kind", "request_id", "authorization"],
)
def test_absurd_header_values_are_refused_or_ignored(
    client, vercel, installed, header, value, status
):
    before = snapshot()
    headers = {**vercel.user(), header: value}
    response = client.patch(URL, json={"billingPlanId": "team"}, headers=headers)
    assert response.status_code < 500
    if status is not None:
        assert response.status_code == status, response.get_json()
    if response.status_code != 200:
        refused(response, response.status_code)
        assert snapshot() == before


WEBHOOK_BODIES = {
    "nul_in_id": (json.dumps(event("domain.created", event_id="evt\x00")).encode(), ["id"]),
    "nul_in_type": (json.dumps({**event("x"), "type": "domain.\x00"}).encode(), ["type"]),
    "lone_surrogate_id": (with_raw(event("domain.created"), "id", '"evt\\udc00"'), None),
    "nested_5000": (with_raw(event("domain.created"), "payload", deep(5000)), None),
    "nested_100000": (with_raw(event("x"), "payload", "[" * 100_000 + "]" * 100_000), None),
    "integer_5000_digits": (with_raw(event("domain.created"), "createdAt", "1" * 5000), None),
    "nan": (with_raw(event("domain.created"), "createdAt", "NaN"), None),
}


@pytest.mark.parametrize(("body", "keys"), WEBHOOK_BODIES.values(), ids=WEBHOOK_BODIES.keys())
def test_a_signed_hostile_delivery_is_a_400_and_nothing_is_stored(client, body, keys):
    response = post(client, body, sign(body, CLIENT_SECRET))
    if keys is None:
        refused(response, 400, "invalid_json")
    else:
        error = refused(response, 400, "validation_error")
        assert [field["key"] for field in error["fields"]] == keys
    assert counts() == (0, 0)
