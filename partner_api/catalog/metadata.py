"""Check a resource's metadata against its product's schema (§3.4.5: 400 with `fields`)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from jsonschema import Draft202012Validator
from jsonschema.exceptions import ValidationError

from partner_api.catalog.model import Product
from partner_api.errors import FieldError


def _keys_of(error: ValidationError, product: Product) -> list[str]:
    """The metadata properties an error is about, so the form can highlight them."""
    if error.absolute_path:
        return [str(error.absolute_path[0])]
    instance = error.instance if isinstance(error.instance, Mapping) else {}
    if error.validator == "required":
        return [name for name in error.validator_value if name not in instance] or ["metadata"]
    if error.validator == "additionalProperties":
        known = set(product.metadata_schema.get("properties", {}))
        return sorted(set(instance) - known) or ["metadata"]
    return ["metadata"]


def metadata_errors(product: Product, metadata: Mapping[str, Any]) -> list[FieldError]:
    """One entry per offending metadata property, keyed by the property name."""
    validator = Draft202012Validator(product.metadata_schema)
    found: dict[str, FieldError] = {}
    for error in validator.iter_errors(dict(metadata)):
        for key in _keys_of(error, product):
            found.setdefault(key, FieldError(key, error.message))
    return list(found.values())
