"""`marketplace.invoice.*`: keep our copy of each invoice in step with Vercel (§5.2).

Deliveries arrive out of order and more than once, so an event moves an invoice forward
only: never back from a later state (`paid` stays paid when a late `notpaid` arrives), and
never past a newer report (Vercel's `createdAt`). A stale event may still fill in facts we
lack, such as the period of an invoice first seen through `paid`. An event only ever touches
invoices of the installation it routes to.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from flask import current_app
from sqlalchemy import select

from partner_api.billing.models import Invoice, progress
from partner_api.extensions import db
from partner_api.schemas import MONEY_PATTERN
from partner_api.timeutil import utcnow
from partner_api.webhooks import dunning
from partner_api.webhooks.events import Event, MalformedEvent, handles, iso_datetime, text

CREATED = "marketplace.invoice.created"
PAID = "marketplace.invoice.paid"
NOT_PAID = "marketplace.invoice.notpaid"
OVERDUE = "marketplace.invoice.overdue"
REFUNDED = "marketplace.invoice.refunded"

STATE_OF_EVENT = {
    CREATED: "invoiced",
    PAID: "paid",
    NOT_PAID: "notpaid",
    OVERDUE: "overdue",
    REFUNDED: "refunded",
}

@dataclass(frozen=True)
class InvoiceReport:
    """What one invoice event says; None where it says nothing."""

    invoice_id: str
    external_id: str | None
    period_start: datetime | None
    period_end: datetime | None
    invoice_date: datetime | None
    total: Decimal | None
    refund_amount: Decimal | None
    refund_reason: str | None


def _flat(payload: dict[str, Any], event_type: str) -> dict[str, Any]:
    """The documented flat shape; the nested `invoice{…}` shape of some guides is mapped onto it."""
    nested = payload.get("invoice")
    if not isinstance(nested, dict):
        return payload
    aliases = {"id": "invoiceId", "externalId": "externalInvoiceId", "total": "invoiceTotal"}
    if event_type != REFUNDED:
        aliases["amount"] = "invoiceTotal"
    return {**payload, **{aliases.get(key, key): value for key, value in nested.items()}}


def _money(payload: dict[str, Any], key: str) -> Decimal | None:
    value = payload.get(key)
    if value is None:
        return None
    if isinstance(value, str) and MONEY_PATTERN.match(value):
        return Decimal(value)
    raise MalformedEvent(f"{key} must be a decimal string of dollars")


def read_report(payload: dict[str, Any], event_type: str) -> InvoiceReport:
    fields = _flat(payload, event_type)
    refunded = event_type == REFUNDED
    return InvoiceReport(
        invoice_id=text(fields, "invoiceId"),
        external_id=text(fields, "externalInvoiceId", required=False),
        period_start=iso_datetime(fields, "period", "start"),
        period_end=iso_datetime(fields, "period", "end"),
        invoice_date=iso_datetime(fields, "invoiceDate"),
        total=_money(fields, "invoiceTotal"),
        refund_amount=_money(fields, "amount") if refunded else None,
        refund_reason=text(fields, "reason", required=False) if refunded else None,
    )


def _find_or_add(installation_id: str, report: InvoiceReport) -> Invoice:
    """By Vercel's id; else one we submitted under the same external id; else a new row.

    An event changes only invoices of the installation it routes to: one naming another
    installation's invoice id is malformed, and that invoice is left as it was.
    """
    invoice = db.session.scalar(select(Invoice).where(Invoice.invoice_id == report.invoice_id))
    if invoice is not None and invoice.installation_id != installation_id:
        raise MalformedEvent("invoiceId names an invoice of another installation")
    if invoice is None and report.external_id is not None:
        invoice = db.session.scalar(
            select(Invoice).where(
                Invoice.installation_id == installation_id,
                Invoice.external_id == report.external_id,
                Invoice.invoice_id.is_(None),
            )
        )
    if invoice is None:
        now = utcnow()
        invoice = Invoice(
            installation_id=installation_id,
            state="invoiced",
            final=False,
            test=False,
            failed_payment_attempts=0,
            created_at=now,
        )
        db.session.add(invoice)
    invoice.invoice_id = report.invoice_id
    return invoice


def _record_facts(invoice: Invoice, report: InvoiceReport, *, fill_only: bool) -> None:
    facts = {
        "external_id": report.external_id,
        "period_start": report.period_start,
        "period_end": report.period_end,
        "invoice_date": report.invoice_date,
        "total": report.total,
        "refund_total": report.refund_amount,
        "refund_reason": report.refund_reason,
    }
    for name, value in facts.items():
        if value is not None and not (fill_only and getattr(invoice, name) is not None):
            setattr(invoice, name, value)


def _record_timestamps(invoice: Invoice, event: Event, state: str) -> None:
    if state == "notpaid":
        invoice.failed_payment_attempts += 1
    elif state == "paid" and invoice.paid_at is None:
        invoice.paid_at = event.occurred_at
    elif state == "refunded" and invoice.refunded_at is None:
        invoice.refunded_at = event.occurred_at


def _follow_up(event: Event, invoice: Invoice, state: str) -> None:
    installation = event.installation
    if state == "notpaid":
        dunning.payment_failed(installation, invoice)
    elif state == "overdue":
        dunning.overdue(installation, invoice, current_app.config["WEBHOOK_OVERDUE_POLICY"])
    elif state in ("paid", "refunded"):
        dunning.settled(installation, invoice)


@handles(*STATE_OF_EVENT)
def invoice_event(event: Event) -> str | None:
    report = read_report(event.payload, event.type)
    state = STATE_OF_EVENT[event.type]
    invoice = _find_or_add(event.installation.id, report)
    stale = invoice.reported_at is not None and event.occurred_at < invoice.reported_at
    _record_facts(invoice, report, fill_only=stale)
    _record_timestamps(invoice, event, state)
    invoice.updated_at = utcnow()
    behind = progress(state) < progress(invoice.state)
    if not (stale or behind):
        invoice.state = state
        invoice.reported_at = event.occurred_at
        _follow_up(event, invoice, state)
    db.session.flush()
    if stale:
        return "stale"
    return f"kept {invoice.state}" if behind else None
