"""Retiring resources: on Delete Resource, and for every resource of an uninstall (§3.4.4).

The resource is marked `uninstalled` at once; the provider tears it down in a background
job, so the call stays fast and a failing provider is retried.
"""

from __future__ import annotations

from sqlalchemy import select

from partner_api.catalog import Catalog
from partner_api.catalog.model import is_billable
from partner_api.extensions import db
from partner_api.jobs import enqueue
from partner_api.resources.models import Resource, ResourceStatus
from partner_api.timeutil import utcnow

DEPROVISION = "resources.deprovision"


def live_resources(installation_id: str) -> list[Resource]:
    return list(
        db.session.scalars(
            select(Resource)
            .where(Resource.installation_id == installation_id, Resource.deleted_at.is_(None))
            .order_by(Resource.created_at, Resource.id)
        )
    )


def on_billable_plan(resource: Resource, catalog: Catalog) -> bool:
    product = catalog.product(resource.product_slug)
    return product is not None and is_billable(product.plan(resource.billing_plan_id))


def retire(resource: Resource) -> None:
    """Mark the resource deleted and have a job deprovision it (once)."""
    now = utcnow()
    resource.status = ResourceStatus.UNINSTALLED
    resource.deleted_at = now
    resource.updated_at = now
    enqueue(
        DEPROVISION,
        {"resource_id": resource.id},
        dedupe_key=f"{DEPROVISION}:{resource.id}",
    )
    db.session.flush()
