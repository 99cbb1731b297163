"""Every id a URL path names fits the column that holds such ids, or the path names nothing.

Postgres refuses a value longer than its `varchar(n)` column and fails the whole statement
(a 500), where SQLite stores it. So each string variable of a route is bound, by its name,
to a column, and matches at most that column's length: a longer id matches no route and is
answered 404 (the envelope) before any view, guard or query sees it, on every route alike.
A route whose string variable is bound to no column fails when it is added, so a new route
cannot skip the rule. flask-smorest documents the bound as the parameter's `maxLength`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from flask import Flask
from werkzeug.routing import BaseConverter, Rule

from partner_api.installations.models import Installation
from partner_api.resources.models import Resource
from partner_api.transfers.models import TransferClaim

ID_COLUMNS = {
    "installation_id": Installation.id,
    "resource_id": Resource.id,
    "provider_claim_id": TransferClaim.provider_claim_id,
    "product_slug": Resource.product_slug,
}
STRING_CONVERTERS = frozenset({"default", "string"})


def max_length(variable_name: str) -> int:
    column = ID_COLUMNS.get(variable_name)
    if column is None:
        raise LookupError(
            f"the path variable {variable_name!r} is bound to no column: "
            "add it to partner_api.pathids.ID_COLUMNS"
        )
    return column.type.length


class IdRule(Rule):
    """A rule whose string variables match at most their column's length."""

    def get_converter(
        self,
        variable_name: str,
        converter_name: str,
        args: tuple[Any, ...],
        kwargs: Mapping[str, Any],
    ) -> BaseConverter:
        if converter_name in STRING_CONVERTERS:
            limit = max_length(variable_name)
            kwargs = {**kwargs, "maxlength": min(kwargs.get("maxlength") or limit, limit)}
        return super().get_converter(variable_name, converter_name, args, kwargs)


def use_in_routes(app: Flask) -> None:
    """Build the app's rules as `IdRule`s; call it before any route is added."""
    app.url_rule_class = IdRule
