"""What the dashboard pages show, read within one installation (the session's)."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select

from partner_api.billing.models import Invoice
from partner_api.catalog import current_catalog
from partner_api.catalog.model import Plan
from partner_api.extensions import db
from partner_api.installations.models import Installation
from partner_api.installations.service import find_live, is_suspended
from partner_api.providers.base import UsageReading
from partner_api.resources import secrets, service
from partner_api.resources.calls import calling
from partner_api.resources.models import Resource

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class ResourceSummary:
    resource: Resource
    product_name: str
    plan: Plan | None


@dataclass(frozen=True)
class Overview:
    installation: Installation
    plan: Plan | None
    suspended: bool
    resources: list[ResourceSummary]


@dataclass(frozen=True)
class ResourceDetails:
    summary: ResourceSummary
    secrets: list[dict[str, Any]]
    secrets_version: int | None
    usage: list[UsageReading] | None  # None: the provider could not tell


def _summary(resource: Resource) -> ResourceSummary:
    product = current_catalog().product(resource.product_slug)
    return ResourceSummary(
        resource=resource,
        product_name=product.name if product else resource.product_slug,
        plan=product.plan(resource.billing_plan_id) if product else None,
    )


def overview(installation_id: str) -> Overview:
    installation = find_live(installation_id)
    return Overview(
        installation=installation,
        plan=current_catalog().installation_plan(installation.billing_plan_id),
        suspended=is_suspended(installation_id),
        resources=[_summary(r) for r in service.list_resources(installation_id)],
    )


def _usage(resource: Resource) -> list[UsageReading] | None:
    """The provider's current readings; the page does without them if it cannot answer."""
    try:
        with calling(resource, keep_state=False) as (provider, context):
            return list(provider.usage(context))
    except Exception as error:  # usage is an extra: a provider failure must not hide the page
        log.warning("usage of resource %s unavailable: %s", resource.id, type(error).__name__)
        return None


def resource_details(installation_id: str, resource_id: str) -> ResourceDetails:
    """A live resource of the installation (404 otherwise), its current secrets and usage."""
    resource = service.find(installation_id, resource_id)
    generation = secrets.latest(resource)
    return ResourceDetails(
        summary=_summary(resource),
        secrets=list(generation.secrets) if generation else [],
        secrets_version=generation.version if generation else None,
        usage=_usage(resource),
    )


def invoices(installation_id: str) -> list[Invoice]:
    find_live(installation_id)
    query = (
        select(Invoice)
        .where(Invoice.installation_id == installation_id)
        .order_by(Invoice.created_at.desc(), Invoice.id.desc())
    )
    return list(db.session.scalars(query))
