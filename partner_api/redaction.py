"""What leaves the process in an error report carries no token, secret, body or claim.

Applied to every Sentry event before it is sent (`errorreporting`): the request keeps only
its method, URL (without query: SSO codes travel there) and headers; its body, cookies,
query and environment are dropped. Then, anywhere in the event (exception messages, log
messages and their arguments, breadcrumbs, extras), a value under a name that says secret
(`access_token`, `client_secret`, `Authorization`, `claims`…) is replaced whole, and any
JWT or `Bearer …` credential inside a string is cut out. A logged message's text is made
again from its scrubbed arguments, never kept as it was first formatted.
"""

from __future__ import annotations

import contextlib
import re
from typing import Any

FILTERED = "[Filtered]"

SENSITIVE_NAME = re.compile(
    r"token|secret|passw|authorization|cookie|session|claims|credential|signature|api.?key"
    r"|private|dsn",
    re.IGNORECASE,
)
# A JWS/JWT in compact form (its header is base64url JSON: `eyJ…`), and a bearer credential.
_JWT = re.compile(r"eyJ[A-Za-z0-9_-]*\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*")
_BEARER = re.compile(r"(bearer\s+)\S+", re.IGNORECASE)

_REQUEST_KEPT = ("method", "url", "headers")


def scrub_text(text: str) -> str:
    return _BEARER.sub(rf"\g<1>{FILTERED}", _JWT.sub(FILTERED, text))


def scrub(value: Any) -> Any:
    """`value` with every secret-named member replaced and every string scrubbed."""
    if isinstance(value, str):
        return scrub_text(value)
    if isinstance(value, dict):
        return {
            key: FILTERED if SENSITIVE_NAME.search(str(key)) else scrub(item)
            for key, item in value.items()
        }
    if isinstance(value, list | tuple):
        return [scrub(item) for item in value]
    return value


def _request(request: dict[str, Any]) -> dict[str, Any]:
    kept = {name: request[name] for name in _REQUEST_KEPT if name in request}
    if isinstance(kept.get("url"), str):
        kept["url"] = kept["url"].split("?", 1)[0]
    return kept


def _log_entry(entry: dict[str, Any]) -> dict[str, Any]:
    """A logged message, its text made again from its scrubbed arguments."""
    message = scrub_text(str(entry.get("message", "")))
    params = scrub(entry.get("params") or ())
    formatted = message  # as logging does when there is nothing to format
    if params:
        with contextlib.suppress(TypeError, ValueError, KeyError):
            formatted = message % (params if isinstance(params, dict) else tuple(params))
    return {"message": message, "params": params, "formatted": formatted}


def scrub_event(event: dict[str, Any], hint: dict[str, Any] | None = None) -> dict[str, Any]:
    """sentry-sdk's `before_send`: the event as it may leave the process."""
    event = dict(event)
    if isinstance(event.get("request"), dict):
        event["request"] = _request(event["request"])
    if isinstance(event.get("logentry"), dict):
        event["logentry"] = _log_entry(event["logentry"])
    return scrub(event)
