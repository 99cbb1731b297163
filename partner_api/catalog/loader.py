"""Read and validate the catalog file; every mistake is reported with where it is."""

from __future__ import annotations

import json
from collections.abc import Mapping
from importlib import resources
from pathlib import Path
from typing import Any

import marshmallow as ma
from jsonschema import Draft202012Validator
from jsonschema.exceptions import SchemaError
from marshmallow import fields, validate

from partner_api.catalog.model import Catalog, Product
from partner_api.schemas import BillingPlanSchema

_WIRE_PLAN = BillingPlanSchema()
SLUG = validate.Regexp(r"^[a-z0-9][a-z0-9-]{0,63}$", error="must be a lowercase slug")


class CatalogError(ValueError):
    """The catalog file is unusable; the message says where and why."""


class _StrictPlanSchema(BillingPlanSchema):
    class Meta:
        unknown = ma.RAISE


class _ProductSchema(ma.Schema):
    class Meta:
        unknown = ma.RAISE

    slug = fields.String(required=True, validate=SLUG)
    name = fields.String(required=True)
    provider = fields.String(required=True)
    metadataSchema = fields.Dict(required=True)
    plans = fields.List(fields.Nested(_StrictPlanSchema), required=True,
                        validate=validate.Length(min=1))
    # Settings the product needs to be offered, e.g. ["POSTGRES_PROVIDER_ADMIN_URL"].
    requires = fields.List(fields.String(), load_default=list)


class _CatalogSchema(ma.Schema):
    class Meta:
        unknown = ma.RAISE

    products = fields.List(fields.Nested(_ProductSchema), required=True)
    installationPlans = fields.List(fields.Nested(_StrictPlanSchema), load_default=list)
    defaultInstallationPlanId = fields.String(load_default=None)


def _read(path: str | None) -> tuple[Any, str]:
    if path:
        try:
            return json.loads(Path(path).read_text()), path
        except OSError as error:
            raise CatalogError(f"CATALOG_PATH {path}: cannot be read ({error.strerror})") from None
        except ValueError as error:
            raise CatalogError(f"CATALOG_PATH {path}: not valid JSON ({error})") from None
    text = resources.files("partner_api.catalog").joinpath("example_catalog.json").read_text()
    return json.loads(text), "the example catalog"


def _check_metadata_schema(slug: str, schema: Mapping[str, Any], where: str) -> None:
    try:
        Draft202012Validator.check_schema(schema)
    except SchemaError as error:
        raise CatalogError(
            f"{where}: product {slug!r}: metadataSchema is not a valid JSON Schema: "
            f"{error.message}"
        ) from None
    if schema.get("type") != "object":
        raise CatalogError(f"{where}: product {slug!r}: metadataSchema must have type 'object'")


def _check_plans(owner: str, plans: list[dict], scope: str, where: str) -> None:
    seen: set[str] = set()
    for plan in plans:
        if plan["id"] in seen:
            raise CatalogError(f"{where}: {owner}: plan id {plan['id']!r} appears twice")
        seen.add(plan["id"])
        if plan.setdefault("scope", scope) != scope:
            raise CatalogError(f"{where}: {owner}: plan {plan['id']!r} must have scope {scope!r}")


def _wire_form(plans: list[dict]) -> tuple[dict, ...]:
    """Plans as the API answers them, built once: responses send them without dumping again."""
    return tuple(_WIRE_PLAN.dump(plan) for plan in plans)


def load_catalog(path: str | None, *, settings: frozenset[str] = frozenset()) -> Catalog:
    """Load and check the catalog; `settings` names the configuration that is set.

    A product that `requires` a setting that is not set is left out of the catalog.
    """
    raw, where = _read(path)
    try:
        data = _CatalogSchema().load(raw)
    except ma.ValidationError as error:
        raise CatalogError(f"{where}: {json.dumps(error.messages, sort_keys=True)}") from None
    products: dict[str, Product] = {}
    for entry in data["products"]:
        slug = entry["slug"]
        if slug in products:
            raise CatalogError(f"{where}: product slug {slug!r} appears twice")
        _check_metadata_schema(slug, entry["metadataSchema"], where)
        _check_plans(f"product {slug!r}", entry["plans"], "resource", where)
        if not settings.issuperset(entry["requires"]):
            continue
        products[slug] = Product(
            slug=slug,
            name=entry["name"],
            provider=entry["provider"],
            metadata_schema=entry["metadataSchema"],
            plans=_wire_form(entry["plans"]),
            requires=tuple(entry["requires"]),
        )
    _check_plans("installationPlans", data["installationPlans"], "installation", where)
    catalog = Catalog(
        products=products,
        installation_plans=_wire_form(data["installationPlans"]),
        default_installation_plan_id=data["defaultInstallationPlanId"],
    )
    if catalog.default_installation_plan_id and catalog.default_installation_plan is None:
        raise CatalogError(
            f"{where}: defaultInstallationPlanId {catalog.default_installation_plan_id!r} "
            "is not one of installationPlans"
        )
    return catalog
