"""Tokens shaped like Vercel's (contract §2.1.2, §2.1.3) and forgeries a server must refuse."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
import time
from dataclasses import dataclass, field
from typing import Any

from joserfc import jwt
from joserfc.jwk import RSAKey

from partner_api_check.keys import ALGORITHM

USER = "user"
SYSTEM = "system"
ADMIN = "ADMIN"
TOKEN_LIFETIME = 600


def bearer(token: str, kind: str | None) -> dict[str, str]:
    """Partner API auth headers: the bearer token and, unless None, ``X-Vercel-Auth``."""
    headers = {"Authorization": f"Bearer {token}"}
    if kind is not None:
        headers["X-Vercel-Auth"] = kind
    return headers


@dataclass
class TokenFactory:
    """Signs the tokens Vercel would send for one (made-up) team and user."""

    key: RSAKey
    issuer: str
    audience: str
    account_id: str = field(default_factory=lambda: secrets.token_hex(12))
    user_id: str = field(default_factory=lambda: secrets.token_hex(12))

    def claims(
        self, kind: str, installation_id: str | None, *, role: str = ADMIN, **overrides: Any
    ) -> dict[str, Any]:
        """The claims of a valid token of ``kind``; ``overrides`` replace or add claims."""
        now = int(time.time())
        claims: dict[str, Any] = {
            "iss": self.issuer,
            "aud": self.audience,
            "type": "access_token",
            "iat": now,
            "exp": now + TOKEN_LIFETIME,
            "installation_id": installation_id,
        }
        if kind == USER:
            claims.update(
                sub=f"account:{self.account_id}:user:{self.user_id}",
                account_id=self.account_id,
                user_id=self.user_id,
                user_role=role,
            )
        else:
            claims.update(sub=f"account:{self.account_id}", account_id=self.account_id)
        claims.update(overrides)
        return claims

    def pre_installation_claims(self) -> dict[str, Any]:
        """A system token from before any installation: no account, null installation."""
        claims = self.claims(SYSTEM, None, sub=None)
        del claims["account_id"]
        return claims

    def sign(self, claims: dict[str, Any], key: RSAKey | None = None) -> str:
        key = key or self.key
        return jwt.encode({"alg": ALGORITHM, "kid": key.kid}, claims, key, algorithms=[ALGORITHM])

    def headers(
        self, kind: str, installation_id: str | None, *, role: str = ADMIN, **overrides: Any
    ) -> dict[str, str]:
        """Auth headers of a valid token, as Vercel sends them."""
        return bearer(self.sign(self.claims(kind, installation_id, role=role, **overrides)), kind)

    def user(self, installation_id: str, role: str = ADMIN) -> dict[str, str]:
        return self.headers(USER, installation_id, role=role)

    def system(self, installation_id: str | None) -> dict[str, str]:
        return self.headers(SYSTEM, installation_id)


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _signing_input(header: dict[str, Any], claims: dict[str, Any]) -> str:
    return ".".join(_b64url(json.dumps(part).encode()) for part in (header, claims))


def unsigned(claims: dict[str, Any], kid: str) -> str:
    """``alg: none`` with an empty signature."""
    return _signing_input({"alg": "none", "kid": kid, "typ": "JWT"}, claims) + "."


def hs256_with_public_key(claims: dict[str, Any], key: RSAKey) -> str:
    """HS256 keyed with the RSA public key's PEM: the algorithm-confusion attack."""
    signing_input = _signing_input({"alg": "HS256", "kid": key.kid, "typ": "JWT"}, claims)
    mac = hmac.new(key.as_pem(private=False), signing_input.encode(), hashlib.sha256)
    return f"{signing_input}.{_b64url(mac.digest())}"
