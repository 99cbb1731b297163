"""Plan changes made on the partner's side (§1.3 F7), pushed to Vercel.

Vercel changes plans through Update Installation and Update Resource; the partner may change
them too (an upgrade sold in its own dashboard, a downgrade for abuse). The same rules
apply (the plan must be offered and selectable, a resource's provider applies it), the plan
history records when it took effect, and jobs tell Vercel: V1 or V8 with the plan object
(`effectiveDate` set), then a V4 `installation.updated` or `resource.updated` event so
Vercel reads the installation or resource again.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from partner_api.catalog import Catalog
from partner_api.catalog.model import Plan
from partner_api.installations import service as installations
from partner_api.installations.models import Installation
from partner_api.resources import service as resources
from partner_api.resources.models import Resource
from partner_api.timeutil import isoformat
from partner_api.vercel.jobs import push_event, push_installation_update, push_resource_update
from partner_api.vercel.models import (
    InstallationUpdate,
    InstallationUpdated,
    ResourceUpdate,
    ResourceUpdated,
)


def _plan_object(plan: Plan, effective_at: datetime) -> dict[str, Any]:
    return {**plan, "effectiveDate": isoformat(effective_at)}


def change_installation_plan_from_partner(
    installation_id: str, plan_id: str, catalog: Catalog
) -> Installation:
    """Put the installation on `plan_id` and tell Vercel; no change, no push."""
    installation = installations.find_live(installation_id)
    if installation.billing_plan_id == plan_id:
        return installation
    installation = installations.change_plan(installation_id, plan_id, catalog)
    plan = _plan_object(catalog.installation_plan(plan_id), installation.updated_at)
    push_installation_update(installation_id, InstallationUpdate(billing_plan=plan))
    push_event(installation_id, InstallationUpdated(billing_plan_id=plan_id))
    return installation


def change_resource_plan_from_partner(
    installation_id: str, resource_id: str, plan_id: str, catalog: Catalog
) -> Resource:
    """Put the resource on `plan_id` (its provider applies it) and tell Vercel."""
    resource = resources.find(installation_id, resource_id)
    if resource.billing_plan_id == plan_id:
        return resource
    resource = resources.update(
        installation_id, resource_id, resources.ResourceChanges(billing_plan_id=plan_id), catalog
    )
    product = catalog.product(resource.product_slug)
    plan = _plan_object(product.plan(plan_id), resource.updated_at)
    push_resource_update(installation_id, resource_id, ResourceUpdate(billing_plan=plan))
    push_event(installation_id, ResourceUpdated(resource_id, product_id=resource.product_slug))
    return resource
