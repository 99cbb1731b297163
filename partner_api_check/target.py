"""The server under test, reached over HTTP; answers come back as `Reply` values."""

from __future__ import annotations

import json
import re
import uuid
from dataclasses import dataclass, field
from typing import Any

import requests

MUTATING = frozenset({"POST", "PUT", "PATCH", "DELETE"})
TIMEOUT_SECONDS = 20.0
EXCERPT_LENGTH = 160
_JWT = re.compile(r"eyJ[A-Za-z0-9_-]*\.[A-Za-z0-9_-]*\.[A-Za-z0-9_-]*")
_SENSITIVE_KEY = re.compile(r"token|secret|password|value|environmentOverrides", re.IGNORECASE)
_NO_BODY = object()


def redacted(value: Any) -> Any:
    """``value`` with secrets and tokens masked, so it can go into a report."""
    if isinstance(value, dict):
        return {
            key: "***" if _SENSITIVE_KEY.search(str(key)) else redacted(item)
            for key, item in value.items()
        }
    if isinstance(value, list):
        return [redacted(item) for item in value]
    if isinstance(value, str):
        return _JWT.sub("***", value)
    return value


@dataclass(frozen=True)
class Reply:
    method: str
    path: str
    status: int
    text: str
    headers: dict[str, str] = field(default_factory=dict)

    @property
    def json(self) -> Any:
        """The body parsed as JSON, or None if it is empty or not JSON."""
        try:
            return json.loads(self.text) if self.text else None
        except ValueError:
            return None

    @property
    def ok(self) -> bool:
        return 200 <= self.status < 300

    def excerpt(self) -> str:
        """The start of the body, secrets masked, on one line."""
        body = self.json
        text = json.dumps(redacted(body)) if body is not None else redacted(self.text)
        text = " ".join(text.split())
        return text if len(text) <= EXCERPT_LENGTH else text[: EXCERPT_LENGTH - 1] + "…"

    def summary(self) -> str:
        excerpt = self.excerpt()
        return f"{self.status}: {excerpt}" if excerpt else str(self.status)


class Target:
    """Calls a Partner API under ``base_url`` (which may carry a path prefix)."""

    def __init__(self, base_url: str, timeout: float = TIMEOUT_SECONDS) -> None:
        self.base_url = base_url.rstrip("/")
        self.timeout = timeout
        self._session = requests.Session()

    def request(
        self,
        method: str,
        path: str,
        *,
        headers: dict[str, str] | None = None,
        json_body: Any = _NO_BODY,
        data: bytes | None = None,
        params: dict[str, str] | None = None,
        session: requests.Session | None = None,
        idempotent: bool = True,
    ) -> Reply:
        """One call. Partner API mutations get a fresh ``Idempotency-Key`` unless one is
        given (Vercel sends one with each); ``idempotent=False`` sends none (webhooks)."""
        headers = dict(headers or {})
        if idempotent and method in MUTATING:
            headers.setdefault("Idempotency-Key", f"check-{uuid.uuid4()}")
        if json_body is not _NO_BODY:
            data = json.dumps(json_body).encode()
        if data is not None:
            headers.setdefault("Content-Type", "application/json")
        response = (session or self._session).request(
            method, self.base_url + path, headers=headers, data=data, params=params,
            timeout=self.timeout,
        )
        return Reply(method, path, response.status_code, response.text, dict(response.headers))
