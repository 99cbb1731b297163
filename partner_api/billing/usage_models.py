"""Usage readings, prepayment balances and the ledger of credited invoices (§6)."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import (
    BigInteger,
    Date,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column

from partner_api.dbtypes import UTCDateTime
from partner_api.extensions import db


class UsageRecord(db.Model):
    """A resource's metric on one UTC day, as its provider last reported it that day.

    `period_value` is the provider's running total for the billing period so far.
    `charged_cents` is how much of that running total has been drawn from a prepayment
    balance, so a repeated reading never draws the same usage twice.
    """

    __tablename__ = "usage_records"
    __table_args__ = (UniqueConstraint("installation_id", "resource_id", "name", "day"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    installation_id: Mapped[str] = mapped_column(ForeignKey("installations.id"))
    resource_id: Mapped[str] = mapped_column(ForeignKey("resources.id"), index=True)
    name: Mapped[str] = mapped_column(String(128))
    day: Mapped[date] = mapped_column(Date)
    type: Mapped[str] = mapped_column(String(16))  # total | interval | rate
    units: Mapped[str] = mapped_column(String(64))
    day_value: Mapped[float] = mapped_column(Float)
    period_value: Mapped[float] = mapped_column(Float)
    plan_value: Mapped[float | None] = mapped_column(Float)
    charged_cents: Mapped[int] = mapped_column(BigInteger, default=0)
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime())


class Balance(db.Model):
    """Prepaid credit of an installation (`resource_id` NULL) or of one of its resources.

    One row per (installation, resource) and one installation-level row: NULLs are
    distinct in a unique constraint, so a partial unique index guards the latter.
    """

    __tablename__ = "prepayment_balances"
    __table_args__ = (
        UniqueConstraint("installation_id", "resource_id"),
        Index(
            "uq_prepayment_balances_installation_level",
            "installation_id",
            unique=True,
            sqlite_where=text("resource_id IS NULL"),
            postgresql_where=text("resource_id IS NULL"),
        ),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    installation_id: Mapped[str] = mapped_column(ForeignKey("installations.id"))
    resource_id: Mapped[str | None] = mapped_column(ForeignKey("resources.id"))
    currency_value_in_cents: Mapped[int] = mapped_column(BigInteger, default=0)
    credit: Mapped[str | None] = mapped_column(Text)  # display text, e.g. "2,000 Tokens"
    name_label: Mapped[str | None] = mapped_column(String(128))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())


class CreditedInvoice(db.Model):
    """A Vercel invoice whose purchase was credited: the unique `invoice_id` makes that once."""

    __tablename__ = "credited_invoices"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    invoice_id: Mapped[str] = mapped_column(String(128), unique=True)
    installation_id: Mapped[str] = mapped_column(ForeignKey("installations.id"), index=True)
    credited_cents: Mapped[int] = mapped_column(BigInteger)
    credited_at: Mapped[datetime] = mapped_column(UTCDateTime())
