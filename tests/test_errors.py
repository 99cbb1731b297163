"""Every error the server answers is the §3.1 envelope, and leaves the database alone."""

from __future__ import annotations

import json

import pytest

from partner_api import create_app
from partner_api.extensions import db
from partner_api.installations import service as installations
from tests.conftest import INSTALLATION_ID, upsert_body
from tests.dbstate import snapshot

URL = f"/v1/installations/{INSTALLATION_ID}"
SECRET_DETAIL = "db-password-in-exception-text-4d2f"


def assert_envelope(response, status: int, code: str) -> dict:
    assert response.status_code == status, response.get_data(as_text=True)
    assert response.mimetype == "application/json"
    body = response.get_json()
    assert set(body) == {"error"}
    assert body["error"]["code"] == code
    assert isinstance(body["error"]["message"], str) and body["error"]["message"]
    return body["error"]


# --- routing -------------------------------------------------------------------------------------


@pytest.mark.parametrize("path", ["/nope", "/v1/nope", f"{URL}/nope", "/v1/products/demo"])
def test_unknown_route_is_a_404_envelope(client, path):
    assert_envelope(client.get(path), 404, "not_found")


@pytest.mark.parametrize(
    ("method", "path", "allowed"),
    [
        ("POST", URL, {"GET", "PUT", "PATCH", "DELETE"}),
        ("PUT", "/v1/products/demo/plans", {"GET"}),
        ("DELETE", f"{URL}/plans", {"GET"}),
        ("POST", "/healthz", {"GET"}),
    ],
)
def test_wrong_method_is_a_405_envelope_naming_the_allowed_ones(
    client, vercel, installed, method, path, allowed
):
    before = snapshot()
    response = client.open(path, method=method, json=upsert_body(), headers=vercel.user())
    assert_envelope(response, 405, "method_not_allowed")
    assert allowed <= {m.strip() for m in response.headers["Allow"].split(",")}
    assert snapshot() == before


# --- bodies ---------------------------------------------------------------------------------


def oversized_upsert() -> str:
    body = upsert_body()
    body["scopes"] = ["x" * (1024 * 1024)]
    return json.dumps(body)


@pytest.mark.parametrize("idempotency_key", [None, "install-1"])
def test_a_body_over_the_limit_is_a_413_envelope(client, vercel, idempotency_key):
    headers = {**vercel.user(), "Content-Type": "application/json"}
    if idempotency_key:
        headers["Idempotency-Key"] = idempotency_key
    before = snapshot()
    response = client.put(URL, data=oversized_upsert(), headers=headers)
    assert_envelope(response, 413, "request_too_large")
    assert snapshot() == before


def test_the_limit_is_max_content_length(app, client, vercel):
    app.config["MAX_CONTENT_LENGTH"] = 4 * 1024 * 1024
    headers = {**vercel.user(), "Content-Type": "application/json"}
    assert client.put(URL, data=oversized_upsert(), headers=headers).status_code == 200


@pytest.mark.parametrize(
    ("body", "keys"),
    [
        ([], ["body"]),
        ("a string", ["body"]),
        ({"scopes": None}, ["scopes", "acceptedPolicies", "credentials"]),
        ({**upsert_body(), "credentials": []}, ["credentials"]),
        ({**upsert_body(), "credentials": {"token_type": "Bearer"}}, ["credentials.access_token"]),
    ],
    ids=["array", "string", "nulls", "credentials_array", "nested_missing"],
)
def test_invalid_bodies_name_the_fields_at_fault(client, vercel, body, keys):
    response = client.put(URL, json=body, headers=vercel.user())
    error = assert_envelope(response, 400, "validation_error")
    assert [field["key"] for field in error["fields"]] == keys
    assert all(field["message"] for field in error["fields"])
    assert snapshot()["installations"] == []


@pytest.mark.parametrize(
    "raw", [b"{not json", b'{"scopes": "\xff"}', b""], ids=["syntax", "not_utf8", "empty"]
)
def test_a_body_that_is_not_json_is_400(client, vercel, raw):
    headers = {**vercel.user(), "Content-Type": "application/json"}
    response = client.put(URL, data=raw, headers=headers)
    assert response.status_code == 400
    assert response.get_json()["error"]["code"] in ("invalid_json", "validation_error")
    assert snapshot()["installations"] == []


# --- unexpected failures ---------------------------------------------------------------------


def failing(*args, **kwargs):
    raise RuntimeError(f"cannot connect: {SECRET_DETAIL}")


def assert_no_internals(response) -> None:
    text = response.get_data(as_text=True)
    for leak in (SECRET_DETAIL, "Traceback", "RuntimeError", "ZeroDivisionError", ".py"):
        assert leak not in text


def test_an_unexpected_exception_is_a_500_envelope_without_details(app_settings):
    app = create_app({**app_settings, "PROPAGATE_EXCEPTIONS": False})
    app.add_url_rule("/explode", "explode", failing)
    response = app.test_client().get("/explode")
    assert_envelope(response, 500, "internal_error")
    assert_no_internals(response)


def test_a_failing_partner_call_is_a_500_that_changes_nothing(app, client, vercel, monkeypatch):
    """The view's transaction is rolled back and its Idempotency-Key freed for the retry."""
    app.config["PROPAGATE_EXCEPTIONS"] = False
    headers = {**vercel.user(), "Idempotency-Key": "install-1"}
    original = installations.upsert
    monkeypatch.setattr(installations, "upsert", lambda *a, **k: (original(*a, **k), failing())[1])

    response = client.put(URL, json=upsert_body(), headers=headers)

    assert_envelope(response, 500, "internal_error")
    assert_no_internals(response)
    assert all(rows == [] for rows in snapshot().values())

    monkeypatch.setattr(installations, "upsert", original)
    retried = client.put(URL, json=upsert_body(), headers=headers)
    assert retried.status_code == 200
    assert "Idempotent-Replayed" not in retried.headers
    db.session.expire_all()
    assert len(snapshot()["installations"]) == 1
