"""Which plans to offer (§3.4.11, §3.4.13)."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from partner_api import jsonpolicy
from partner_api.catalog import Catalog
from partner_api.catalog.model import Plan
from partner_api.errors import NotFound

log = logging.getLogger(__name__)


def parse_metadata_query(raw: str | None) -> Mapping[str, Any]:
    """The `metadata` query: JSON of a form still being filled in, so anything may come.

    Whatever is not a JSON object, or is refused by the app's JSON policy, counts as no
    metadata at all.
    """
    if not raw:
        return {}
    try:
        value = jsonpolicy.loads(raw)
    except ValueError:
        log.info("ignoring a metadata query that is not usable JSON")
        return {}
    return value if isinstance(value, dict) else {}


def product_plans(catalog: Catalog, product_slug: str, metadata: Mapping[str, Any]) -> list[Plan]:
    """The resource-level plans of a product.

    `metadata` is accepted so that a provider can tailor plans to the form's values; the
    catalog's plans do not depend on it.
    """
    product = catalog.product(product_slug)
    if product is None:
        raise NotFound(f"Product {product_slug!r} is not offered.")
    return list(product.plans)


def installation_plans(catalog: Catalog) -> list[Plan]:
    return list(catalog.installation_plans)
