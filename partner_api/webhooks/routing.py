"""Which installation an event concerns (§5.1, §7.28)."""

from __future__ import annotations

from typing import Any

from partner_api.webhooks.events import lookup


def candidate_installation_ids(payload: dict[str, Any]) -> list[str]:
    """Installation ids the payload names, most specific first.

    `installationId`, then `configuration.id` (also inside the nested `invoice{…}` shape some
    guides show), then every `integrations[].installationId`, then the deprecated
    `installationIds[]`. Deployment events can name several installations; the first one we
    know is the one the event is for.
    """
    invoice = payload.get("invoice")
    nested = invoice if isinstance(invoice, dict) else {}
    found: list[Any] = [
        payload.get("installationId"),
        lookup(payload, "configuration", "id"),
        nested.get("installationId"),
    ]
    integrations = payload.get("integrations")
    if isinstance(integrations, list):
        found += [lookup(item, "installationId") for item in integrations]
    deprecated = payload.get("installationIds")
    if isinstance(deprecated, list):
        found += deprecated
    unique: list[str] = []
    for value in found:
        if isinstance(value, str) and value and value not in unique:
            unique.append(value)
    return unique
