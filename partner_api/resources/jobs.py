"""Background work of resources; each handler is safe to run twice."""

from __future__ import annotations

from typing import Any

from partner_api.extensions import db
from partner_api.jobs import job_handler
from partner_api.resources import rotation, secrets
from partner_api.resources.calls import calling
from partner_api.resources.deletion import DEPROVISION
from partner_api.resources.models import Resource, ResourceStatus
from partner_api.resources.secrets import REVOKE_SECRETS
from partner_api.resources.service import FINISH_PROVISIONING
from partner_api.timeutil import utcnow
from partner_api.vercel.jobs import push_event
from partner_api.vercel.models import ResourceUpdated


class StillProvisioning(Exception):
    """The provider is not done yet; the queue retries the job with backoff."""


@job_handler(FINISH_PROVISIONING)
def finish_provisioning(payload: dict[str, Any]) -> None:
    resource = db.session.get(Resource, payload["resource_id"])
    if resource is None or resource.is_deleted or resource.status is not ResourceStatus.PENDING:
        return
    with calling(resource) as (provider, context):
        status = ResourceStatus(provider.finish_provisioning(context))
    if status is ResourceStatus.PENDING:
        raise StillProvisioning(f"resource {resource.id} is still being provisioned")
    resource.status = status
    resource.updated_at = utcnow()
    push_event(
        resource.installation_id, ResourceUpdated(resource.id, product_id=resource.product_slug)
    )


@job_handler(DEPROVISION)
def deprovision(payload: dict[str, Any]) -> None:
    resource = db.session.get(Resource, payload["resource_id"])
    if resource is None or not resource.is_deleted:
        return
    with calling(resource) as (provider, context):
        provider.deprovision(context)
    now = utcnow()
    for generation in secrets.unrevoked(resource):
        generation.revoked_at = now


@job_handler(rotation.FINISH_ROTATION)
def finish_rotation(payload: dict[str, Any]) -> None:
    rotation.finish_rotation(payload["resource_id"], payload["delay_hours"], payload["partial"])


@job_handler(REVOKE_SECRETS)
def revoke_secrets(payload: dict[str, Any]) -> None:
    rotation.revoke(payload["resource_id"], payload["version"])
