"""Resource rules (§3.4.5–3.4.8, §3.4.10, §3.4.12, §3.4.L).

Changes are flushed, never committed: the caller owns the transaction, so a refusal (ours or
the provider's) leaves the database as it was.
"""

from __future__ import annotations

import copy
import functools
import secrets as random
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Select, bindparam, insert, inspect, select
from sqlalchemy.engine import Row
from sqlalchemy.orm import defer

from partner_api import autocommit
from partner_api.billing.plans import product_plans
from partner_api.catalog import Catalog, Product
from partner_api.catalog.metadata import metadata_errors
from partner_api.catalog.model import Plan
from partner_api.errors import Conflict, FieldError, NotFound, ValidationFailed
from partner_api.extensions import db
from partner_api.installations.models import Installation
from partner_api.installations.service import find_live, read_live
from partner_api.jobs import enqueue
from partner_api.resources import secrets
from partner_api.resources.calls import calling, context_of
from partner_api.resources.deletion import retire
from partner_api.resources.models import Resource, ResourcePlanChange, ResourceStatus
from partner_api.timeutil import utcnow

FINISH_PROVISIONING = "resources.finish_provisioning"


@dataclass(frozen=True)
class NewResource:
    product_id: str
    name: str
    metadata: Mapping[str, Any]
    billing_plan_id: str
    external_id: str | None = None
    protocol_settings: Mapping[str, Any] | None = None


@dataclass(frozen=True)
class ResourceChanges:
    """Update Resource's body; `None` leaves a field as it is."""

    name: str | None = None
    metadata: Mapping[str, Any] | None = None
    billing_plan_id: str | None = None
    protocol_settings: Mapping[str, Any] | None = None


def new_resource_id() -> str:
    return f"res_{random.token_hex(12)}"


def _plan_errors(product: Product, plan_id: str) -> list[FieldError]:
    plan = product.plan(plan_id)
    if plan is None:
        return [FieldError("billingPlanId", f"Not a plan of product {product.slug!r}.")]
    if plan.get("disabled"):
        return [FieldError("billingPlanId", "This plan cannot be selected now.")]
    return []


def _refuse(errors: Sequence[FieldError]) -> None:
    if errors:
        raise ValidationFailed("The request failed validation.", fields=errors)


# Rows that nothing reads back as objects in the same call are written with Core INSERTs in
# the session's transaction: the ORM's unit of work cost several times the statement itself.
_INSERT_RESOURCE = insert(Resource.__table__)
_INSERT_PLAN_CHANGE = insert(ResourcePlanChange.__table__)


@functools.cache
def _resource_columns() -> tuple[tuple[str, str], ...]:
    """(attribute, column) names of every mapped column of `Resource`."""
    return tuple((column.key, column.columns[0].key) for column in inspect(Resource).column_attrs)


def _insert(resource: Resource) -> None:
    """Write a new resource's row; `resource` stays out of the session."""
    row = {column: getattr(resource, attribute) for attribute, column in _resource_columns()}
    db.session.execute(_INSERT_RESOURCE, row)


def _record_plan(resource: Resource, previous_plan_id: str | None) -> None:
    """Plan history (the resource's row must already be flushed)."""
    db.session.execute(
        _INSERT_PLAN_CHANGE,
        {
            "resource_id": resource.id,
            "billing_plan_id": resource.billing_plan_id,
            "previous_plan_id": previous_plan_id,
            "effective_at": resource.updated_at,
        },
    )


def _live_resource_query(*, with_state: bool) -> Select:
    query = (
        select(Resource)
        .join(Installation, Installation.id == Resource.installation_id)
        .where(
            Resource.id == bindparam("resource_id"),
            Resource.installation_id == bindparam("installation_id"),
            Resource.deleted_at.is_(None),
            Installation.deleted_at.is_(None),
        )
    )
    return query if with_state else query.options(defer(Resource.provider_state))


# Built once: constructing the statement cost more than running it (profiled under gunicorn).
_LIVE_RESOURCE = {state: _live_resource_query(with_state=state) for state in (True, False)}


def _live_resource(
    installation_id: str, resource_id: str, *, with_state: bool = True
) -> Resource | None:
    """The live resource of a live installation, if any, in one query.

    Without `with_state` the provider state is not loaded (nor decrypted): reads never use it.
    """
    return db.session.scalar(
        _LIVE_RESOURCE[with_state],
        {"installation_id": installation_id, "resource_id": resource_id},
    )


def find(installation_id: str, resource_id: str) -> Resource:
    """A live resource of a live installation, or 404 (for the installation if it is gone)."""
    resource = _live_resource(installation_id, resource_id)
    if resource is None:
        find_live(installation_id)
        raise _not_found(resource_id)
    return resource


def _not_found(resource_id: str) -> NotFound:
    return NotFound(f"Resource {resource_id} was not found.")


_resources = Resource.__table__
_installations = Installation.__table__
# What a Partner API read answers with (see partner_api/autocommit.py), under the model's
# attribute names, so `routes.resource_body` takes a row or a model alike.
_READ_COLUMNS = (
    _resources.c.id,
    _resources.c.product_slug,
    _resources.c.name,
    _resources.c.metadata.label("resource_metadata"),
    _resources.c.status,
    _resources.c.billing_plan_id,
    _resources.c.notification,
    _resources.c.protocol_settings,
)
_READ_RESOURCE = (
    select(*_READ_COLUMNS)
    .join(_installations, _installations.c.id == _resources.c.installation_id)
    .where(
        _resources.c.id == bindparam("resource_id"),
        _resources.c.installation_id == bindparam("installation_id"),
        _resources.c.deleted_at.is_(None),
        _installations.c.deleted_at.is_(None),
    )
)
_READ_RESOURCES = (
    select(*_READ_COLUMNS)
    .where(
        _resources.c.installation_id == bindparam("installation_id"),
        _resources.c.deleted_at.is_(None),
    )
    .order_by(_resources.c.created_at, _resources.c.id)
)
_READ_SOME_RESOURCES = _READ_RESOURCES.where(
    _resources.c.id.in_(bindparam("ids", expanding=True))
)


def read(installation_id: str, resource_id: str) -> Row:
    """`find` for GETs: what a Partner API answer shows of the resource, or 404."""
    params = {"installation_id": installation_id, "resource_id": resource_id}
    resource = autocommit.first(_READ_RESOURCE, params)
    if resource is None:
        read_live(installation_id)
        raise _not_found(resource_id)
    return resource


def provision(
    installation_id: str, request: NewResource, catalog: Catalog
) -> tuple[Resource, list[secrets.ApiSecret]]:
    """Create the resource through its provider; returns it with its first secrets."""
    read_live(installation_id)  # a check only: no need to load the installation as a model
    product = catalog.product(request.product_id)
    if product is None:
        raise ValidationFailed(
            f"Unknown product {request.product_id!r}.",
            fields=[FieldError("productId", "Not a product of this integration.")],
        )
    _refuse(
        _plan_errors(product, request.billing_plan_id)
        + metadata_errors(product, request.metadata)
    )
    now = utcnow()
    resource = Resource(
        id=new_resource_id(),
        installation_id=installation_id,
        product_slug=product.slug,
        name=request.name,
        resource_metadata=copy.deepcopy(dict(request.metadata)),
        status=ResourceStatus.PENDING,
        billing_plan_id=request.billing_plan_id,
        protocol_settings=copy.deepcopy(request.protocol_settings),
        external_id=request.external_id,
        provider_state={},
        created_at=now,
        updated_at=now,
    )
    with calling(resource) as (provider, context):
        provisioned = provider.provision(context)
    issued = secrets.api_secrets(provisioned.credentials.secrets)
    if not issued or not all(secret["name"] and secret["value"] for secret in issued):
        raise ValueError(f"provider of {product.slug!r} returned no usable secrets")
    resource.status = ResourceStatus(provisioned.status)
    resource.provider_state = copy.deepcopy(dict(provisioned.state))
    _insert(resource)  # first: the rows below refer to it
    secrets.record(resource, issued, provisioned.credentials, previous=None)
    _record_plan(resource, None)
    if resource.status is ResourceStatus.PENDING:
        enqueue(
            FINISH_PROVISIONING,
            {"resource_id": resource.id},
            dedupe_key=f"{FINISH_PROVISIONING}:{resource.id}",
        )
    db.session.flush()
    return resource, issued


def update(
    installation_id: str, resource_id: str, changes: ResourceChanges, catalog: Catalog
) -> Resource:
    """Rename, replace metadata, change plan; the provider applies plan and metadata."""
    resource = find(installation_id, resource_id)
    if changes.billing_plan_id is not None or changes.metadata is not None:
        product = catalog.product(resource.product_slug)
        if product is None:
            raise Conflict(
                f"Product {resource.product_slug!r} is no longer offered: its plan and "
                "metadata cannot change.",
                code="product_withdrawn",
            )
        errors: list[FieldError] = []
        if changes.billing_plan_id is not None:
            errors += _plan_errors(product, changes.billing_plan_id)
        if changes.metadata is not None:
            errors += metadata_errors(product, changes.metadata)
        _refuse(errors)

    previous = context_of(resource)
    if changes.name is not None:
        resource.name = changes.name
    if changes.metadata is not None:
        resource.resource_metadata = copy.deepcopy(dict(changes.metadata))
    if changes.billing_plan_id is not None:
        resource.billing_plan_id = changes.billing_plan_id
    if changes.protocol_settings is not None:
        resource.protocol_settings = copy.deepcopy(dict(changes.protocol_settings))
    resource.updated_at = utcnow()

    plan_changed = resource.billing_plan_id != previous.billing_plan_id
    if plan_changed or resource.resource_metadata != previous.metadata:
        with calling(resource) as (provider, context):
            state = provider.update(context, previous)
        resource.provider_state = copy.deepcopy(dict(state))
    if plan_changed:
        _record_plan(resource, previous.billing_plan_id)
    db.session.flush()
    return resource


def delete(installation_id: str, resource_id: str) -> None:
    """Idempotent: an unknown or already deleted resource is fine."""
    resource = _live_resource(installation_id, resource_id, with_state=False)
    if resource is None:
        find_live(installation_id)  # 404 if the installation itself is gone
        return
    retire(resource)


def list_resources(installation_id: str, ids: Sequence[str] | None = None) -> list[Row]:
    read_live(installation_id)
    if ids:
        params = {"installation_id": installation_id, "ids": list(ids)}
        return autocommit.all_rows(_READ_SOME_RESOURCES, params)
    return autocommit.all_rows(_READ_RESOURCES, {"installation_id": installation_id})


def run_repl(installation_id: str, resource_id: str, command: str, read_only: bool) -> list[dict]:
    """Run a console command; a read-only console never changes the provider's state."""
    resource = find(installation_id, resource_id)
    with calling(resource, keep_state=not read_only) as (provider, context):
        return provider.repl(context, command, read_only)


def resource_plans(
    installation_id: str, resource_id: str, metadata: Mapping[str, Any], catalog: Catalog
) -> list[Plan]:
    return product_plans(catalog, read(installation_id, resource_id).product_slug, metadata)
