"""Fill a migrated database with N installations × M resources, fast.

Rows go in through the app's own models (so encrypted columns are encrypted and every type
is bound as the app binds it), as bulk INSERTs of a thousand rows: 10,000 installations take
seconds, not the minutes the API would.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from itertools import islice
from typing import Any

from sqlalchemy import insert

from partner_api.extensions import db
from partner_api.installations.models import Installation
from partner_api.resources.models import Resource, ResourceStatus
from partner_api.timeutil import utcnow

CHUNK = 1000
PRODUCT = "demo"
RESOURCE_PLAN = "demo-pro"
INSTALLATION_PLAN = "starter"


@dataclass(frozen=True)
class Seeded:
    """What was inserted: installation ids, and each installation's resource ids."""

    installations: tuple[str, ...]
    resources: dict[str, tuple[str, ...]]


def installation_id(prefix: str, number: int) -> str:
    return f"icfg_{prefix}{number:08d}"


def resource_id(installation: str, number: int) -> str:
    return f"res_{installation[5:]}_{number:04d}"


def _installation_row(installation: str, now) -> dict[str, Any]:
    return {
        "id": installation,
        "account_id": f"acct_{installation[5:]}",
        "scopes": ["read:resource", "write:resource"],
        "accepted_policies": {"toc": "2026-01-01T00:00:00Z"},
        "access_token": f"vercel-token-{installation}",
        "token_type": "Bearer",
        "account": {"name": "Bench", "url": "https://vercel.com/bench", "contact": {}},
        "billing_plan_id": INSTALLATION_PLAN,
        "notification": None,
        "created_at": now,
        "updated_at": now,
    }


def _resource_row(installation: str, resource: str, now) -> dict[str, Any]:
    return {
        "id": resource,
        "installation_id": installation,
        "product_slug": PRODUCT,
        "name": f"store {resource[-4:]}",
        "resource_metadata": {"region": "iad1", "replicas": 1},
        "status": ResourceStatus.READY,
        "billing_plan_id": RESOURCE_PLAN,
        "notification": None,
        "protocol_settings": None,
        "provider_state": {"store": {"greeting": "hello"}, "tokens": {}},
        "created_at": now,
        "updated_at": now,
    }


def _chunks(rows: Iterator[dict[str, Any]]) -> Iterator[list[dict[str, Any]]]:
    while chunk := list(islice(rows, CHUNK)):
        yield chunk


def _insert(model, rows: Iterator[dict[str, Any]]) -> None:
    for chunk in _chunks(rows):
        db.session.execute(insert(model), chunk)
        db.session.commit()


def seed(installations: int, resources: int, *, prefix: str = "bench") -> Seeded:
    """Insert `installations` live installations with `resources` ready resources each.

    Runs in an app context; commits a chunk at a time, so memory stays flat.
    """
    now = utcnow()
    ids = tuple(installation_id(prefix, number) for number in range(installations))
    owned = {
        installation: tuple(resource_id(installation, number) for number in range(resources))
        for installation in ids
    }
    _insert(Installation, (_installation_row(installation, now) for installation in ids))
    _insert(
        Resource,
        (
            _resource_row(installation, resource, now)
            for installation, resource_ids in owned.items()
            for resource in resource_ids
        ),
    )
    return Seeded(ids, owned)
