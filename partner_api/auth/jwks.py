"""A cached, rate-limited source of the RSA signing keys published as a JWKS.

Vercel signs Partner API tokens with keys published at
``https://marketplace.vercel.com/.well-known/jwks``. The cache refreshes the set every ``ttl``
seconds and when a token names an unknown ``kid`` (key rotation), but never more often than
once per ``refresh_cooldown`` seconds for unknown kids, so forged ``kid`` values cannot turn
into a flood of outbound requests. A failed refresh keeps serving the last good keys.
"""

from __future__ import annotations

import base64
import binascii
import json
import logging
import threading
import time
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit, urlunsplit

import requests
from joserfc.errors import JoseError
from joserfc.jwk import RSAKey

from partner_api.metrics import JWKS_REFRESHES

__all__ = ["JwksCache", "JwksError"]

log = logging.getLogger(__name__)

MIN_RSA_BITS = 2048
# Only public members are imported, so private material in a bad JWKS is never held.
_PUBLIC_MEMBERS = ("kty", "kid", "use", "alg", "key_ops", "n", "e")


class JwksError(Exception):
    """The key set could not be loaded (message is safe to log)."""


class JwksCache:
    """Thread-safe cache of the RSA signature keys of one JWKS URL.

    ``url`` may be ``https://``, ``http://`` or ``file://`` (``file:///abs/path`` or
    ``file:relative/path``). ``clock`` must be monotonic; it is injectable for tests.
    """

    def __init__(
        self,
        url: str,
        *,
        ttl: float = 600.0,
        refresh_cooldown: float = 30.0,
        timeout: float = 5.0,
        clock: Callable[[], float] = time.monotonic,
        session: requests.Session | None = None,
    ) -> None:
        self._parts = urlsplit(url)
        if self._parts.scheme not in ("https", "http", "file"):
            raise ValueError("JWKS URL must use https://, http:// or file://")
        if self._parts.scheme == "file" and self._parts.netloc not in ("", "localhost"):
            raise ValueError("file:// JWKS URL must not name a remote host")
        self.url = url
        self.ttl = ttl
        self.refresh_cooldown = refresh_cooldown
        self.timeout = timeout
        self._clock = clock
        self._session = session or requests.Session()
        self._lock = threading.Lock()
        # Replaced wholesale on refresh (never mutated), so lock-free reads are safe.
        self._keys: Mapping[str, RSAKey] = {}
        self._expires_at: float | None = None
        self._last_kid_refetch: float | None = None
        self._retry_after: float | None = None
        self._last_error = "never fetched"
        #: Number of fetch attempts made so far (successful or not).
        self.fetch_count = 0

    def find(self, kid: str) -> RSAKey | None:
        """Return the key named ``kid``, or None if the key set does not contain it.

        :raises JwksError: when no key set has ever been loaded successfully.
        """
        if self._is_fresh(self._clock()):
            key = self._keys.get(kid)
            if key is not None:
                return key
        with self._lock:
            now = self._clock()
            fetched = False
            if not self._is_fresh(now) and self._may_fetch(now):
                self._refresh(now)
                fetched = True
            if not self._keys:
                raise JwksError(f"no JWKS loaded ({self._last_error})")
            key = self._keys.get(kid)
            if key is None and not fetched and self._may_refetch_for_kid(now):
                self._last_kid_refetch = now
                self._refresh(now)
                key = self._keys.get(kid)
            return key

    def has_keys(self) -> bool:
        """Whether a key set is held, fetching one first if none is and a fetch is due.

        A failed refresh keeps the last good keys, so this is False only while no key set was
        ever loaded (and the last fetch failed).
        """
        if self._keys:
            return True
        with self._lock:
            now = self._clock()
            if not self._keys and self._may_fetch(now):
                self._refresh(now)
            return bool(self._keys)

    def invalidate(self) -> None:
        """Mark the keys stale so the next lookup refetches; they remain the fallback."""
        with self._lock:
            self._expires_at = None
            self._retry_after = None

    def _is_fresh(self, now: float) -> bool:
        return self._expires_at is not None and now < self._expires_at

    def _may_fetch(self, now: float) -> bool:
        """False while backing off after a failed fetch."""
        return self._retry_after is None or now >= self._retry_after

    def _may_refetch_for_kid(self, now: float) -> bool:
        last = self._last_kid_refetch
        cooled_down = last is None or now - last >= self.refresh_cooldown
        return cooled_down and self._may_fetch(now)

    def _refresh(self, now: float) -> None:
        """Fetch and swap in a new key set; on failure keep the old one and back off."""
        self.fetch_count += 1
        try:
            keys = _parse_jwks(self._load_document())
        except JwksError as exc:
            JWKS_REFRESHES.labels("error").inc()
            self._last_error = str(exc)
            self._retry_after = now + self.refresh_cooldown
            log.warning(
                "JWKS refresh from %s failed (%s); keeping %d cached key(s)",
                self._display_url(),
                exc,
                len(self._keys),
            )
            return
        JWKS_REFRESHES.labels("ok").inc()
        self._keys = keys
        self._expires_at = now + self.ttl
        self._retry_after = None

    def _load_document(self) -> Any:
        if self._parts.scheme == "file":
            return self._read_file()
        return self._download()

    def _read_file(self) -> Any:
        path = Path(unquote(self._parts.path))
        try:
            return json.loads(path.read_bytes())
        except OSError as exc:
            raise JwksError(f"cannot read file ({type(exc).__name__})") from exc
        except ValueError as exc:
            raise JwksError("file is not valid JSON") from exc

    def _download(self) -> Any:
        try:
            response = self._session.get(
                self.url, timeout=self.timeout, headers={"Accept": "application/json"}
            )
        except requests.RequestException as exc:
            raise JwksError(f"request failed ({type(exc).__name__})") from exc
        if response.status_code != 200:
            raise JwksError(f"unexpected HTTP status {response.status_code}")
        try:
            return response.json()
        except ValueError as exc:
            raise JwksError("response is not valid JSON") from exc

    def _display_url(self) -> str:
        """The URL without query, fragment or credentials, for logs."""
        if self._parts.scheme == "file":
            return self.url
        host = self._parts.netloc.rpartition("@")[2]
        return urlunsplit((self._parts.scheme, host, self._parts.path, "", ""))


def _parse_jwks(document: Any) -> dict[str, RSAKey]:
    """Map kid to key for every usable RSA signature key of a JWKS document."""
    if not isinstance(document, dict) or not isinstance(document.get("keys"), list):
        raise JwksError("document is not a JWKS (no 'keys' list)")
    keys: dict[str, RSAKey] = {}
    for entry in document["keys"]:
        key = _import_rsa_signing_key(entry)
        if key is None:
            continue
        if key.kid in keys:
            log.warning("JWKS contains duplicate kid %r; keeping the first key", key.kid)
            continue
        keys[key.kid] = key
    if not keys:
        raise JwksError("JWKS contains no usable RSA signature key")
    return keys


def _import_rsa_signing_key(entry: Any) -> RSAKey | None:
    """Import a JWK if it is an RSA signature key with a kid; otherwise None."""
    if not isinstance(entry, dict) or entry.get("kty") != "RSA":
        return None
    if entry.get("use", "sig") != "sig":
        return None
    kid = entry.get("kid")
    if not isinstance(kid, str) or not kid:
        log.warning("ignoring JWKS RSA key without a kid")
        return None
    public = {name: entry[name] for name in _PUBLIC_MEMBERS if name in entry}
    try:
        if _modulus_bits(public.get("n")) < MIN_RSA_BITS:
            log.warning("ignoring JWKS key %r: modulus shorter than %d bits", kid, MIN_RSA_BITS)
            return None
        return RSAKey.import_key(public)
    except (JoseError, ValueError, TypeError) as exc:
        log.warning("ignoring invalid JWKS key %r (%s)", kid, type(exc).__name__)
        return None


def _modulus_bits(n: Any) -> int:
    """Bit length of a base64url-encoded RSA modulus (raises ValueError if malformed)."""
    if not isinstance(n, str):
        raise ValueError("modulus is not a string")
    try:
        raw = base64.urlsafe_b64decode(n + "=" * (-len(n) % 4))
    except binascii.Error as exc:
        raise ValueError("modulus is not base64url") from exc
    return int.from_bytes(raw, "big").bit_length()
