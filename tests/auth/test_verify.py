"""TokenVerifier: the §2.1.4 validation algorithm, accepted tokens and every refusal."""

from __future__ import annotations

import hashlib
import hmac
import json
from typing import Any

import pytest
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding

from partner_api.auth.claims import Claims
from partner_api.auth.devkeys import public_jwks, sign_token, system_claims, user_claims
from partner_api.auth.jwks import JwksCache
from partner_api.auth.verify import AuthenticationError, TokenVerifier
from tests.auth.keyhelpers import (
    AUDIENCE,
    INSTALLATION_ID,
    ISSUER,
    NOW,
    FakeClock,
    b64url,
    b64url_json,
    rsa_key,
    signing_input,
)

KID = "vercel-1"
LEEWAY = 60


@pytest.fixture(scope="module")
def jwks_url(tmp_path_factory) -> str:
    """A JWKS whose key does not pin ``alg``, so only the verifier restricts algorithms."""
    document = public_jwks(rsa_key("vercel", KID))
    del document["keys"][0]["alg"]
    path = tmp_path_factory.mktemp("jwks") / "jwks.json"
    path.write_text(json.dumps(document), encoding="utf-8")
    return path.as_uri()


def make_verifier(jwks_url: str, **options: Any) -> TokenVerifier:
    return TokenVerifier(
        JwksCache(jwks_url),
        issuer=ISSUER,
        audience=AUDIENCE,
        leeway=LEEWAY,
        clock=FakeClock(NOW),
        **options,
    )


@pytest.fixture
def verifier(jwks_url) -> TokenVerifier:
    return make_verifier(jwks_url)


DEFAULTS = {"installation_id": INSTALLATION_ID, "issuer": ISSUER, "audience": AUDIENCE, "now": NOW}


def user(**overrides: Any) -> dict[str, Any]:
    return user_claims(**{**DEFAULTS, **overrides})


def system(**overrides: Any) -> dict[str, Any]:
    return system_claims(**{**DEFAULTS, **overrides})


def without(claims: dict[str, Any], *names: str) -> dict[str, Any]:
    return {k: v for k, v in claims.items() if k not in names}


def sign(claims: dict[str, Any], **headers: Any) -> str:
    return sign_token(rsa_key("vercel", KID), claims, headers=headers or None)


def refused(
    verifier: TokenVerifier, token: str, kind: str | None, code: str, **kwargs: Any
) -> AuthenticationError:
    with pytest.raises(AuthenticationError) as caught:
        verifier.verify(token, kind, **kwargs)
    error = caught.value
    assert error.code == code, error.message
    if token:
        assert token not in str(error)
        assert token not in error.message
    return error


# --- accepted tokens ------------------------------------------------------------------


@pytest.mark.parametrize("header", ["user", "USER", " User ", None])
def test_valid_user_token(verifier, header):
    claims = user(user_email="ada@example.com", user_name="Ada", user_avatar_url="https://a/b")

    result = verifier.verify(sign(claims), header)

    assert result == Claims(
        kind="user",
        subject=claims["sub"],
        account_id=claims["account_id"],
        installation_id=INSTALLATION_ID,
        user_id=claims["user_id"],
        user_role="ADMIN",
        user_email="ada@example.com",
        user_name="Ada",
        user_avatar_url="https://a/b",
        raw=claims,
    )
    assert result.is_user and result.is_admin and not result.is_system


def test_user_role_user_is_not_admin(verifier):
    result = verifier.verify(sign(user(role="USER")), "user")

    assert result.user_role == "USER"
    assert result.is_user and not result.is_admin


@pytest.mark.parametrize("header", ["system", "SYSTEM", None])
def test_valid_system_token(verifier, header):
    claims = system()

    result = verifier.verify(sign(claims), header)

    assert result == Claims(
        kind="system",
        subject=claims["sub"],
        account_id=claims["account_id"],
        installation_id=INSTALLATION_ID,
        raw=claims,
    )
    assert result.is_system and not result.is_user and not result.is_admin


def test_system_token_with_null_installation_and_sub_is_accepted(verifier):
    result = verifier.verify(sign(system(installation_id=None, sub=None)), "system")

    assert result.installation_id is None
    assert result.subject is None
    assert result.account_id is not None


def test_system_token_without_account_only_where_not_required(verifier):
    token = sign(system(installation_id=None, account_id=None))

    result = verifier.verify(token, "system", require_account=False)

    assert result.account_id is None
    assert result.installation_id is None
    refused(verifier, token, "system", "missing_claim")


@pytest.mark.parametrize("token_type", ["access_token", "id_token"])
@pytest.mark.parametrize("claims", [user, system])
def test_documented_token_types_are_accepted(verifier, claims, token_type):
    assert verifier.verify(sign(claims(type=token_type)), None).raw["type"] == token_type


@pytest.mark.parametrize("claims", [user, system])
def test_a_token_without_a_type_claim_is_accepted(verifier, claims):
    assert "type" not in verifier.verify(sign(without(claims(), "type")), None).raw


@pytest.mark.parametrize(
    "token_type", ["refresh_token", "ACCESS_TOKEN", "", None, 1, ["access_token"]]
)
@pytest.mark.parametrize("claims", [user, system])
def test_a_type_claim_outside_the_documented_enum_is_refused(verifier, claims, token_type):
    refused(verifier, sign(claims(type=token_type)), None, "invalid_claim")


def test_unknown_extra_claims_are_tolerated(verifier):
    claims = user(jti="abc", something_new={"nested": [1, 2]})

    assert verifier.verify(sign(claims), "user").raw["something_new"] == {"nested": [1, 2]}


def test_raw_claims_are_read_only_and_personal_data_stays_out_of_repr(verifier):
    result = verifier.verify(sign(user(user_email="ada@example.com")), "user")

    with pytest.raises(TypeError):
        result.raw["user_role"] = "ADMIN"  # type: ignore[index]
    assert "ada@example.com" not in repr(result)
    assert "raw" not in repr(result)


# --- algorithm and signature ----------------------------------------------------------


@pytest.mark.parametrize("signature", ["", "c2ln"], ids=["empty", "garbage"])
def test_alg_none_is_refused(verifier, signature):
    token = f"{signing_input({'alg': 'none', 'kid': KID}, user())}.{signature}"

    refused(verifier, token, "user", "invalid_token")


def test_hs256_signed_with_the_public_key_as_secret_is_refused(verifier):
    secret = rsa_key("vercel", KID).as_pem(private=False)
    unsigned = signing_input({"alg": "HS256", "kid": KID, "typ": "JWT"}, user())
    mac = hmac.new(secret, unsigned.encode("ascii"), hashlib.sha256).digest()

    refused(verifier, f"{unsigned}.{b64url(mac)}", "user", "invalid_token")


def rs512_token(claims: dict[str, Any]) -> str:
    unsigned = signing_input({"alg": "RS512", "kid": KID, "typ": "JWT"}, claims)
    private_key = rsa_key("vercel", KID).private_key
    signature = private_key.sign(unsigned.encode("ascii"), padding.PKCS1v15(), hashes.SHA512())
    return f"{unsigned}.{b64url(signature)}"


def test_other_rsa_algorithms_are_refused(verifier):
    refused(verifier, rs512_token(user()), "user", "invalid_token")


def test_rs256_header_over_an_rs512_signature_is_refused(verifier):
    _, payload, signature = rs512_token(user()).split(".")
    forged_header = b64url_json({"alg": "RS256", "kid": KID, "typ": "JWT"})

    refused(verifier, f"{forged_header}.{payload}.{signature}", "user", "invalid_token")


def test_unknown_kid_is_refused(verifier):
    token = sign_token(rsa_key("stranger"), user())

    refused(verifier, token, "user", "unknown_key")


def test_missing_kid_is_refused(verifier):
    unsigned = signing_input({"alg": "RS256", "typ": "JWT"}, user())
    private_key = rsa_key("vercel", KID).private_key
    signature = private_key.sign(unsigned.encode("ascii"), padding.PKCS1v15(), hashes.SHA256())

    refused(verifier, f"{unsigned}.{b64url(signature)}", "user", "invalid_token")


def test_signature_by_another_key_with_the_same_kid_is_refused(verifier):
    token = sign_token(rsa_key("impostor", KID), user())

    refused(verifier, token, "user", "invalid_token")


def test_tampered_payload_is_refused(verifier):
    header, _, signature = sign(user(role="USER")).split(".")
    payload = b64url_json(user(role="ADMIN"))

    refused(verifier, f"{header}.{payload}.{signature}", "user", "invalid_token")


def test_unavailable_key_set_is_reported(tmp_path):
    verifier = make_verifier((tmp_path / "missing.json").as_uri())

    refused(verifier, sign(user()), "user", "jwks_unavailable")


# --- malformed tokens -----------------------------------------------------------------


@pytest.mark.parametrize(
    "token",
    [
        "",
        "garbage",
        "a.b",
        "a.b.c.d",
        "..",
        "not a.jwt at.all",
        "eyJhbGciOiJSUzI1NiJ9.e30.c2ln=",
        f"{b64url(b'not json')}.e30.c2ln",
        f"{b64url(b'[1, 2]')}.e30.c2ln",
        f"{b64url_json({'alg': 'RS256', 'kid': KID})}.{b64url(b'not json')}.c2ln",
    ],
)
def test_malformed_tokens_are_refused(verifier, token):
    refused(verifier, token, "user", "invalid_token")


def test_valid_token_with_non_json_payload_is_refused(verifier):
    unsigned = f"{b64url_json({'alg': 'RS256', 'kid': KID})}.{b64url(b'[1, 2]')}"
    private_key = rsa_key("vercel", KID).private_key
    signature = private_key.sign(unsigned.encode("ascii"), padding.PKCS1v15(), hashes.SHA256())

    refused(verifier, f"{unsigned}.{b64url(signature)}", "user", "invalid_token")


def test_oversized_tokens_are_refused_before_parsing(jwks_url):
    token = sign(user(padding="x" * 9000))

    refused(make_verifier(jwks_url), token, "user", "invalid_token")
    assert make_verifier(jwks_url, max_token_length=len(token)).verify(token, "user")
    error = refused(
        make_verifier(jwks_url, max_token_length=len(token) - 1), token, "user", "invalid_token"
    )
    assert "too long" in error.message


# --- issuer, audience, validity period ------------------------------------------------


@pytest.mark.parametrize(
    "iss", ["https://evil.example", f"{ISSUER}/", ISSUER.upper(), None, [ISSUER]]
)
def test_wrong_issuer_is_refused(verifier, iss):
    refused(verifier, sign(user(iss=iss)), "user", "invalid_issuer")


def test_missing_issuer_is_refused(verifier):
    refused(verifier, sign(without(user(), "iss")), "user", "invalid_issuer")


@pytest.mark.parametrize(
    "aud", ["oac_someoneElse", AUDIENCE.lower(), "", None, ["oac_someoneElse"], [], 42]
)
def test_wrong_audience_is_refused(verifier, aud):
    refused(verifier, sign(user(aud=aud)), "user", "invalid_audience")


def test_missing_audience_is_refused(verifier):
    refused(verifier, sign(without(user(), "aud")), "user", "invalid_audience")


def test_audience_list_containing_ours_is_accepted(verifier):
    assert verifier.verify(sign(user(aud=["oac_other", AUDIENCE])), "user").is_user


def test_expired_token_is_refused(verifier):
    refused(verifier, sign(user(exp=NOW - LEEWAY - 1)), "user", "token_expired")


def test_token_expired_within_the_leeway_is_accepted(verifier):
    assert verifier.verify(sign(user(exp=NOW - LEEWAY + 1)), "user").is_user


def test_missing_exp_is_refused(verifier):
    refused(verifier, sign(without(user(), "exp")), "user", "missing_claim")


@pytest.mark.parametrize("exp", ["tomorrow", True, None])
def test_non_numeric_exp_is_refused(verifier, exp):
    with pytest.raises(AuthenticationError):
        verifier.verify(sign(user(exp=exp)), "user")


def test_token_not_yet_valid_is_refused(verifier):
    refused(verifier, sign(user(nbf=NOW + LEEWAY + 1)), "user", "invalid_token")


def test_nbf_within_the_leeway_is_accepted(verifier):
    assert verifier.verify(sign(user(nbf=NOW + LEEWAY - 1)), "user").is_user


def test_token_issued_in_the_future_is_refused(verifier):
    refused(verifier, sign(user(iat=NOW + 3600)), "user", "invalid_token")


def test_time_checks_use_the_injected_clock(jwks_url):
    token = sign(user(ttl=3600))
    verifier = make_verifier(jwks_url)

    assert verifier.verify(token, "user").is_user
    verifier._clock.advance(3600 + LEEWAY)
    refused(verifier, token, "user", "token_expired")


# --- auth kind --------------------------------------------------------------------------


@pytest.mark.parametrize("header", ["admin", "", "users", "user,system", "integration"])
def test_bad_auth_kind_header_is_refused(verifier, header):
    refused(verifier, sign(user()), header, "invalid_auth_kind")


@pytest.mark.parametrize("claim", ["user_id", "user_role"])
def test_system_header_on_a_token_with_user_claims_is_refused(verifier, claim):
    claims = {**system(), claim: user()[claim]}

    refused(verifier, sign(claims), "system", "invalid_auth_kind")


def test_system_header_on_a_user_token_is_refused(verifier):
    refused(verifier, sign(user()), "system", "invalid_auth_kind")


def test_user_header_on_a_system_token_is_refused(verifier):
    refused(verifier, sign(system()), "user", "missing_claim")


def test_kind_is_inferred_from_the_claims_without_header(verifier):
    refused(verifier, sign(without(user(), "user_id")), None, "missing_claim")
    refused(verifier, sign(without(user(), "user_role")), None, "missing_claim")


# --- user claims ------------------------------------------------------------------------


@pytest.mark.parametrize("claim", ["user_role", "user_id", "account_id", "installation_id", "sub"])
def test_user_token_missing_a_required_claim_is_refused(verifier, claim):
    error = refused(verifier, sign(without(user(), claim)), "user", "missing_claim")
    assert claim in error.message


@pytest.mark.parametrize("claim", ["user_id", "account_id", "installation_id"])
@pytest.mark.parametrize("value", ["", 42, ["x"]])
def test_user_token_with_a_non_string_id_is_refused(verifier, claim, value):
    refused(verifier, sign({**user(), claim: value}), "user", "invalid_claim")


@pytest.mark.parametrize("role", ["OWNER", "admin", "", "ADMIN ", 1])
def test_user_token_with_a_bad_role_is_refused(verifier, role):
    refused(verifier, sign(user(role=role)), "user", "invalid_claim")


@pytest.mark.parametrize(
    "sub",
    [
        "account:abc123",
        "account:xyz:user:123",
        "account:abc:user:12g",
        "account:abc:user:",
        "account:abc:user:123\n",
        " account:abc:user:123",
        "team:abc:user:123",
        42,
    ],
)
def test_user_token_with_a_bad_subject_is_refused(verifier, sub):
    refused(verifier, sign(user(sub=sub)), "user", "invalid_claim")


def test_non_string_profile_claims_are_dropped(verifier):
    result = verifier.verify(sign(user(user_email=42, user_name=None)), "user")

    assert result.user_email is None
    assert result.user_name is None


# --- system claims ----------------------------------------------------------------------


@pytest.mark.parametrize(
    "sub", ["account:abc:user:123", "account:", "account:xyz", "account:abc\n", "team_abc", 7]
)
def test_system_token_with_a_bad_subject_is_refused(verifier, sub):
    refused(verifier, sign(system(sub=sub)), "system", "invalid_claim")


def test_system_token_without_installation_id_key_is_refused(verifier):
    refused(verifier, sign(without(system(), "installation_id")), "system", "missing_claim")


@pytest.mark.parametrize("value", ["", 42])
def test_system_token_with_a_bad_installation_id_is_refused(verifier, value):
    refused(verifier, sign(system(installation_id=value)), "system", "invalid_claim")


@pytest.mark.parametrize("value", ["", 42])
def test_system_token_with_a_bad_account_id_is_refused_even_when_optional(verifier, value):
    token = sign({**system(), "account_id": value})

    refused(verifier, token, "system", "invalid_claim", require_account=False)
