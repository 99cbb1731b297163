"""Billing records kept on our side: invoices, suspensions for unpaid ones, installation plan
history and how each uninstall's billing was closed."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import JSON, Boolean, ForeignKey, Integer, Numeric, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column
from sqlalchemy.types import TypeDecorator

from partner_api.dbtypes import UTCDateTime
from partner_api.extensions import db

CENT = Decimal("0.01")


class Money(TypeDecorator):
    """US dollars as a `Decimal` with cents: NUMERIC(12, 2).

    SQLite has no decimal type and hands back floats; twelve significant digits survive a
    float exactly, so the value is re-quantized to cents on the way out.
    """

    impl = Numeric(12, 2)
    cache_ok = True

    def load_dialect_impl(self, dialect):
        if dialect.name == "sqlite":
            return dialect.type_descriptor(Numeric(12, 2, asdecimal=False))
        return dialect.type_descriptor(Numeric(12, 2))

    def process_bind_param(self, value: Decimal | None, dialect) -> Decimal | None:
        return None if value is None else Decimal(value).quantize(CENT)

    def process_result_value(self, value: Any, dialect) -> Decimal | None:
        return None if value is None else Decimal(str(value)).quantize(CENT)


# How far along an invoice is, in Vercel's states (§8 D8). States Vercel may add later, and
# ours before Vercel has the invoice (`draft`, `submitted`, `skipped`, `rejected`), rank with
# the earliest ones. Reports move an invoice forward only.
INVOICE_PROGRESS = {
    "draft": 0,
    "pending": 0,
    "scheduled": 0,
    "invoiced": 1,
    "issued": 1,
    "notpaid": 2,
    "overdue": 3,
    "paid": 4,
    "refund_requested": 5,
    "refunded": 6,
}


def progress(state: str) -> int:
    return INVOICE_PROGRESS.get(state, 0)


class Invoice(db.Model):
    """An invoice of one installation, as Vercel reports it and as we submit it.

    `invoice_id` is Vercel's id (known once Vercel has the invoice); `external_id` is ours,
    unique per installation. `state` is stored as Vercel spells it: its enum drifts (§8 D8).
    """

    __tablename__ = "invoices"
    __table_args__ = (UniqueConstraint("installation_id", "external_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    installation_id: Mapped[str] = mapped_column(ForeignKey("installations.id"), index=True)
    invoice_id: Mapped[str | None] = mapped_column(String(128), unique=True)
    external_id: Mapped[str | None] = mapped_column(String(255))
    state: Mapped[str] = mapped_column(String(32))
    period_start: Mapped[datetime | None] = mapped_column(UTCDateTime())
    period_end: Mapped[datetime | None] = mapped_column(UTCDateTime())
    invoice_date: Mapped[datetime | None] = mapped_column(UTCDateTime())
    total: Mapped[Decimal | None] = mapped_column(Money())
    refund_total: Mapped[Decimal | None] = mapped_column(Money())
    refund_reason: Mapped[str | None] = mapped_column(Text)
    paid_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    refunded_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # `marketplace.invoice.notpaid` arrives once per failed collection attempt.
    failed_payment_attempts: Mapped[int] = mapped_column(Integer, default=0)
    final: Mapped[bool] = mapped_column(Boolean, default=False)
    test: Mapped[bool] = mapped_column(Boolean, default=False)
    items: Mapped[list[dict[str, Any]] | None] = mapped_column(JSON)
    # When Vercel last reported on this invoice (a webhook's `createdAt`): older reports
    # arriving later must not undo newer ones.
    reported_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # Why an invoice of ours was not sent, or what Vercel said when it refused it.
    detail: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())


class InstallationSuspension(db.Model):
    """The installation is suspended while a row for it has no `lifted_at`.

    `cause` names what suspended it (e.g. `invoice:<id>`), so paying one overdue invoice
    lifts only the suspension that invoice caused.
    """

    __tablename__ = "installation_suspensions"
    __table_args__ = (UniqueConstraint("installation_id", "cause"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    installation_id: Mapped[str] = mapped_column(ForeignKey("installations.id"), index=True)
    cause: Mapped[str] = mapped_column(String(255))
    suspended_at: Mapped[datetime] = mapped_column(UTCDateTime())
    lifted_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class InstallationPlanChange(db.Model):
    """The installation-level plan from `effective_at` on (one row at install, one per change).

    Like `ResourcePlanChange`: an invoice may only bill a plan for the time it was active.
    """

    __tablename__ = "installation_plan_changes"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    installation_id: Mapped[str] = mapped_column(ForeignKey("installations.id"), index=True)
    billing_plan_id: Mapped[str] = mapped_column(String(128))
    previous_plan_id: Mapped[str | None] = mapped_column(String(128))
    effective_at: Mapped[datetime] = mapped_column(UTCDateTime())


class Finalization(db.Model):
    """How the billing of an uninstalled installation was closed (§7.14), and why."""

    __tablename__ = "installation_finalizations"

    installation_id: Mapped[str] = mapped_column(ForeignKey("installations.id"), primary_key=True)
    # finalized (V16 accepted) | forced (V16 with invoices still unsent) | closed_by_vercel
    outcome: Mapped[str] = mapped_column(String(32))
    note: Mapped[str] = mapped_column(Text)
    finalized_at: Mapped[datetime] = mapped_column(UTCDateTime())
