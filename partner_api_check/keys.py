"""The kit's RS256 signing key: fresh for each run, or kept in a file across runs.

A key file lets a server be configured once (its JWKS URL, issuer and audience stay the same)
and checked many times.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from joserfc.jwk import RSAKey

ALGORITHM = "RS256"
_PUBLIC_MEMBERS = ("kty", "kid", "use", "alg", "n", "e")


def generate_key(kid: str | None = None) -> RSAKey:
    """A new 2048-bit signature key; ``kid`` defaults to its RFC 7638 thumbprint."""
    parameters: dict[str, Any] = {"alg": ALGORITHM, "use": "sig"}
    if kid is not None:
        parameters["kid"] = kid
    key = RSAKey.generate_key(2048, parameters=parameters, private=True)
    key.ensure_kid()
    return key


def load_or_create(path: Path) -> RSAKey:
    """The private key kept in ``path``; a new one is written there (mode 0600) if missing."""
    path = Path(path)
    if not path.exists():
        key = generate_key()
        path.parent.mkdir(parents=True, exist_ok=True)
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
            json.dump(key.as_dict(private=True), handle, indent=2)
        return key
    key = RSAKey.import_key(json.loads(path.read_text(encoding="utf-8")))
    if not key.is_private:
        raise ValueError(f"{path} holds no private key")
    key.ensure_kid()
    return key


def public_jwks(key: RSAKey) -> dict[str, list[dict[str, Any]]]:
    """The JWKS document a server fetches: the public members of ``key`` only."""
    data = key.as_dict(private=False)
    return {"keys": [{name: data[name] for name in _PUBLIC_MEMBERS if name in data}]}
