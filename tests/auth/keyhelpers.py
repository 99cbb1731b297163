"""Shared helpers for the auth tests: cached RSA keys, a controllable clock, raw JWS pieces."""

from __future__ import annotations

import base64
import functools
import json
from typing import Any

from joserfc.jwk import RSAKey

from partner_api.auth.devkeys import generate_signing_key

ISSUER = "https://marketplace.vercel.com"
AUDIENCE = "oac_9f4YG9JFjgKkRlxoaaGG0y05"
INSTALLATION_ID = "icfg_9bceb8ccT32d3U417ezb5c8p"
NOW = 1_780_000_000


@functools.cache
def rsa_key(name: str, kid: str | None = None) -> RSAKey:
    """A private RS256 key, generated once per test session for each (name, kid)."""
    return generate_signing_key(kid=kid or name)


class FakeClock:
    """A callable clock that only moves when told to."""

    def __init__(self, start: float = 1000.0) -> None:
        self.now = start

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def b64url_json(value: dict[str, Any]) -> str:
    return b64url(json.dumps(value, separators=(",", ":")).encode("utf-8"))


def signing_input(header: dict[str, Any], claims: dict[str, Any]) -> str:
    """The ``header.payload`` part of a compact JWS, for hand-crafted tokens."""
    return f"{b64url_json(header)}.{b64url_json(claims)}"
