"""What Vercel answers (§4.2), parsed into typed values. Unknown fields are ignored."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any

from partner_api.vercel.models import Discount, LineItem, Notification, Period
from partner_api.vercel.wire import parse_money, parse_timestamp


@dataclass(frozen=True)
class Contact:
    email: str
    name: str | None = None


@dataclass(frozen=True)
class Account:
    """V2: the team that installed the integration; `contact` is its best contact now."""

    url: str
    name: str | None = None
    contact: Contact | None = None

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Account:
        contact = data.get("contact")
        return cls(
            url=data["url"],
            name=data.get("name"),
            contact=Contact(contact["email"], contact.get("name")) if contact else None,
        )


@dataclass(frozen=True)
class Member:
    """V3: `role` is ADMIN or USER (read-only)."""

    id: str
    role: str
    global_user_id: str | None = None
    user_email: str | None = None

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Member:
        return cls(data["id"], data["role"], data.get("globalUserId"), data.get("userEmail"))


@dataclass(frozen=True)
class VercelResource:
    """A resource as Vercel sees it: `id` is the partner's id, `internal_id` Vercel's own."""

    id: str
    internal_id: str
    name: str
    product_id: str
    status: str | None = None
    metadata: Mapping[str, Any] | None = None
    billing_plan_id: str | None = None
    notification: Notification | None = None
    protocol_settings: Mapping[str, Any] | None = None

    @classmethod
    def from_json(cls, data: Mapping[str, Any], id_key: str = "id") -> VercelResource:
        """V6 names the partner id `id`; V5's list items name it `partnerId` (§7.18)."""
        notification = data.get("notification")
        return cls(
            id=data[id_key],
            internal_id=data["internalId"],
            name=data["name"],
            product_id=data["productId"],
            status=data.get("status"),
            metadata=data.get("metadata"),
            billing_plan_id=data.get("billingPlanId"),
            notification=Notification.from_json(notification) if notification else None,
            protocol_settings=data.get("protocolSettings"),
        )


def resources_from_json(data: Mapping[str, Any]) -> list[VercelResource]:
    return [VercelResource.from_json(item, id_key="partnerId") for item in data["resources"]]


def imported_name(data: Mapping[str, Any]) -> str:
    """V7/V8 answer `{"name": …}`."""
    return data["name"]


@dataclass(frozen=True)
class SubmittedInvoice:
    """V12: in test mode `validation_errors` lists what a real submission would reject."""

    invoice_id: str | None = None
    test: bool = False
    validation_errors: tuple[str, ...] = ()

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> SubmittedInvoice:
        return cls(
            data.get("invoiceId"),
            bool(data.get("test", False)),
            tuple(data.get("validationErrors") or ()),
        )


@dataclass(frozen=True)
class Invoice:
    """V13. `state` is kept as sent: the docs and the example disagree on its values (D8)."""

    invoice_id: str
    state: str
    invoice_date: datetime
    period: Period
    items: tuple[LineItem, ...]
    total: Decimal
    created: datetime
    updated: datetime
    test: bool = False
    external_id: str | None = None
    invoice_number: str | None = None
    memo: str | None = None
    paid_at: datetime | None = None
    refunded_at: datetime | None = None
    discounts: tuple[Discount, ...] = ()
    refund_reason: str | None = None
    refund_total: Decimal | None = None

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Invoice:
        refund_total = data.get("refundTotal")
        return cls(
            invoice_id=data["invoiceId"],
            state=data["state"],
            invoice_date=parse_timestamp(data["invoiceDate"]),
            period=Period.from_json(data["period"]),
            items=tuple(LineItem.from_json(item) for item in data.get("items") or ()),
            total=parse_money(data["total"]),
            created=parse_timestamp(data["created"]),
            updated=parse_timestamp(data["updated"]),
            test=bool(data.get("test", False)),
            external_id=data.get("externalId"),
            invoice_number=data.get("invoiceNumber"),
            memo=data.get("memo"),
            paid_at=parse_timestamp(data.get("paidAt")),
            refunded_at=parse_timestamp(data.get("refundedAt")),
            discounts=tuple(Discount.from_json(item) for item in data.get("discounts") or ()),
            refund_reason=data.get("refundReason"),
            refund_total=None if refund_total is None else parse_money(refund_total),
        )


@dataclass(frozen=True)
class SsoTokens:
    """V17. Verify `id_token` like an inbound token and do not store it (§2.4.2)."""

    id_token: str = field(repr=False)
    access_token: str | None = field(default=None, repr=False)
    token_type: str | None = None
    expires_in: int | None = None
    refresh_token: str | None = field(default=None, repr=False)

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> SsoTokens:
        return cls(
            data["id_token"],
            data.get("access_token"),
            data.get("token_type"),
            data.get("expires_in"),
            data.get("refresh_token"),
        )


@dataclass(frozen=True)
class RotatedCredential:
    """V18: the new installation token; the old one stays valid until revoked (§7.27)."""

    access_token: str = field(repr=False)
    token_type: str
    expires_in: int | None = None
    scope: str | None = None

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> RotatedCredential:
        return cls(
            data["access_token"], data["token_type"], data.get("expires_in"), data.get("scope")
        )


@dataclass(frozen=True)
class RevokedCredential:
    """V19: `already_revoked` when the token had been retired before (a safe repeat)."""

    revoked: bool
    already_revoked: bool = False

    @classmethod
    def from_json(cls, data: Mapping[str, Any] | None) -> RevokedCredential:
        if not data:  # the contract only promises a 2xx; an empty one means it worked
            return cls(revoked=True)
        return cls(bool(data["revoked"]), bool(data.get("already_revoked", False)))
