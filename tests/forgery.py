"""Tokens an attacker could send: the guard must refuse every one of them."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from typing import Any

from joserfc.jwk import RSAKey


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _unsigned(header: dict[str, Any], claims: dict[str, Any]) -> str:
    encode = lambda value: _b64url(json.dumps(value).encode())  # noqa: E731
    return f"{encode(header)}.{encode(claims)}"


def unsigned_token(claims: dict[str, Any], kid: str) -> str:
    """`alg: none` with an empty signature."""
    return _unsigned({"alg": "none", "kid": kid, "typ": "JWT"}, claims) + "."


def hs256_with_public_key(claims: dict[str, Any], key: RSAKey) -> str:
    """HS256 keyed with the RSA public key's PEM: the classic algorithm-confusion attack."""
    secret = key.as_pem(private=False)
    signing_input = _unsigned({"alg": "HS256", "kid": key.kid, "typ": "JWT"}, claims)
    mac = hmac.new(secret, signing_input.encode(), hashlib.sha256).digest()
    return f"{signing_input}.{_b64url(mac)}"
