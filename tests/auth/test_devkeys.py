"""devkeys: dev signing keys, the public JWKS, key files, and Vercel-shaped claims and tokens."""

from __future__ import annotations

import json
import re
import stat

import pytest
from joserfc import jwt
from joserfc.jwk import KeySet, RSAKey

from partner_api.auth.devkeys import (
    DEV_ACCOUNT_ID,
    DEV_USER_ID,
    generate_signing_key,
    load_signing_key,
    public_jwks,
    sign_token,
    system_claims,
    user_claims,
    write_dev_keys,
)
from tests.auth.keyhelpers import AUDIENCE, INSTALLATION_ID, ISSUER, NOW, rsa_key

PRIVATE_MEMBERS = {"d", "p", "q", "dp", "dq", "qi"}
USER_SUB = re.compile(r"account:[0-9a-fA-F]+:user:[0-9a-fA-F]+")
SYSTEM_SUB = re.compile(r"account:[0-9a-fA-F]+")


def test_generated_key_is_a_2048_bit_rs256_signature_key():
    key = generate_signing_key("dev-1")

    assert key.is_private
    assert key.private_key.key_size == 2048
    assert (key.kid, key.alg, key.get("use")) == ("dev-1", "RS256", "sig")


def test_generated_key_defaults_its_kid_to_the_thumbprint():
    key = generate_signing_key()

    assert key.kid == key.thumbprint()


def test_public_jwks_holds_public_members_only():
    keys = [rsa_key("a"), rsa_key("b")]

    for document in (public_jwks(keys[0]), public_jwks(keys)):
        for jwk in document["keys"]:
            assert jwk["kty"] == "RSA"
            assert not PRIVATE_MEMBERS & set(jwk)
            assert {"kid", "n", "e", "alg", "use"} <= set(jwk)

    imported = KeySet.import_key_set(public_jwks(keys))
    assert [key.kid for key in imported] == ["a", "b"]
    assert not any(key.is_private for key in imported)


def test_write_dev_keys_creates_a_private_key_and_its_jwks(tmp_path):
    key_path, jwks_path = write_dev_keys(tmp_path / "instance")

    assert key_path.name == "dev-signing-key.json"
    assert jwks_path.name == "dev-jwks.json"
    assert stat.S_IMODE(key_path.stat().st_mode) == 0o600
    key = load_signing_key(key_path)
    assert key.is_private
    assert json.loads(jwks_path.read_text()) == public_jwks(key)
    assert sorted(p.name for p in key_path.parent.iterdir()) == [jwks_path.name, key_path.name]


def test_write_dev_keys_keeps_existing_files(tmp_path):
    key_path, jwks_path = write_dev_keys(tmp_path)
    edited = public_jwks([load_signing_key(key_path), rsa_key("next")])  # e.g. trying rotation
    jwks_path.write_text(json.dumps(edited))
    before = key_path.read_bytes(), jwks_path.read_bytes()

    assert write_dev_keys(tmp_path) == (key_path, jwks_path)
    assert (key_path.read_bytes(), jwks_path.read_bytes()) == before


def test_write_dev_keys_rebuilds_a_missing_jwks_from_the_key(tmp_path):
    key_path, jwks_path = write_dev_keys(tmp_path)
    key_bytes = key_path.read_bytes()
    jwks_path.unlink()

    write_dev_keys(tmp_path)

    assert key_path.read_bytes() == key_bytes
    assert json.loads(jwks_path.read_text()) == public_jwks(load_signing_key(key_path))


def test_write_dev_keys_replaces_a_jwks_left_without_its_key(tmp_path):
    _, jwks_path = write_dev_keys(tmp_path)
    stale = jwks_path.read_text()
    (tmp_path / "dev-signing-key.json").unlink()

    key_path, _ = write_dev_keys(tmp_path)

    assert jwks_path.read_text() != stale
    assert json.loads(jwks_path.read_text()) == public_jwks(load_signing_key(key_path))


def test_load_signing_key_refuses_a_public_key(tmp_path):
    path = tmp_path / "public.json"
    path.write_text(json.dumps(public_jwks(rsa_key("a"))["keys"][0]))

    with pytest.raises(ValueError, match="private"):
        load_signing_key(path)


def test_user_claims_have_the_documented_shape():
    claims = user_claims(
        installation_id=INSTALLATION_ID, issuer=ISSUER, audience=AUDIENCE, now=NOW, ttl=300
    )

    assert claims["iss"] == ISSUER
    assert claims["aud"] == AUDIENCE
    assert (claims["iat"], claims["exp"]) == (NOW, NOW + 300)
    assert claims["installation_id"] == INSTALLATION_ID
    assert (claims["account_id"], claims["user_id"]) == (DEV_ACCOUNT_ID, DEV_USER_ID)
    assert claims["user_role"] == "ADMIN"
    assert claims["sub"] == f"account:{DEV_ACCOUNT_ID}:user:{DEV_USER_ID}"


def test_user_claims_take_overrides_and_non_hex_ids():
    claims = user_claims(
        installation_id=INSTALLATION_ID,
        issuer=ISSUER,
        audience=AUDIENCE,
        role="USER",
        account_id="team_abc",
        user_id="usr_def",
        user_email="ada@example.com",
    )

    assert claims["user_role"] == "USER"
    assert claims["account_id"] == "team_abc"
    assert claims["user_email"] == "ada@example.com"
    assert USER_SUB.fullmatch(claims["sub"])


def test_system_claims_have_the_documented_shape():
    claims = system_claims(installation_id=None, issuer=ISSUER, audience=AUDIENCE, now=NOW)

    assert claims["installation_id"] is None
    assert claims["account_id"] == DEV_ACCOUNT_ID
    assert claims["sub"] == f"account:{DEV_ACCOUNT_ID}"
    assert SYSTEM_SUB.fullmatch(claims["sub"])
    assert "user_id" not in claims and "user_role" not in claims
    assert claims["exp"] == NOW + 3600


def test_system_claims_before_installation_have_no_account():
    claims = system_claims(installation_id=None, issuer=ISSUER, audience=AUDIENCE, account_id=None)

    assert "account_id" not in claims
    assert claims["sub"] is None


def test_sign_token_signs_rs256_with_the_key_id():
    key = rsa_key("a")
    claims = user_claims(installation_id=INSTALLATION_ID, issuer=ISSUER, audience=AUDIENCE)

    token = sign_token(key, claims, headers={"typ": "at+jwt"})

    public = RSAKey.import_key(public_jwks(key)["keys"][0])
    decoded = jwt.decode(token, public, algorithms=["RS256"])
    assert decoded.header == {"alg": "RS256", "kid": "a", "typ": "at+jwt"}
    assert decoded.claims == claims
