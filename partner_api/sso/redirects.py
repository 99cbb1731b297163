"""Where the Redirect Login URL sends a signed-in user (§2.4.1), without an open redirect.

A target given as `url` is followed only if it is a path on this server or an absolute URL
whose origin is allowed (`SSO_ALLOWED_REDIRECT_ORIGINS`, and `PUBLIC_URL`'s own origin, which
`sso:https://…` links of this server produce). Everything else lands on the overview.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass
from urllib.parse import urlsplit

from flask import current_app, url_for

MAX_TARGET_LENGTH = 2048
# Browsers drop tabs and newlines and read `\` as `/`, which turns `/\evil` or `/<TAB>/evil`
# into `//evil`: no control character, space or backslash anywhere.
_UNSAFE_CHARACTERS = re.compile(r"[\x00-\x20\x7f\\]")
_DEFAULT_PORTS = {"http": 80, "https": 443}

# The `path` values Vercel sends; on a resource page each is a section of that name.
SECTIONS = frozenset({"billing", "usage", "onboarding", "secrets", "support"})
# Without a resource: the overview's section for each, billing being the invoices page.
_OVERVIEW_SECTIONS = {
    "usage": "resources",
    "secrets": "resources",
    "onboarding": "onboarding",
    "support": "support",
}


def origin_of(url: str) -> str | None:
    """`scheme://host[:port]` of an absolute http(s) URL, normalized; None for anything else.

    A URL with user information (`https://trusted@evil`) has no origin here: it only serves
    to disguise where it leads.
    """
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        return None
    scheme = parts.scheme.lower()
    host = parts.hostname
    if scheme not in _DEFAULT_PORTS or not host or "@" in parts.netloc:
        return None
    if ":" in host:  # IPv6: urlsplit drops the brackets
        host = f"[{host}]"
    if port is None or port == _DEFAULT_PORTS[scheme]:
        return f"{scheme}://{host}"
    return f"{scheme}://{host}:{port}"


def parse_origins(raw: str | None) -> frozenset[str]:
    """Origins of a comma-separated list; raises ValueError naming an entry that is not one."""
    origins = set()
    for entry in (raw or "").split(","):
        entry = entry.strip()
        if not entry:
            continue
        origin = origin_of(entry)
        parts = urlsplit(entry)
        if origin is None or parts.path not in ("", "/") or parts.query or parts.fragment:
            raise ValueError(f"{entry!r} is not an origin (scheme://host[:port])")
        origins.add(origin)
    return frozenset(origins)


def safe_target(url: str, allowed_origins: Collection[str]) -> str | None:
    """`url` if following it stays on this server or reaches an allowed origin, else None."""
    if not url or len(url) > MAX_TARGET_LENGTH or _UNSAFE_CHARACTERS.search(url):
        return None
    if url.startswith("/"):
        parts = urlsplit(url)
        on_this_server = not url.startswith("//") and not parts.scheme and not parts.netloc
        return url if on_this_server else None
    origin = origin_of(url)
    return url if origin is not None and origin in allowed_origins else None


@dataclass(frozen=True)
class SsoContext:
    """The optional context Vercel adds to the Redirect Login URL."""

    resource_id: str | None = None
    invoice_id: str | None = None
    path: str | None = None
    url: str | None = None

    @classmethod
    def from_query(cls, args: Mapping[str, str]) -> SsoContext:
        path = args.get("path") or None
        if path is None and args.get("support"):  # the older spelling of path=support
            path = "support"
        return cls(
            resource_id=args.get("resource_id") or None,
            invoice_id=args.get("invoice_id") or None,
            path=path if path in SECTIONS else None,
            url=args.get("url") or None,
        )


def landing_url(
    context: SsoContext,
    *,
    owns_resource: Callable[[str], bool],
    allowed_origins: Collection[str],
) -> str:
    """The page to open after sign-in: resource, invoice, section, `url`, else the overview."""
    if context.resource_id and owns_resource(context.resource_id):
        return url_for("dashboard.resource", resource_id=context.resource_id, _anchor=context.path)
    if context.invoice_id:
        return url_for("dashboard.invoices", _anchor=f"invoice-{context.invoice_id}")
    if context.path == "billing":
        return url_for("dashboard.invoices")
    if context.path is not None:
        return url_for("dashboard.overview", _anchor=_OVERVIEW_SECTIONS[context.path])
    if context.url:
        target = safe_target(context.url, allowed_origins)
        if target is not None:
            return target
    return url_for("dashboard.overview")


EXTENSION = "sso_allowed_origins"


def configured_origins(allowed: str | None, public_url: str | None) -> frozenset[str]:
    """`SSO_ALLOWED_REDIRECT_ORIGINS` and `PUBLIC_URL`'s origin; ValueError names a bad one."""
    try:
        origins = parse_origins(allowed)
    except ValueError as error:
        raise ValueError(f"SSO_ALLOWED_REDIRECT_ORIGINS: {error}") from None
    if public_url:
        own = origin_of(public_url)
        if own is None:
            raise ValueError(f"PUBLIC_URL {public_url!r} is not an http(s) URL")
        origins |= {own}
    return origins


def allowed_origins() -> frozenset[str]:
    return current_app.extensions[EXTENSION]
