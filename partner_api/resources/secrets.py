"""Secret generations of a resource: stored encrypted, superseded and retired on schedule."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import timedelta
from typing import Any

from sqlalchemy import insert, select

from partner_api.extensions import db
from partner_api.jobs import enqueue
from partner_api.providers.base import Credentials, Secret
from partner_api.resources.models import Resource, SecretVersion
from partner_api.timeutil import utcnow

REVOKE_SECRETS = "resources.revoke_secrets"

ApiSecret = dict[str, Any]


def api_secret(secret: Secret) -> ApiSecret:
    """§3.2.4 shape; optional fields only when set."""
    body: ApiSecret = {"name": secret.name, "value": secret.value}
    if secret.prefix:
        body["prefix"] = secret.prefix
    if secret.environment_overrides:
        body["environmentOverrides"] = dict(secret.environment_overrides)
    return body


def api_secrets(secrets: Iterable[Secret]) -> list[ApiSecret]:
    return [api_secret(secret) for secret in secrets]


def merged(current: Sequence[ApiSecret], rotated: Sequence[ApiSecret]) -> list[ApiSecret]:
    """The full set after a partial rotation: rotated secrets replace those of the same name."""
    replaced = {(secret.get("prefix"), secret["name"]): secret for secret in rotated}
    kept = [s for s in current if (s.get("prefix"), s["name"]) not in replaced]
    return kept + list(rotated)


def latest(resource: Resource) -> SecretVersion | None:
    return db.session.scalar(
        select(SecretVersion)
        .where(SecretVersion.resource_id == resource.id)
        .order_by(SecretVersion.version.desc())
        .limit(1)
    )


# Core, like the resource's own INSERT (see service._insert).
_INSERT_VERSION = insert(SecretVersion.__table__)


def record(
    resource: Resource,
    secrets: list[ApiSecret],
    credentials: Credentials,
    previous: SecretVersion | None,
) -> None:
    """Store the generation after `previous` (the `latest`; None for the first).

    `secrets` is the complete set. The resource's row must already be flushed.
    """
    db.session.execute(
        _INSERT_VERSION,
        {
            "resource_id": resource.id,
            "version": previous.version + 1 if previous else 1,
            "secrets": secrets,
            "credentials_state": dict(credentials.state),
            "created_at": utcnow(),
        },
    )


def supersede(version: SecretVersion, delay_hours: float) -> None:
    """Keep `version` valid for `delay_hours`, then have a job revoke it."""
    expires_at = utcnow() + timedelta(hours=delay_hours)
    version.expires_at = expires_at
    enqueue(
        REVOKE_SECRETS,
        {"resource_id": version.resource_id, "version": version.version},
        run_at=expires_at,
        dedupe_key=f"{REVOKE_SECRETS}:{version.resource_id}:{version.version}",
    )
    db.session.flush()


def unrevoked(resource: Resource) -> list[SecretVersion]:
    return list(
        db.session.scalars(
            select(SecretVersion).where(
                SecretVersion.resource_id == resource.id, SecretVersion.revoked_at.is_(None)
            )
        )
    )
