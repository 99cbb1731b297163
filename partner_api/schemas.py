"""Schemas shared by several endpoints: billing plans, notifications (§3.2)."""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation
from typing import Any

import marshmallow as ma
from marshmallow import fields, validate

from partner_api import nulchars

MONEY_PATTERN = re.compile(r"^[0-9]+(\.[0-9]+)?$")
# Ids one request may list. Each is a bound parameter of one `IN (...)`, and a statement
# holds at most 32,766 of them on SQLite and 65,535 with psycopg: past that it fails (a 500).
MAX_LISTED_IDS = 1000


class RequestSchema(ma.Schema):
    """Request bodies and queries tolerate unknown fields: Vercel adds fields over time.

    No string in them may hold a NUL character (see `partner_api.nulchars`).
    """

    class Meta:
        unknown = ma.EXCLUDE

    @ma.pre_load
    def _refuse_nul_characters(self, data: Any, **kwargs: Any) -> Any:
        found = list(nulchars.paths_with_nul(data))
        if found:
            raise ma.ValidationError(
                {path or ma.exceptions.SCHEMA: [nulchars.MESSAGE] for path in found}
            )
        return data


class IdList(fields.List):
    """Ids looked up together: at most `MAX_LISTED_IDS` of them (documented as `maxItems`)."""

    def __init__(self, item: fields.Field | None = None, *, min_items: int = 0, **kwargs) -> None:
        bound = validate.Length(min=min_items, max=MAX_LISTED_IDS)
        super().__init__(item or fields.String(), validate=bound, **kwargs)


class MoneyString(fields.String):
    """US dollars as a decimal string (`"20.00"`), never a float (§7.10)."""

    def _deserialize(self, value, attr, data, **kwargs):
        text = super()._deserialize(value, attr, data, **kwargs)
        if not MONEY_PATTERN.match(text):
            raise ma.ValidationError("Must be a decimal string of dollars, like '20.00'.")
        try:
            Decimal(text)
        except InvalidOperation:
            raise ma.ValidationError("Must be a decimal string of dollars.") from None
        return text


class PlanDetailSchema(ma.Schema):
    label = fields.String(required=True)
    value = fields.String()


class QuoteLineSchema(ma.Schema):
    line = fields.String(required=True)
    amount = MoneyString(required=True)


class PolicySchema(ma.Schema):
    id = fields.String(required=True, validate=validate.Length(min=1))
    name = fields.String(required=True, validate=validate.Length(min=1))
    url = fields.String(required=True, validate=validate.Length(min=1))


class BillingPlanSchema(ma.Schema):
    id = fields.String(required=True, validate=validate.Length(min=1))
    type = fields.String(required=True, validate=validate.OneOf(["prepayment", "subscription"]))
    name = fields.String(required=True)
    scope = fields.String(validate=validate.OneOf(["installation", "resource"]))
    description = fields.String(required=True)
    paymentMethodRequired = fields.Boolean()
    preauthorizationAmount = fields.Float(validate=validate.Range(min=0))
    initialCharge = MoneyString()
    minimumAmount = MoneyString()
    maximumAmount = MoneyString()
    maximumAmountAutoPurchasePerPeriod = MoneyString()
    cost = fields.String()
    details = fields.List(fields.Nested(PlanDetailSchema))
    highlightedDetails = fields.List(fields.Nested(PlanDetailSchema))
    quote = fields.List(fields.Nested(QuoteLineSchema))
    effectiveDate = fields.String()
    disabled = fields.Boolean()
    requiredPolicies = fields.List(fields.Nested(PolicySchema))


class CatalogPlan(fields.Nested):
    """A billing plan from the catalog, which holds its plans in their wire form (the loader
    dumps each through `BillingPlanSchema` once, at start-up): answered as it is, instead of
    being dumped again on every request. Documented as `BillingPlanSchema`."""

    def __init__(self, **kwargs) -> None:
        super().__init__(BillingPlanSchema, **kwargs)

    def _serialize(self, value, attr, obj, **kwargs):
        return value


class NotificationSchema(ma.Schema):
    level = fields.String(required=True, validate=validate.OneOf(["info", "warn", "error"]))
    title = fields.String(required=True, validate=validate.Length(min=1, max=100))
    message = fields.String()
    href = fields.String()


class PlansSchema(ma.Schema):
    plans = fields.List(CatalogPlan(), required=True)


class PlanAndNotificationSchema(ma.Schema):
    """Get/Update Installation's answer: the installation plan and its notification."""

    billingPlan = CatalogPlan()
    notification = fields.Nested(NotificationSchema, allow_none=True)
