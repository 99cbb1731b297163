"""Signing keys and tokens shaped like Vercel's, for local development and tests.

Nothing here is used to verify production traffic: a server configured with the dev JWKS
accepts tokens from anyone holding ``dev-signing-key.json``.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import tempfile
import time
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from joserfc import jwt
from joserfc.jwk import RSAKey

from .claims import ADMIN

__all__ = [
    "DEV_ACCOUNT_ID",
    "DEV_USER_ID",
    "JWKS_FILENAME",
    "SIGNING_KEY_FILENAME",
    "generate_signing_key",
    "load_signing_key",
    "public_jwks",
    "sign_token",
    "system_claims",
    "user_claims",
    "write_dev_keys",
]

SIGNING_KEY_FILENAME = "dev-signing-key.json"
JWKS_FILENAME = "dev-jwks.json"
DEV_ACCOUNT_ID = "5f0c2a9e7b1d4c3a8e6f0b2d"
DEV_USER_ID = "9a4e1c7b3d5f2a8c6e0b4d1f"

_ALGORITHM = "RS256"
_PUBLIC_MEMBERS = ("kty", "kid", "use", "alg", "n", "e")
_HEX = re.compile(r"[0-9a-fA-F]+")


def generate_signing_key(kid: str | None = None) -> RSAKey:
    """A new 2048-bit RS256 signature key; ``kid`` defaults to the RFC 7638 thumbprint."""
    parameters: dict[str, Any] = {"alg": _ALGORITHM, "use": "sig"}
    if kid is not None:
        parameters["kid"] = kid
    key = RSAKey.generate_key(2048, parameters=parameters, private=True)
    key.ensure_kid()
    return key


def public_jwks(key_or_keys: RSAKey | Iterable[RSAKey]) -> dict[str, list[dict[str, Any]]]:
    """A JWKS document with only the public members of the given key(s)."""
    keys = [key_or_keys] if isinstance(key_or_keys, RSAKey) else list(key_or_keys)
    return {"keys": [_public_jwk(key) for key in keys]}


def _public_jwk(key: RSAKey) -> dict[str, Any]:
    data = key.as_dict(private=False)
    return {name: data[name] for name in _PUBLIC_MEMBERS if name in data}


def write_dev_keys(directory: Path) -> tuple[Path, Path]:
    """Create ``dev-signing-key.json`` (mode 0600) and ``dev-jwks.json`` in ``directory``.

    Existing files are kept, so repeated (even concurrent) calls are harmless; a missing JWKS
    is rebuilt from the signing key. Returns ``(signing_key_path, jwks_path)``.
    """
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    key_path = directory / SIGNING_KEY_FILENAME
    jwks_path = directory / JWKS_FILENAME
    created = False
    if not key_path.exists():
        key_text = json.dumps(generate_signing_key().as_dict(private=True), indent=2) + "\n"
        created = _create_private_file(key_path, key_text)
    key = load_signing_key(key_path)
    if created or not jwks_path.exists():
        _replace_file(jwks_path, json.dumps(public_jwks(key), indent=2) + "\n")
    return key_path, jwks_path


def _create_private_file(path: Path, text: str) -> bool:
    """Atomically create ``path`` (owner-only) with ``text``; False if it already exists."""
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")  # mode 0600
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
        os.link(tmp, path)  # unlike rename, never replaces a file another process wrote
        return True
    except FileExistsError:
        return False
    finally:
        os.unlink(tmp)


def _replace_file(path: Path, text: str) -> None:
    """Write ``path`` atomically, world-readable (it holds public keys only)."""
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException:
        os.unlink(tmp)
        raise


def load_signing_key(path: Path) -> RSAKey:
    """Load a private RSA JWK written by :func:`write_dev_keys`."""
    key = RSAKey.import_key(json.loads(Path(path).read_text(encoding="utf-8")))
    if not key.is_private:
        raise ValueError(f"{path} does not contain a private key")
    key.ensure_kid()
    return key


def user_claims(
    *,
    installation_id: str,
    issuer: str,
    audience: str,
    role: str = ADMIN,
    account_id: str = DEV_ACCOUNT_ID,
    user_id: str = DEV_USER_ID,
    ttl: int = 3600,
    now: float | None = None,
    **extra: Any,
) -> dict[str, Any]:
    """Claims of a user-auth token (contract §2.1.2); ``extra`` adds or overrides claims."""
    claims = {
        **_base_claims(issuer, audience, ttl, now),
        "sub": f"account:{_hex_id(account_id)}:user:{_hex_id(user_id)}",
        "account_id": account_id,
        "installation_id": installation_id,
        "user_id": user_id,
        "user_role": role,
    }
    return {**claims, **extra}


def system_claims(
    *,
    installation_id: str | None,
    issuer: str,
    audience: str,
    account_id: str | None = DEV_ACCOUNT_ID,
    ttl: int = 3600,
    now: float | None = None,
    **extra: Any,
) -> dict[str, Any]:
    """Claims of a system-auth token (contract §2.1.3).

    ``account_id=None`` yields the pre-installation shape (no ``account_id``, null ``sub``).
    """
    claims = {**_base_claims(issuer, audience, ttl, now), "installation_id": installation_id}
    if account_id is None:
        claims["sub"] = None
    else:
        claims["sub"] = f"account:{_hex_id(account_id)}"
        claims["account_id"] = account_id
    return {**claims, **extra}


def _base_claims(issuer: str, audience: str, ttl: int, now: float | None) -> dict[str, Any]:
    issued_at = int(time.time() if now is None else now)
    return {
        "iss": issuer,
        "aud": audience,
        "type": "access_token",
        "iat": issued_at,
        "exp": issued_at + ttl,
    }


def _hex_id(value: str) -> str:
    """Vercel's ``sub`` uses hex ids; derive a stable one when ``value`` is not hex."""
    if _HEX.fullmatch(value):
        return value
    return hashlib.sha256(value.encode("utf-8")).hexdigest()[:24]


def sign_token(
    key: RSAKey, claims: dict[str, Any], *, headers: dict[str, Any] | None = None
) -> str:
    """Sign ``claims`` as an RS256 JWT naming ``key``'s kid; ``headers`` adds header fields."""
    header = {"alg": _ALGORITHM, "kid": key.kid, **(headers or {})}
    return jwt.encode(header, dict(claims), key, algorithms=[_ALGORITHM])
