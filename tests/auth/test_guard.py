"""The request guard through HTTP: every refusal of §2.1.4–2.1.6 on every guarded route.

Each refusal must answer the §3.1 envelope, never echo the token, and leave every table
exactly as it was.
"""

from __future__ import annotations

import functools
import json
import time
from dataclasses import dataclass
from typing import Any

import pytest
from joserfc.jwk import RSAKey

from partner_api import create_app
from partner_api.auth import devkeys
from partner_api.extensions import db
from tests.conftest import CLIENT_ID, INSTALLATION_ID, ISSUER, running_app, upsert_body
from tests.dbstate import snapshot
from tests.forgery import hs256_with_public_key, unsigned_token

OTHER_INSTALLATION = "icfg_other000000000000000002"
URL = f"/v1/installations/{INSTALLATION_ID}"


@dataclass(frozen=True)
class Route:
    method: str
    path: str
    kind: str  # the auth kind Vercel documents for it (§2.1.5)
    mutation: bool = False
    body: Any = None

    def __str__(self) -> str:
        return f"{self.method} {self.path}"


INSTALLATION_ROUTES = [
    Route("GET", URL, "system"),
    Route("PUT", URL, "user", mutation=True, body=upsert_body("vercel-access-token-2")),
    Route("PATCH", URL, "user", mutation=True, body={"billingPlanId": "team"}),
    Route("DELETE", URL, "user", mutation=True, body={"reason": "uninstall"}),
    Route("GET", f"{URL}/plans", "system"),
]
PRODUCT_PLANS = Route("GET", "/v1/products/demo/plans", "system")
ALL_ROUTES = [*INSTALLATION_ROUTES, PRODUCT_PLANS]
MUTATIONS = [route for route in INSTALLATION_ROUTES if route.mutation]
READS = [route for route in ALL_ROUTES if not route.mutation]
USER_ONLY = [route for route in INSTALLATION_ROUTES if route.method in ("PUT", "PATCH")]


@functools.cache
def extra_key(kid: str) -> RSAKey:
    return devkeys.generate_signing_key(kid)


def claims_for(
    kind: str, installation_id: str | None = INSTALLATION_ID, **overrides: Any
) -> dict[str, Any]:
    base = {"installation_id": installation_id, "issuer": ISSUER, "audience": CLIENT_ID}
    if kind == "user":
        return devkeys.user_claims(**{**base, **overrides})
    return devkeys.system_claims(**{**base, **overrides})


def call(client, route: Route, headers: dict[str, str]):
    return client.open(route.path, method=route.method, json=route.body, headers=headers)


def bearer(token: str, kind: str | None) -> dict[str, str]:
    headers = {"Authorization": f"Bearer {token}"}
    if kind is not None:
        headers["X-Vercel-Auth"] = kind
    return headers


def assert_refused(response, status: int, code: str, token: str | None = None) -> dict:
    assert response.status_code == status, response.get_data(as_text=True)
    body = response.get_json()
    assert set(body) == {"error"}
    error = body["error"]
    assert set(error) <= {"code", "message", "user"}
    assert error["code"] == code
    assert isinstance(error["message"], str) and error["message"]
    if token:
        text = response.get_data(as_text=True)
        assert token not in text
        signature = token.rsplit(".", 1)[-1]
        assert not signature or signature not in text
    return error


@pytest.fixture
def state(installed):
    """The database after install; a refused call must leave it unchanged."""
    return snapshot()


# --- the control: a proper token is accepted everywhere ---------------------------------


@pytest.mark.parametrize("route", ALL_ROUTES, ids=str)
def test_a_valid_token_of_the_documented_kind_is_accepted(client, vercel, installed, route):
    headers = vercel.user() if route.kind == "user" else vercel.system()
    assert call(client, route, headers).status_code in (200, 204)


# --- missing or malformed Authorization ------------------------------------------------


@pytest.mark.parametrize("route", ALL_ROUTES, ids=str)
def test_missing_authorization_is_401(client, state, route):
    response = call(client, route, {"X-Vercel-Auth": route.kind})
    assert_refused(response, 401, "missing_token")
    assert snapshot() == state


MALFORMED = {
    "basic": "Basic {token}",
    "bare_token": "{token}",
    "bearer_without_token": "Bearer",
    "bearer_blank": "Bearer    ",
    "other_scheme": "Token {token}",
}


@pytest.mark.parametrize("form", MALFORMED.values(), ids=MALFORMED.keys())
@pytest.mark.parametrize("route", ALL_ROUTES, ids=str)
def test_malformed_authorization_is_401(client, vercel, state, route, form):
    token = vercel.user_token() if route.kind == "user" else vercel.system_token()
    headers = {"Authorization": form.format(token=token), "X-Vercel-Auth": route.kind}
    assert_refused(call(client, route, headers), 401, "missing_token", token)
    assert snapshot() == state


@pytest.mark.parametrize("scheme", ["bearer", "BEARER", "BeArEr"])
def test_the_bearer_scheme_is_case_insensitive(client, vercel, installed, scheme):
    headers = {"Authorization": f"{scheme} {vercel.system_token()}", "X-Vercel-Auth": "system"}
    assert client.get(URL, headers=headers).status_code == 200


# --- forged, stale and foreign tokens ----------------------------------------------------


def _alg_none(signing_key, claims):
    return unsigned_token(claims, signing_key.kid)


def _hs256_public_key(signing_key, claims):
    return hs256_with_public_key(claims, signing_key)


def _unknown_key(signing_key, claims):
    return devkeys.sign_token(extra_key("never-published"), claims)


def _known_kid_wrong_key(signing_key, claims):
    impostor = extra_key(signing_key.kid)
    assert impostor.kid == signing_key.kid
    return devkeys.sign_token(impostor, claims)


def _signed(**overrides):
    def forge(signing_key, claims):
        return devkeys.sign_token(signing_key, {**claims, **overrides})

    return forge


NOW = int(time.time())
FORGERIES = {
    "alg_none": (_alg_none, "invalid_token"),
    "hs256_with_public_key": (_hs256_public_key, "invalid_token"),
    "unknown_key": (_unknown_key, "unknown_key"),
    "known_kid_wrong_key": (_known_kid_wrong_key, "invalid_token"),
    "expired": (_signed(iat=NOW - 7200, exp=NOW - 3600), "token_expired"),
    "not_yet_valid": (_signed(nbf=NOW + 3600), "invalid_token"),
    "other_audience": (_signed(aud="oac_SomeoneElse0001"), "invalid_audience"),
    "other_issuer": (_signed(iss="https://issuer.example"), "invalid_issuer"),
    "oversized": (_signed(padding="x" * 9000), "invalid_token"),
}


@pytest.mark.parametrize("forgery", FORGERIES.values(), ids=FORGERIES.keys())
@pytest.mark.parametrize("route", ALL_ROUTES, ids=str)
def test_forged_or_foreign_tokens_are_401(client, signing_key, state, route, forgery):
    forge, code = forgery
    installation = None if route is PRODUCT_PLANS else INSTALLATION_ID
    token = forge(signing_key, claims_for(route.kind, installation))
    assert_refused(call(client, route, bearer(token, route.kind)), 401, code, token)
    assert snapshot() == state


# --- installation binding, kinds and roles ---------------------------------------------


FOREIGN_BINDINGS = [
    pytest.param(route, installation, id=f"{route}-{label}")
    for route in INSTALLATION_ROUTES
    for installation, label in ((OTHER_INSTALLATION, "other"), (None, "null"))
    if installation is not None or route.kind == "system"  # user tokens always name one
]


@pytest.mark.parametrize(("route", "installation"), FOREIGN_BINDINGS)
def test_token_for_another_installation_is_403(client, signing_key, state, route, installation):
    token = devkeys.sign_token(signing_key, claims_for(route.kind, installation))
    assert_refused(call(client, route, bearer(token, route.kind)), 403, "installation_mismatch")
    assert snapshot() == state


@pytest.mark.parametrize("route", MUTATIONS, ids=str)
def test_user_role_cannot_mutate(client, vercel, state, route):
    token = vercel.user_token(role="USER")
    error = assert_refused(call(client, route, bearer(token, "user")), 403, "forbidden_role", token)
    assert error["user"]["message"]
    assert snapshot() == state


@pytest.mark.parametrize("route", READS, ids=str)
def test_user_role_can_read(client, vercel, installed, route):
    response = call(client, route, vercel.user(role="USER"))
    assert response.status_code == 200
    assert "plans" in response.get_json() or "billingPlan" in response.get_json()


@pytest.mark.parametrize("route", USER_ONLY, ids=str)
def test_system_token_on_a_user_only_route_is_403(client, vercel, state, route):
    token = vercel.system_token()
    response = call(client, route, bearer(token, "system"))
    assert_refused(response, 403, "auth_kind_not_allowed", token)
    assert snapshot() == state


def test_delete_accepts_a_system_token(client, vercel, installed):
    response = client.delete(URL, headers=vercel.system())
    assert response.status_code == 200


# --- X-Vercel-Auth -------------------------------------------------------------------------


def test_without_the_header_a_user_token_is_taken_as_user(client, vercel):
    response = client.put(URL, json=upsert_body(), headers=bearer(vercel.user_token(), None))
    assert response.status_code == 200
    assert snapshot()["installations"]


def test_without_the_header_a_system_token_is_taken_as_system(client, vercel, state):
    headers = bearer(vercel.system_token(), None)
    assert client.get(URL, headers=headers).status_code == 200
    response = client.put(URL, json=upsert_body("vercel-access-token-2"), headers=headers)
    assert_refused(response, 403, "auth_kind_not_allowed")
    assert snapshot() == state


@pytest.mark.parametrize("header", ["SYSTEM", "System", " system "])
def test_the_system_header_is_case_insensitive(client, vercel, installed, header):
    assert client.get(URL, headers=bearer(vercel.system_token(), header)).status_code == 200


def test_the_user_header_is_case_insensitive(client, vercel):
    response = client.put(URL, json=upsert_body(), headers=bearer(vercel.user_token(), "USER"))
    assert response.status_code == 200


@pytest.mark.parametrize(
    ("token_kind", "header", "code"),
    [
        ("user", "system", "invalid_auth_kind"),
        ("system", "user", "missing_claim"),
        ("user", "robot", "invalid_auth_kind"),
        ("system", "", "invalid_auth_kind"),
    ],
)
@pytest.mark.parametrize("route", [INSTALLATION_ROUTES[0], INSTALLATION_ROUTES[3]], ids=str)
def test_header_that_does_not_match_the_claims_is_401(
    client, vercel, state, route, token_kind, header, code
):
    token = vercel.user_token() if token_kind == "user" else vercel.system_token()
    assert_refused(call(client, route, bearer(token, header)), 401, code, token)
    assert snapshot() == state


# --- List Billing Plans For Product before any installation (§3.4.11, §7.20) ----------


def test_product_plans_accept_a_system_token_without_account_or_installation(client, vercel):
    headers = vercel.system(installation_id=None, account_id=None)
    response = client.get(PRODUCT_PLANS.path, headers=headers)
    assert response.status_code == 200
    assert response.get_json()["plans"]


def test_installation_routes_require_the_account_claim(client, vercel, state):
    response = client.get(URL, headers=vercel.system(account_id=None))
    assert_refused(response, 401, "missing_claim")
    assert snapshot() == state


# --- signing key rotation ----------------------------------------------------------------


def test_a_key_published_after_start_is_fetched_on_first_use(
    app_settings, signing_key, tmp_path, installed
):
    """Unknown kid → one refetch of the key set (rate limited), then the token verifies."""
    jwks = tmp_path / "jwks.json"
    jwks.write_text(json.dumps(devkeys.public_jwks(signing_key)))
    rotating_app = create_app({**app_settings, "VERCEL_JWKS_URL": jwks.as_uri()})
    client = rotating_app.test_client()

    def get(key: RSAKey):
        token = devkeys.sign_token(key, claims_for("system"))
        return client.get(URL, headers=bearer(token, "system"))

    assert get(signing_key).status_code == 200  # the key set is now cached

    rotated = extra_key("rotated-key-2")
    jwks.write_text(json.dumps(devkeys.public_jwks([signing_key, rotated])))
    assert get(rotated).status_code == 200
    assert get(signing_key).status_code == 200

    # Refetching for unknown kids is rate limited: a key published right after the last
    # refetch is not seen until the cool-down has passed.
    later = extra_key("rotated-key-3")
    assert_refused(get(later), 401, "unknown_key")
    jwks.write_text(json.dumps(devkeys.public_jwks([signing_key, rotated, later])))
    assert_refused(get(later), 401, "unknown_key")
    with rotating_app.app_context():
        db.engine.dispose()


def test_an_unreachable_key_set_is_our_outage_not_the_callers_fault(
    app_settings, migrated, vercel, tmp_path
):
    settings = {**app_settings, "VERCEL_JWKS_URL": (tmp_path / "missing.json").as_uri()}
    with running_app(settings) as broken:
        response = broken.test_client().get(URL, headers=vercel.system())
    assert response.status_code == 503
    assert response.get_json()["error"]["code"] == "jwks_unavailable"
