"""A fake of Vercel's REST API (contract §4) that records every call a partner server makes.

It answers each documented route with a plausible success (the status codes of §4.1), asks
for a bearer token like the real API, and answers 404 for anything else. The SSO code
exchange is not offered: the kit does not drive SSO.
"""

from __future__ import annotations

import json
import re
import secrets
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from partner_api_check.httpd import BackgroundServer, JsonHandler

_INSTALLATION = r"/v1/installations/(?P<installation>[^/]+)"
_RESOURCE = _INSTALLATION + r"/resources/(?P<resource>[^/]+)"
_NOW = "2026-01-01T00:00:00.000Z"

Reply = Callable[[dict[str, str], Any], Any]


@dataclass(frozen=True)
class RecordedCall:
    """One call received; header names are lower-cased."""

    method: str
    path: str
    headers: dict[str, str]
    body: Any
    status: int
    answer: Any


def _nothing(_match: dict[str, str], _body: Any) -> None:
    return None


def _account(_match: dict[str, str], _body: Any) -> dict[str, Any]:
    return {
        "name": "Conformance Check",
        "url": "https://vercel.com/conformance-check/~/integrations",
        "contact": {"email": "owner@conformance-check.invalid", "name": "Check Owner"},
    }


def _member(match: dict[str, str], _body: Any) -> dict[str, Any]:
    return {"id": match["member"], "role": "ADMIN"}


def _resource(match: dict[str, str], _body: Any) -> dict[str, Any]:
    return {"id": match["resource"], "internalId": f"store_{match['resource']}",
            "name": match["resource"], "productId": "unknown", "status": "ready"}


def _named(match: dict[str, str], body: Any) -> dict[str, Any]:
    name = body.get("name") if isinstance(body, dict) else None
    return {"name": name or match["resource"]}


def _invoice_id(_match: dict[str, str], _body: Any) -> dict[str, Any]:
    return {"invoiceId": f"inv_check{secrets.token_hex(8)}"}


def _invoice(match: dict[str, str], _body: Any) -> dict[str, Any]:
    return {"invoiceId": match["invoice"], "state": "paid", "invoiceDate": _NOW,
            "period": {"start": _NOW, "end": _NOW}, "items": [], "total": "0.00",
            "created": _NOW, "updated": _NOW}


def _credential(_match: dict[str, str], _body: Any) -> dict[str, Any]:
    return {"access_token": f"check-rotated-{secrets.token_hex(16)}",
            "token_type": "oauth2-token", "expires_in": 3600, "scope": ""}


ROUTES: list[tuple[str, re.Pattern[str], int, Reply]] = [
    (method, re.compile(f"^{pattern}$"), status, reply)
    for method, pattern, status, reply in [
        ("PATCH", _INSTALLATION, 204, _nothing),
        ("GET", _INSTALLATION + "/account", 200, _account),
        ("GET", _INSTALLATION + r"/member/(?P<member>[^/]+)", 200, _member),
        ("POST", _INSTALLATION + "/events", 201, _nothing),
        ("GET", _INSTALLATION + "/resources", 200, lambda _m, _b: {"resources": []}),
        ("GET", _RESOURCE, 200, _resource),
        ("PUT", _RESOURCE, 200, _named),
        ("PATCH", _RESOURCE, 200, _named),
        ("DELETE", _RESOURCE, 204, _nothing),
        ("PUT", _RESOURCE + "/secrets", 201, _nothing),
        ("PUT", _INSTALLATION + r"/products/[^/]+/resources/[^/]+/secrets", 201, _nothing),
        ("POST", _INSTALLATION + "/billing", 201, _nothing),
        ("POST", _INSTALLATION + "/billing/invoices", 200, _invoice_id),
        ("GET", _INSTALLATION + r"/billing/invoices/(?P<invoice>[^/]+)", 200, _invoice),
        ("POST", _INSTALLATION + r"/billing/invoices/[^/]+/actions", 204, _nothing),
        ("POST", _INSTALLATION + "/billing/balance", 201, _nothing),
        ("POST", _INSTALLATION + "/billing/finalize", 204, _nothing),
        ("POST", _INSTALLATION + "/credentials/rotate", 200, _credential),
        ("POST", _INSTALLATION + "/credentials/revoke", 204, _nothing),
        ("PATCH", r"/v1/deployments/[^/]+/integrations/[^/]+/resources/[^/]+/actions/[^/]+",
         202, _nothing),
        ("POST", r"/v1/integrations/installations/[^/]+/resources/[^/]+/connections", 201,
         _nothing),
    ]
]


def route(method: str, path: str, body: Any) -> tuple[int, Any]:
    """The status and JSON body the fake answers to an authenticated call."""
    for route_method, pattern, status, reply in ROUTES:
        match = pattern.match(path)
        if match and route_method == method:
            return status, reply(match.groupdict(), body)
    return 404, {"error": {"code": "not_found", "message": f"No route {method} {path}."}}


class _Handler(JsonHandler):
    def _handle(self) -> None:
        raw = self.read_body()
        try:
            body = json.loads(raw) if raw else None
        except ValueError:
            body = raw.decode("utf-8", "replace")
        path = urlsplit(self.path).path
        if not self.headers.get("Authorization", "").lower().startswith("bearer "):
            status, answer = 401, {"error": {"code": "unauthorized", "message": "No token."}}
        else:
            status, answer = route(self.command, path, body)
        owner: FakeVercelApi = self.server.owner
        headers = {name.lower(): value for name, value in self.headers.items()}
        owner.record(RecordedCall(self.command, path, headers, body, status, answer))
        self.answer(status, answer)

    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = _handle


class FakeVercelApi(BackgroundServer):
    """The fake API; ``calls`` lists what it received, oldest first."""

    def __init__(self, port: int = 0) -> None:
        super().__init__(_Handler, port)
        self._calls: list[RecordedCall] = []
        self._arrived = threading.Condition()

    def record(self, call: RecordedCall) -> None:
        with self._arrived:
            self._calls.append(call)
            self._arrived.notify_all()

    def wait_for(self, method: str, path: str, timeout: float) -> RecordedCall | None:
        """The first call of ``method`` to ``path``, waiting up to ``timeout`` seconds for
        it to arrive (None if it does not)."""
        return self.wait_until(lambda call: (call.method, call.path) == (method, path), timeout)

    def wait_until(self, wanted: Callable[[RecordedCall], bool],
                   timeout: float) -> RecordedCall | None:
        """The first call ``wanted`` accepts, waiting up to ``timeout`` seconds for it to
        arrive (None if it does not)."""

        def arrived() -> RecordedCall | None:
            return next((call for call in self._calls if wanted(call)), None)

        with self._arrived:
            return self._arrived.wait_for(arrived, timeout)

    @property
    def calls(self) -> list[RecordedCall]:
        with self._arrived:
            return list(self._calls)
