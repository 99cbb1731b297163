"""The kit's own servers: the JWKS a partner trusts and the fake Vercel API that records."""

from __future__ import annotations

import stat

import pytest
import requests
from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jwk import KeySet

from partner_api_check.kit import Kit, KitOptions
from partner_api_check.tokens import USER, hs256_with_public_key, unsigned

ISSUER = "https://marketplace.vercel.com"


@pytest.fixture(scope="module")
def kit():
    with Kit() as running:
        yield running


def test_jwks_verifies_the_kits_tokens_and_discovery_points_at_it(kit):
    settings = kit.server_settings()
    jwks = requests.get(settings["VERCEL_JWKS_URL"], timeout=5).json()
    assert set(jwks["keys"][0]) == {"kty", "kid", "use", "alg", "n", "e"}  # public parts only
    token = kit.tokens.sign(kit.tokens.claims(USER, "icfg_1"))
    claims = jwt.decode(token, KeySet.import_key_set(jwks), algorithms=["RS256"]).claims
    assert claims["aud"] == settings["INTEGRATION_CLIENT_ID"]
    assert claims["aud"].startswith("oac_check")
    discovery = requests.get(
        settings["VERCEL_JWKS_URL"].replace("jwks", "openid-configuration"), timeout=5).json()
    assert discovery == {"issuer": ISSUER, "jwks_uri": settings["VERCEL_JWKS_URL"]}


def test_token_claims_follow_the_contract(kit):
    user = kit.tokens.claims(USER, "icfg_1", role="USER")
    assert user["sub"] == f"account:{user['account_id']}:user:{user['user_id']}"
    assert (user["iss"], user["installation_id"], user["user_role"]) == (ISSUER, "icfg_1", "USER")
    assert user["exp"] > user["iat"]
    before_install = kit.tokens.pre_installation_claims()
    assert before_install["installation_id"] is None and before_install["sub"] is None
    assert "account_id" not in before_install


def test_forgeries_do_not_verify(kit):
    keys = KeySet.import_key_set(requests.get(kit.server_settings()["VERCEL_JWKS_URL"],
                                              timeout=5).json())
    claims = kit.tokens.claims(USER, "icfg_1")
    for forged in (unsigned(claims, kit.tokens.key.kid),
                   hs256_with_public_key(claims, kit.tokens.key)):
        with pytest.raises(JoseError):
            jwt.decode(forged, keys, algorithms=["RS256"])


def test_fake_vercel_api_answers_per_route_and_records(kit):
    api = kit.server_settings()["VERCEL_API_URL"]
    auth = {"Authorization": "Bearer vercel-token-1"}
    patched = requests.patch(f"{api}/v1/installations/icfg_1", json={"status": "ready"},
                             headers=auth, timeout=5)
    event = requests.post(f"{api}/v1/installations/icfg_1/events",
                          json={"event": {"type": "resource.updated", "resourceId": "r"}},
                          headers=auth, timeout=5)
    account = requests.get(f"{api}/v1/installations/icfg_1/account", headers=auth, timeout=5)
    invoice = requests.post(f"{api}/v1/installations/icfg_1/billing/invoices", json={},
                            headers=auth, timeout=5)
    anonymous = requests.post(f"{api}/v1/installations/icfg_1/billing", json={}, timeout=5)
    unknown = requests.get(f"{api}/v2/nothing", headers=auth, timeout=5)
    assert [patched.status_code, event.status_code, account.status_code, invoice.status_code,
            anonymous.status_code, unknown.status_code] == [204, 201, 200, 200, 401, 404]
    assert set(account.json()) == {"name", "url", "contact"}
    assert invoice.json()["invoiceId"].startswith("inv_check")
    first = next(call for call in kit.vercel.calls if call.path == "/v1/installations/icfg_1")
    assert (first.method, first.body, first.status) == ("PATCH", {"status": "ready"}, 204)
    assert first.headers["authorization"] == "Bearer vercel-token-1"
    assert [call.status for call in kit.vercel.calls][-2:] == [401, 404]


def test_the_fake_api_hands_over_a_call_once_it_arrives(kit):
    path = "/v1/installations/icfg_2/resources/res_2/secrets"
    assert kit.vercel.wait_for("PUT", path, 0) is None
    requests.put(kit.server_settings()["VERCEL_API_URL"] + path, json={"secrets": []},
                 headers={"Authorization": "Bearer t"}, timeout=5)
    arrived = kit.vercel.wait_for("PUT", path, 0)
    assert (arrived.status, arrived.body) == (201, {"secrets": []})


def test_a_key_file_keeps_the_servers_settings_across_runs(tmp_path):
    key_file = tmp_path / "keys" / "kit.json"
    with Kit(KitOptions(key_file=key_file)) as first:
        settings = first.server_settings()
        jwks = requests.get(settings["VERCEL_JWKS_URL"], timeout=5).json()
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    with Kit(KitOptions(key_file=key_file)) as second:
        again = second.server_settings()
        assert requests.get(again["VERCEL_JWKS_URL"], timeout=5).json() == jwks
    assert again["INTEGRATION_CLIENT_ID"] == settings["INTEGRATION_CLIENT_ID"]
    with Kit() as fresh:
        assert fresh.server_settings()["INTEGRATION_CLIENT_ID"] != settings[
            "INTEGRATION_CLIENT_ID"]
