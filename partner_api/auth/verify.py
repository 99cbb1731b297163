"""Verification of the OIDC tokens Vercel sends to the Partner API (contract §2.1.4).

Decision on a list-valued ``aud``: Vercel documents ``aud`` as a single string, but RFC 7519
§4.1.3 allows an array. A list is accepted only if every element is a string and one of them
is exactly our audience; anything else is ``invalid_audience``.
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Callable, Mapping
from types import MappingProxyType
from typing import Any

from joserfc import jws, jwt
from joserfc.errors import (
    ExpiredTokenError,
    JoseError,
    MissingClaimError,
)
from joserfc.jwk import RSAKey

from .claims import SYSTEM, USER, USER_ROLES, Claims
from .jwks import JwksCache, JwksError

__all__ = ["ALGORITHM", "AuthenticationError", "TokenVerifier"]

ALGORITHM = "RS256"
_SEGMENT = re.compile(r"[A-Za-z0-9_-]+")
_USER_SUB = re.compile(r"account:[0-9a-fA-F]+:user:[0-9a-fA-F]+")
_SYSTEM_SUB = re.compile(r"account:[0-9a-fA-F]+")
_TIME_CLAIMS = ("exp", "nbf", "iat")
# §2.1.2/§2.1.3: `type` is optional; when present it is one of these.
TOKEN_TYPES = frozenset({"access_token", "id_token"})


class AuthenticationError(Exception):
    """A token was refused. ``code`` is a short machine code; ``message`` is safe to return
    to the caller and to log (it never contains the token, claim values or key material)."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message


class TokenVerifier:
    """Verifies Vercel Partner API tokens against a JWKS, issuer and audience.

    ``clock`` returns the current Unix time; it is injectable for tests.
    """

    def __init__(
        self,
        jwks: JwksCache,
        *,
        issuer: str,
        audience: str,
        leeway: int = 60,
        max_token_length: int = 8192,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._jwks = jwks
        self.issuer = issuer
        self.audience = audience
        self.leeway = leeway
        self.max_token_length = max_token_length
        self._clock = clock
        # Built once: joserfc would build a registry for every token otherwise.
        self._registry = jws.JWSRegistry(algorithms=[ALGORITHM])

    def verify(
        self, token: str, auth_kind_header: str | None, *, require_account: bool = True
    ) -> Claims:
        """Verify ``token`` and the claims required for its kind, and return them.

        ``auth_kind_header`` is the raw ``X-Vercel-Auth`` value (None if absent: the kind is
        then inferred from the claims). ``require_account=False`` lets a system token omit
        ``account_id`` (List Billing Plans For Product may be called before installation).

        :raises AuthenticationError: for every reason to refuse the token.
        """
        claims = self._verified_claims(token)
        kind = _auth_kind(auth_kind_header, claims)
        if kind == USER:
            return _user_claims(claims)
        return _system_claims(claims, require_account=require_account)

    def _verified_claims(self, token: str) -> dict[str, Any]:
        """Check the token's form, signature, issuer, audience and validity period."""
        signed = self._parsed(token)
        key = self._find_key(signed.headers()["kid"])
        try:
            valid = jws.validate_compact(signed, key, registry=self._registry)
        except JoseError as exc:
            raise AuthenticationError("invalid_token", "token cannot be decoded") from exc
        if not valid:
            raise AuthenticationError("invalid_token", "token signature is invalid")
        try:
            claims = json.loads(signed.payload)
        except ValueError as exc:
            raise AuthenticationError("invalid_token", "token cannot be decoded") from exc
        if not isinstance(claims, dict):
            raise AuthenticationError("invalid_token", "token cannot be decoded")
        self._check_issuer_and_audience(claims)
        self._check_times(claims)
        _check_token_type(claims)
        return claims

    def _parsed(self, token: str) -> jws.CompactSignature:
        """The compact JWS, parsed once: well-formed, RS256, and naming a kid."""
        if not isinstance(token, str) or not token:
            raise AuthenticationError("invalid_token", "token is missing")
        if len(token) > self.max_token_length:
            raise AuthenticationError("invalid_token", "token is too long")
        segments = token.split(".")
        if len(segments) != 3 or not all(_SEGMENT.fullmatch(s) for s in segments):
            raise AuthenticationError("invalid_token", "token is not a compact JWS")
        try:
            signed = jws.extract_compact(token.encode("ascii"), registry=self._registry)
        except (JoseError, ValueError) as exc:
            raise AuthenticationError("invalid_token", "token header cannot be decoded") from exc
        header = signed.headers()
        if header.get("alg") != ALGORITHM:
            raise AuthenticationError("invalid_token", f"token algorithm must be {ALGORITHM}")
        kid = header.get("kid")
        if not isinstance(kid, str) or not kid:
            raise AuthenticationError("invalid_token", "token header has no key id")
        return signed

    def _find_key(self, kid: str) -> RSAKey:
        try:
            key = self._jwks.find(kid)
        except JwksError as exc:
            raise AuthenticationError("jwks_unavailable", "signing keys are unavailable") from exc
        if key is None:
            raise AuthenticationError("unknown_key", "token is signed with an unknown key")
        return key

    def _check_issuer_and_audience(self, claims: Mapping[str, Any]) -> None:
        if claims.get("iss") != self.issuer:
            raise AuthenticationError("invalid_issuer", "token issuer is not accepted")
        aud = claims.get("aud")
        if isinstance(aud, list) and all(isinstance(a, str) for a in aud):
            accepted = self.audience in aud
        else:
            accepted = aud == self.audience
        if not accepted:
            raise AuthenticationError("invalid_audience", "token audience is not accepted")

    def _check_times(self, claims: Mapping[str, Any]) -> None:
        """Check ``exp`` (required), ``nbf`` and ``iat`` (if present) with leeway."""
        registry = jwt.JWTClaimsRegistry(
            now=int(self._clock()), leeway=self.leeway, exp={"essential": True}
        )
        try:
            registry.validate({name: claims[name] for name in _TIME_CLAIMS if name in claims})
        except ExpiredTokenError as exc:
            raise AuthenticationError("token_expired", "token has expired") from exc
        except MissingClaimError as exc:
            raise AuthenticationError("missing_claim", "token has no 'exp' claim") from exc
        except JoseError as exc:
            raise AuthenticationError("invalid_token", "token is not valid at this time") from exc


def _check_token_type(claims: Mapping[str, Any]) -> None:
    """A `type` claim that is present must be a documented token type (null is not)."""
    if "type" not in claims:
        return
    token_type = claims["type"]
    if not isinstance(token_type, str) or token_type not in TOKEN_TYPES:
        raise AuthenticationError("invalid_claim", "claim 'type' is not access_token or id_token")


def _auth_kind(header_value: str | None, claims: Mapping[str, Any]) -> str:
    """The auth kind named by ``X-Vercel-Auth``, or inferred from the claims if absent."""
    carries_user = _present(claims, "user_id") or _present(claims, "user_role")
    if header_value is None:
        return USER if carries_user else SYSTEM
    kind = header_value.strip().lower()
    if kind not in (USER, SYSTEM):
        raise AuthenticationError("invalid_auth_kind", "X-Vercel-Auth must be user or system")
    if kind == SYSTEM and carries_user:
        raise AuthenticationError("invalid_auth_kind", "system token carries user claims")
    return kind


def _user_claims(claims: Mapping[str, Any]) -> Claims:
    role = _required_str(claims, "user_role")
    if role not in USER_ROLES:
        raise AuthenticationError("invalid_claim", "claim 'user_role' is not ADMIN or USER")
    sub = _required_str(claims, "sub")
    if not _USER_SUB.fullmatch(sub):
        raise AuthenticationError("invalid_claim", "claim 'sub' is not a user subject")
    return Claims(
        kind=USER,
        subject=sub,
        account_id=_required_str(claims, "account_id"),
        installation_id=_required_str(claims, "installation_id"),
        user_id=_required_str(claims, "user_id"),
        user_role=role,
        user_email=_optional_str(claims, "user_email"),
        user_name=_optional_str(claims, "user_name"),
        user_avatar_url=_optional_str(claims, "user_avatar_url"),
        raw=MappingProxyType(dict(claims)),
    )


def _system_claims(claims: Mapping[str, Any], *, require_account: bool) -> Claims:
    sub = claims.get("sub")
    if sub is not None and not (isinstance(sub, str) and _SYSTEM_SUB.fullmatch(sub)):
        raise AuthenticationError("invalid_claim", "claim 'sub' is not an account subject")
    if "installation_id" not in claims:
        raise AuthenticationError("missing_claim", "token has no 'installation_id' claim")
    installation_id = claims["installation_id"]
    if installation_id is not None:
        installation_id = _required_str(claims, "installation_id")
    if require_account or _present(claims, "account_id"):
        account_id = _required_str(claims, "account_id")
    else:
        account_id = None
    return Claims(
        kind=SYSTEM,
        subject=sub,
        account_id=account_id,
        installation_id=installation_id,
        raw=MappingProxyType(dict(claims)),
    )


def _present(claims: Mapping[str, Any], name: str) -> bool:
    return claims.get(name) is not None


def _required_str(claims: Mapping[str, Any], name: str) -> str:
    value = claims.get(name)
    if value is None:
        raise AuthenticationError("missing_claim", f"token has no '{name}' claim")
    if not isinstance(value, str) or not value:
        raise AuthenticationError("invalid_claim", f"claim '{name}' must be a non-empty string")
    return value


def _optional_str(claims: Mapping[str, Any], name: str) -> str | None:
    """Profile claims are informational: a value of the wrong type is dropped, not fatal."""
    value = claims.get(name)
    return value if isinstance(value, str) and value else None
