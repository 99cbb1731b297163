"""End-of-period invoices (§4 V12, §7.13): one per installation and period.

The invoice is written here first, with our `external_id` (unique per installation), then a
`billing.submit_invoice` job sends it. That job never sends an invoice twice: once Vercel's
id is known it only reads the invoice (V13); without it, it sends the same body again under
the same external id, which Vercel refuses with a 409 if an earlier attempt did reach it.
The `marketplace.invoice.created` webhook then names the id (`webhooks/handlers/invoices`).

Our states before Vercel has an invoice: `draft` (written, not yet accepted), `submitted`
(Vercel has it, its id is still to come), `skipped` (under $0.50, or nothing to bill: never
sent) and `rejected` (Vercel refused it; `detail` says why).
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import exists, literal, or_, select
from sqlalchemy.exc import IntegrityError

from partner_api.billing import charges
from partner_api.billing.models import Invoice, progress
from partner_api.billing.periods import LAST_MILLISECOND, BillingPeriod, current_period
from partner_api.catalog import Catalog, current_catalog
from partner_api.extensions import db
from partner_api.installations.models import Installation
from partner_api.jobs import PermanentFailure, enqueue, job_handler
from partner_api.jobs.schedule import periodic
from partner_api.timeutil import utcnow
from partner_api.unit_of_work import unit_of_work
from partner_api.vercel import replies
from partner_api.vercel.client import VercelClient
from partner_api.vercel.errors import VercelApiError
from partner_api.vercel.jobs import call_from_job
from partner_api.vercel.models import InvoiceSubmission, LineItem, Period
from partner_api.vercel.wire import money

log = logging.getLogger(__name__)

SUBMIT_INVOICE = "billing.submit_invoice"
# Vercel does not invoice less than this (§7.13).
MINIMUM_TOTAL = Decimal("0.50")
ZERO = Decimal("0.00")

DRAFT = "draft"
SUBMITTED = "submitted"
SKIPPED = "skipped"
REJECTED = "rejected"
INVOICED = "invoiced"

EXTERNAL_ID_PREFIX = "inv_"


def _external_id_suffix(period: BillingPeriod) -> str:
    return f"_{period.start:%Y-%m}"


def external_id(installation_id: str, period: BillingPeriod) -> str:
    """`inv_<installation>_<YYYY-MM>`: ours, unique per installation as Vercel requires."""
    return EXTERNAL_ID_PREFIX + installation_id + _external_id_suffix(period)


def _find(installation_id: str, period: BillingPeriod) -> Invoice | None:
    return db.session.scalar(
        select(Invoice).where(
            Invoice.installation_id == installation_id,
            Invoice.external_id == external_id(installation_id, period),
        )
    )


def _skip_reason(items: list[LineItem], total: Decimal) -> str | None:
    if not items:
        return "nothing to bill: no subscription plan with a price was active"
    if total < MINIMUM_TOTAL:
        return f"total {money(total)} is under the {money(MINIMUM_TOTAL)} Vercel invoices"
    return None


def invoice_period(
    installation: Installation, period: BillingPeriod, *, now: datetime, catalog: Catalog
) -> Invoice:
    """The installation's invoice for `period`: written, and its submission enqueued, if new.

    An installation uninstalled within `period` gets its final invoice (`final: true`).
    """
    invoice = _find(installation.id, period)
    if invoice is not None:
        return invoice
    items = charges.line_items(installation, period, catalog)
    total = sum((item.total for item in items), ZERO)
    skipped = _skip_reason(items, total)
    invoice = Invoice(
        installation_id=installation.id,
        external_id=external_id(installation.id, period),
        state=SKIPPED if skipped else DRAFT,
        detail=skipped,
        period_start=period.start,
        period_end=period.end,
        # Inside the period, as Vercel requires: now, or the period's last instant if over.
        invoice_date=min(now, period.end - LAST_MILLISECOND),
        total=total,
        items=[item.to_json() for item in items],
        final=installation.deleted_at is not None and installation.deleted_at in period,
        test=False,
        failed_payment_attempts=0,
        created_at=now,
        updated_at=now,
    )
    db.session.add(invoice)
    db.session.flush()
    if not skipped:
        key = f"{SUBMIT_INVOICE}:{invoice.id}"
        enqueue(SUBMIT_INVOICE, {"invoice": invoice.id}, dedupe_key=key)
    return invoice


def unsent(installation_id: str) -> list[Invoice]:
    """Invoices written for the installation that Vercel has not accepted yet."""
    return list(
        db.session.scalars(
            select(Invoice)
            .where(Invoice.installation_id == installation_id, Invoice.state == DRAFT)
            .order_by(Invoice.id)
        )
    )


def _submission(invoice: Invoice) -> InvoiceSubmission:
    """V12's body, rebuilt from the stored invoice: every attempt sends the same."""
    return InvoiceSubmission(
        invoice_date=invoice.invoice_date,
        period=Period(invoice.period_start, invoice.period_end),
        items=[LineItem.from_json(item) for item in invoice.items or ()],
        external_id=invoice.external_id,
        final=invoice.final,
    )


def _advance(invoice: Invoice, state: str) -> None:
    if progress(state) >= progress(invoice.state):
        invoice.state = state
    invoice.updated_at = utcnow()


def _record_remote(invoice: Invoice, remote: replies.Invoice) -> None:
    """Take in what Get Invoice (V13) says, never moving the state backwards."""
    _advance(invoice, remote.state)
    invoice.total = remote.total
    for name in ("paid_at", "refunded_at", "refund_total", "refund_reason"):
        value = getattr(remote, name)
        if value is not None:
            setattr(invoice, name, value)


def _accepted(invoice: Invoice, reply: replies.SubmittedInvoice) -> None:
    if reply.invoice_id is None:
        invoice.state, invoice.detail = SUBMITTED, "Vercel accepted it without naming its id"
        invoice.updated_at = utcnow()
        return
    invoice.invoice_id = reply.invoice_id
    invoice.detail = None
    _advance(invoice, INVOICED)


def _submit(client: VercelClient, invoice: Invoice) -> None:
    try:
        reply = client.submit_invoice(invoice.installation_id, _submission(invoice))
    except VercelApiError as error:
        if error.status == 409:
            # Vercel has an invoice with this external id: ours, from an attempt whose
            # answer was lost. Its id comes with the invoice.created webhook.
            invoice.state, invoice.detail = SUBMITTED, "Vercel already had it (409)"
        elif error.rejected:
            # Sending it again will not help; the refusal stays on the invoice for review.
            invoice.state, invoice.detail = REJECTED, str(error)
            log.error("invoice %s refused: %s", invoice.external_id, error)
        else:
            raise
        invoice.updated_at = utcnow()
        return
    _accepted(invoice, reply)


def _invoice(payload: dict[str, Any]) -> Invoice | None:
    if not isinstance(payload.get("invoice"), int):
        raise PermanentFailure(f"malformed {SUBMIT_INVOICE} payload: no invoice id")
    return db.session.get(Invoice, payload["invoice"])


@job_handler(SUBMIT_INVOICE)
def submit_invoice(payload: dict[str, Any]) -> None:
    invoice = _invoice(payload)
    if invoice is None:
        return
    installation = db.session.get(Installation, invoice.installation_id)
    if installation.finalized_at is not None:
        if invoice.state == DRAFT:
            invoice.detail = "never sent: the installation was finalized first"
        return
    if invoice.invoice_id is not None:
        # Vercel has it (an earlier attempt or the webhook named its id): read, never resend.
        call_from_job(
            installation.id,
            f"invoice {invoice.invoice_id}",
            lambda client: _record_remote(
                invoice, client.get_invoice(installation.id, invoice.invoice_id)
            ),
        )
        return
    if invoice.state == DRAFT:
        call_from_job(
            installation.id, f"invoice {invoice.external_id}", lambda c: _submit(c, invoice)
        )


def _due(period: BillingPeriod) -> list[str]:
    """Installations billed in `period` that have no invoice for it yet."""
    ours = literal(EXTERNAL_ID_PREFIX) + Installation.id + literal(_external_id_suffix(period))
    invoiced = exists().where(
        Invoice.installation_id == Installation.id, Invoice.external_id == ours
    )
    return list(
        db.session.scalars(
            select(Installation.id)
            .where(
                Installation.finalized_at.is_(None),
                Installation.created_at < period.end,
                or_(Installation.deleted_at.is_(None), Installation.deleted_at > period.start),
                ~invoiced,
            )
            .order_by(Installation.id)
        )
    )


@periodic("billing.invoice_due", every=timedelta(hours=1))
def invoice_due(slot: datetime) -> None:
    """Invoice the period that ended before `slot`, one installation (and commit) at a time."""
    period = current_period(slot).previous
    catalog = current_catalog()
    for installation_id in _due(period):
        try:
            with unit_of_work():
                installation = db.session.get(Installation, installation_id)
                invoice_period(installation, period, now=slot, catalog=catalog)
        except IntegrityError:  # written at the same time by the uninstall's finalization
            log.info("invoice of %s for %s was written elsewhere", installation_id, period.start)
