"""The webhook signature (§2.3): HMAC-SHA1 of the raw body, hex, keyed with the client secret."""

from __future__ import annotations

import hashlib
import hmac
import re

HEADER = "x-vercel-signature"
_HEX_SHA1 = re.compile(r"[0-9a-f]{40}")


def sign(body: bytes, secret: str) -> str:
    return hmac.new(secret.encode(), body, hashlib.sha1).hexdigest()


def is_valid(body: bytes, header: str, secret: str) -> bool:
    """Whether `header` signs exactly these bytes.

    Vercel sends lowercase hex; uppercase hex spells the same MAC, so it is accepted too.
    Anything that is not 40 hex digits fails before the constant-time comparison.
    """
    candidate = header.strip().lower()
    if not _HEX_SHA1.fullmatch(candidate):
        return False
    return hmac.compare_digest(sign(body, secret), candidate)
