"""Secrets rotation (§3.4.9, F10): new secrets now or later, old ones retired after a delay."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select

from partner_api.extensions import db
from partner_api.jobs import enqueue
from partner_api.providers.base import Credentials
from partner_api.resources import secrets
from partner_api.resources.calls import calling
from partner_api.resources.models import Resource, SecretVersion
from partner_api.resources.service import find
from partner_api.timeutil import utcnow
from partner_api.vercel.jobs import push_resource_secrets

FINISH_ROTATION = "resources.finish_rotation"


@dataclass(frozen=True)
class RotationOutcome:
    """`secrets` is None when the provider rotates later (the call answers 202)."""

    secrets: list[secrets.ApiSecret] | None
    partial: bool


def _store(
    resource: Resource, credentials: Credentials, partial: bool, delay_hours: float
) -> list[secrets.ApiSecret]:
    """Record the new generation and schedule the retirement of the one it replaces.

    Returns the rotated secrets (a subset of the full set when `partial`).
    """
    rotated = secrets.api_secrets(credentials.secrets)
    if not rotated:
        raise ValueError(f"provider of {resource.product_slug!r} rotated no secrets")
    previous = secrets.latest(resource)
    complete = secrets.merged(previous.secrets, rotated) if partial and previous else rotated
    secrets.record(resource, complete, credentials, previous)
    if previous is not None:
        secrets.supersede(previous, delay_hours)
    resource.updated_at = utcnow()
    db.session.flush()
    return rotated


def rotate(
    installation_id: str, resource_id: str, reason: str | None, delay_hours: float
) -> RotationOutcome:
    resource = find(installation_id, resource_id)
    with calling(resource) as (provider, context):
        rotation = provider.rotate_secrets(context, reason)
    if rotation.credentials is None:
        enqueue(
            FINISH_ROTATION,
            {"resource_id": resource.id, "delay_hours": delay_hours, "partial": rotation.partial},
        )
        return RotationOutcome(secrets=None, partial=rotation.partial)
    rotated = _store(resource, rotation.credentials, rotation.partial, delay_hours)
    return RotationOutcome(secrets=rotated, partial=rotation.partial)


def finish_rotation(resource_id: str, delay_hours: float, partial: bool) -> None:
    """Background half of an asynchronous rotation: store the secrets, then tell Vercel."""
    resource = db.session.get(Resource, resource_id)
    if resource is None or resource.is_deleted:
        return
    with calling(resource) as (provider, context):
        credentials = provider.finish_rotation(context)
    rotated = _store(resource, credentials, partial, delay_hours)
    push_resource_secrets(resource.installation_id, resource.id, rotated, partial)


def revoke(resource_id: str, version: int) -> None:
    """Retire one generation once its grace period is over; a repeat is a no-op.

    A deleted resource's credentials went with its deprovisioning.
    """
    generation = db.session.scalar(
        select(SecretVersion).where(
            SecretVersion.resource_id == resource_id, SecretVersion.version == version
        )
    )
    if generation is None or generation.revoked_at is not None:
        return
    resource = db.session.get(Resource, resource_id)
    if resource is not None and not resource.is_deleted:
        with calling(resource) as (provider, context):
            provider.revoke(context, generation.credentials_state)
    generation.revoked_at = utcnow()
    db.session.flush()
