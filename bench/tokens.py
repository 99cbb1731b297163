"""Pre-built requests, each with its own freshly signed token, made before a timed run.

Signing an RS256 token costs about half a millisecond, far more than the server spends on
verifying it, so every token is signed before the load starts (on every core) and never
reused: the server verifies each one for real, as it would Vercel's. Each token has its own
`jti`, so no two are alike even when signed within the same second.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from multiprocessing import get_context
from pathlib import Path
from typing import Any

from joserfc.jwk import RSAKey

from bench.scenarios import Call
from partner_api.auth import devkeys

CHUNK = 500
# Stands in for a token where none is checked (the ceiling), so requests are as long.
PLACEHOLDER_TOKEN_LENGTH = 750


@dataclass(frozen=True)
class Signer:
    """Signs tokens as Vercel would for `audience`, with a key of the server's key set."""

    key: dict[str, Any]
    issuer: str
    audience: str


_signer: tuple[RSAKey, Signer] | None = None


def _start(signer: Signer) -> None:
    global _signer
    _signer = (RSAKey.import_key(signer.key), signer)


def _token(installation: str) -> str:
    assert _signer is not None
    key, signer = _signer
    claims = devkeys.user_claims(
        installation_id=installation,
        issuer=signer.issuer,
        audience=signer.audience,
        jti=uuid.uuid4().hex,
    )
    return devkeys.sign_token(key, claims)


def raw_request(call: Call, token: str) -> bytes:
    """The bytes of one HTTP/1.1 request, as wrk sends them."""
    lines = [
        f"{call.method} {call.path} HTTP/1.1",
        "Host: 127.0.0.1",
        f"Authorization: Bearer {token}",
        "X-Vercel-Auth: user",
    ]
    body = (call.body or "").encode()
    if call.method != "GET":
        lines += [f"Idempotency-Key: {uuid.uuid4().hex}", "Content-Type: application/json"]
    if body or call.method != "GET":
        lines.append(f"Content-Length: {len(body)}")
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + body


def _build(calls: Sequence[Call]) -> list[bytes]:
    return [raw_request(call, _token(call.installation)) for call in calls]


def _placeholder(calls: Sequence[Call]) -> list[bytes]:
    return [raw_request(call, "x" * PLACEHOLDER_TOKEN_LENGTH) for call in calls]


class RequestFactory:
    """A pool of worker processes that sign tokens; use it as a context manager."""

    def __init__(self, signer: Signer, workers: int | None = None) -> None:
        self._pool = ProcessPoolExecutor(
            max_workers=workers or os.cpu_count() or 1,
            mp_context=get_context("spawn"),
            initializer=_start,
            initargs=(signer,),
        )

    def __enter__(self) -> RequestFactory:
        return self

    def __exit__(self, *exc_info) -> None:
        self._pool.shutdown()

    def write(self, calls: Sequence[Call], path: Path, *, signed: bool = True) -> Path:
        """Write the requests for `calls` to `path`, NUL-separated, for bench/replay.lua."""
        if signed:
            chunks = [calls[i : i + CHUNK] for i in range(0, len(calls), CHUNK)]
            built = [request for part in self._pool.map(_build, chunks) for request in part]
        else:
            built = _placeholder(calls)
        path.write_bytes(b"\0".join(built))
        return path
