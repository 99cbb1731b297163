"""What the partner sends to Vercel (§4.2): typed values that know their JSON shape.

Billing plans travel as mappings: Vercel's plan schema allows extra properties, and the
catalog already holds plans in that shape (§3.2.1).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any, ClassVar

from partner_api.vercel.wire import (
    compact,
    money,
    number,
    parse_money,
    parse_timestamp,
    timestamp,
    unit_price,
)

ENVIRONMENTS = frozenset({"development", "preview", "production"})


class _Omitted:
    """Marks a field left out of a request, where `None` would send `null` (which clears)."""

    def __repr__(self) -> str:
        return "OMIT"


OMIT = _Omitted()


@dataclass(frozen=True)
class Notification:
    level: str  # info | warn | error
    title: str
    message: str | None = None
    href: str | None = None  # http(s) URL or `sso:` URL

    def to_json(self) -> dict[str, Any]:
        return compact(
            {"level": self.level, "title": self.title, "message": self.message, "href": self.href}
        )

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Notification:
        return cls(data["level"], data["title"], data.get("message"), data.get("href"))


def clearable_notification(value: Notification | _Omitted | None) -> dict[str, Any]:
    """The `notification` member of V1/V8: absent, `null` (clears) or the object."""
    if isinstance(value, _Omitted):
        return {}
    return {"notification": None if value is None else value.to_json()}


def _required_text(data: Mapping[str, Any], key: str) -> str:
    value = data.get(key)
    if not isinstance(value, str) or not value:
        raise ValueError(f"secret {key!r} must be a non-empty string")
    return value


@dataclass(frozen=True)
class Secret:
    """One environment variable of a resource (§3.2.4). Values stay out of `repr`."""

    name: str
    value: str = field(repr=False)
    prefix: str | None = None
    environment_overrides: Mapping[str, str] | None = field(default=None, repr=False)

    def to_json(self) -> dict[str, Any]:
        overrides = self.environment_overrides
        return compact(
            {
                "name": self.name,
                "value": self.value,
                "prefix": self.prefix,
                "environmentOverrides": dict(overrides) if overrides is not None else None,
            }
        )

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Secret:
        """Parse the wire shape; error messages name the field, never its value."""
        overrides = data.get("environmentOverrides")
        if overrides is not None:
            if not isinstance(overrides, Mapping) or not set(overrides) <= ENVIRONMENTS:
                raise ValueError(
                    "secret 'environmentOverrides' may only name development, preview, production"
                )
            if not all(isinstance(value, str) for value in overrides.values()):
                raise ValueError("secret 'environmentOverrides' values must be strings")
        prefix = data.get("prefix")
        if prefix is not None and not isinstance(prefix, str):
            raise ValueError("secret 'prefix' must be a string")
        return cls(_required_text(data, "name"), _required_text(data, "value"), prefix, overrides)


@dataclass(frozen=True)
class Period:
    start: datetime
    end: datetime

    def to_json(self) -> dict[str, str]:
        return {"start": timestamp(self.start), "end": timestamp(self.end)}

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Period:
        return cls(parse_timestamp(data["start"]), parse_timestamp(data["end"]))


def _optional_timestamp(moment: datetime | None) -> str | None:
    return None if moment is None else timestamp(moment)


@dataclass(frozen=True)
class LineItem:
    """A line of billing data or of an invoice (`BillingItem` / `InvoiceItem`, same shape).

    `start`/`end` are only given when they differ from the period's (e.g. a plan change).
    """

    billing_plan_id: str
    name: str
    price: Decimal  # per unit
    quantity: Decimal | int | float
    units: str
    total: Decimal
    resource_id: str | None = None  # absent: installation-level
    start: datetime | None = None
    end: datetime | None = None
    details: str | None = None

    def to_json(self) -> dict[str, Any]:
        return compact(
            {
                "billingPlanId": self.billing_plan_id,
                "resourceId": self.resource_id,
                "start": _optional_timestamp(self.start),
                "end": _optional_timestamp(self.end),
                "name": self.name,
                "details": self.details,
                "price": unit_price(self.price),
                "quantity": number(self.quantity),
                "units": self.units,
                "total": money(self.total),
            }
        )

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> LineItem:
        return cls(
            billing_plan_id=data["billingPlanId"],
            name=data["name"],
            price=parse_money(data["price"]),
            quantity=data["quantity"],
            units=data["units"],
            total=parse_money(data["total"]),
            resource_id=data.get("resourceId"),
            start=parse_timestamp(data.get("start")),
            end=parse_timestamp(data.get("end")),
            details=data.get("details"),
        )


@dataclass(frozen=True)
class Discount:
    billing_plan_id: str
    name: str
    amount: Decimal
    resource_id: str | None = None
    start: datetime | None = None
    end: datetime | None = None
    details: str | None = None

    def to_json(self) -> dict[str, Any]:
        return compact(
            {
                "billingPlanId": self.billing_plan_id,
                "resourceId": self.resource_id,
                "start": _optional_timestamp(self.start),
                "end": _optional_timestamp(self.end),
                "name": self.name,
                "details": self.details,
                "amount": money(self.amount),
            }
        )

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Discount:
        return cls(
            billing_plan_id=data["billingPlanId"],
            name=data["name"],
            amount=parse_money(data["amount"]),
            resource_id=data.get("resourceId"),
            start=parse_timestamp(data.get("start")),
            end=parse_timestamp(data.get("end")),
            details=data.get("details"),
        )


@dataclass(frozen=True)
class Usage:
    """A metric: `period_value` is the running total for the period, not an increment."""

    name: str
    type: str  # total | interval | rate
    units: str
    day_value: Decimal | int | float
    period_value: Decimal | int | float
    resource_id: str | None = None  # absent: installation-level
    plan_value: Decimal | int | float | None = None

    def to_json(self) -> dict[str, Any]:
        return compact(
            {
                "resourceId": self.resource_id,
                "name": self.name,
                "type": self.type,
                "units": self.units,
                "dayValue": number(self.day_value),
                "periodValue": number(self.period_value),
                "planValue": None if self.plan_value is None else number(self.plan_value),
            }
        )


@dataclass(frozen=True)
class BillingData:
    """V11: the interim invoice preview and usage, sent at least daily."""

    timestamp: datetime
    eod: datetime
    period: Period
    items: Sequence[LineItem]
    usage: Sequence[Usage]
    discounts: Sequence[Discount] = ()

    def to_json(self) -> dict[str, Any]:
        billing: dict[str, Any] = {"items": [item.to_json() for item in self.items]}
        if self.discounts:
            billing["discounts"] = [discount.to_json() for discount in self.discounts]
        return {
            "timestamp": timestamp(self.timestamp),
            "eod": timestamp(self.eod),
            "period": self.period.to_json(),
            "billing": billing,
            "usage": [metric.to_json() for metric in self.usage],
        }


@dataclass(frozen=True)
class InvoiceTest:
    validate: bool | None = None
    result: str | None = None  # paid | notpaid | overdue

    def to_json(self) -> dict[str, Any]:
        return compact({"validate": self.validate, "result": self.result})


@dataclass(frozen=True)
class InvoiceSubmission:
    """V12. `external_id` is unique per installation: it makes a resubmission detectable."""

    invoice_date: datetime
    period: Period
    items: Sequence[LineItem]
    external_id: str | None = None
    memo: str | None = None
    discounts: Sequence[Discount] = ()
    final: bool = False  # only while the installation is pending deletion
    test: InvoiceTest | None = None

    def to_json(self) -> dict[str, Any]:
        return compact(
            {
                "externalId": self.external_id,
                "invoiceDate": timestamp(self.invoice_date),
                "memo": self.memo,
                "period": self.period.to_json(),
                "items": [item.to_json() for item in self.items],
                "discounts": [d.to_json() for d in self.discounts] if self.discounts else None,
                "final": True if self.final else None,
                "test": self.test.to_json() if self.test else None,
            }
        )


@dataclass(frozen=True)
class Balance:
    """A prepayment balance (§3.2.6); cents are rounded down by the caller (§7.25)."""

    currency_value_in_cents: int
    resource_id: str | None = None  # absent: installation-level credit
    credit: str | None = None  # display text, e.g. "2,000 Tokens"
    name_label: str | None = None

    def to_json(self) -> dict[str, Any]:
        return compact(
            {
                "resourceId": self.resource_id,
                "currencyValueInCents": self.currency_value_in_cents,
                "credit": self.credit,
                "nameLabel": self.name_label,
            }
        )


@dataclass(frozen=True)
class InstallationUpdate:
    """V1: only the fields given are sent; `notification=None` clears it."""

    status: str | None = None
    external_id: str | None = None
    billing_plan: Mapping[str, Any] | None = None
    notification: Notification | _Omitted | None = OMIT

    def to_json(self) -> dict[str, Any]:
        body = compact(
            {
                "status": self.status,
                "externalId": self.external_id,
                "billingPlan": dict(self.billing_plan) if self.billing_plan else None,
            }
        )
        return body | clearable_notification(self.notification)


def _secrets_json(secrets: Sequence[Secret] | None) -> list[dict[str, Any]] | None:
    return None if secrets is None else [secret.to_json() for secret in secrets]


@dataclass(frozen=True)
class ResourceImport:
    """V7: upsert a resource created outside Vercel into the installation."""

    product_id: str
    name: str
    status: str
    ownership: str | None = None  # owned | linked | sandbox
    metadata: Mapping[str, Any] | None = None
    billing_plan: Mapping[str, Any] | None = None
    notification: Notification | None = None
    extras: Mapping[str, Any] | None = None
    secrets: Sequence[Secret] | None = None

    def to_json(self) -> dict[str, Any]:
        return compact(
            {
                "productId": self.product_id,
                "name": self.name,
                "status": self.status,
                "ownership": self.ownership,
                "metadata": dict(self.metadata) if self.metadata is not None else None,
                "billingPlan": dict(self.billing_plan) if self.billing_plan else None,
                "notification": self.notification.to_json() if self.notification else None,
                "extras": dict(self.extras) if self.extras is not None else None,
                "secrets": _secrets_json(self.secrets),
            }
        )


@dataclass(frozen=True)
class ResourceUpdate:
    """V8: only the fields given are sent; `notification=None` clears it.

    `secrets` replace all secrets, unless `partial_secrets=True` (then only those listed).
    """

    name: str | None = None
    status: str | None = None
    ownership: str | None = None
    metadata: Mapping[str, Any] | None = None
    billing_plan: Mapping[str, Any] | None = None
    notification: Notification | _Omitted | None = OMIT
    extras: Mapping[str, Any] | None = None
    secrets: Sequence[Secret] | None = None
    partial_secrets: bool = False

    def to_json(self) -> dict[str, Any]:
        secrets = _secrets_json(self.secrets)
        if secrets is not None and self.partial_secrets:
            secrets = {"secrets": secrets, "partial": True}
        body = compact(
            {
                "ownership": self.ownership,
                "name": self.name,
                "status": self.status,
                "metadata": dict(self.metadata) if self.metadata is not None else None,
                "billingPlan": dict(self.billing_plan) if self.billing_plan else None,
                "extras": dict(self.extras) if self.extras is not None else None,
                "secrets": secrets,
            }
        )
        return body | clearable_notification(self.notification)


@dataclass(frozen=True)
class ResourceUpdated:
    """V4 event: a resource changed on the partner side; Vercel re-reads it."""

    TYPE: ClassVar[str] = "resource.updated"
    resource_id: str
    product_id: str | None = None  # optional in the schema, sent whenever known

    def to_json(self) -> dict[str, Any]:
        return compact(
            {"type": self.TYPE, "productId": self.product_id, "resourceId": self.resource_id}
        )


@dataclass(frozen=True)
class InstallationUpdated:
    """V4 event: the installation (plan, notification…) changed on the partner side."""

    TYPE: ClassVar[str] = "installation.updated"
    billing_plan_id: str | None = None

    def to_json(self) -> dict[str, Any]:
        return compact({"type": self.TYPE, "billingPlanId": self.billing_plan_id})


Event = ResourceUpdated | InstallationUpdated


def event_from_json(data: Mapping[str, Any]) -> Event:
    """Read an event in its wire shape (how jobs carry it)."""
    kind = data.get("type")
    if kind == ResourceUpdated.TYPE:
        if not isinstance(data.get("resourceId"), str):
            raise ValueError("a resource.updated event needs a string 'resourceId'")
        return ResourceUpdated(data["resourceId"], data.get("productId"))
    if kind == InstallationUpdated.TYPE:
        return InstallationUpdated(data.get("billingPlanId"))
    raise ValueError(f"unknown event type {kind!r}")
