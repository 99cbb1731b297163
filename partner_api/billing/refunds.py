"""Refunds (§4 V14): asked for here, sent by a `billing.refund_invoice` job.

The invoice shows `refund_requested` at once; Vercel's `marketplace.invoice.refunded`
webhook moves it on. If Vercel refuses, the invoice goes back to the state it had.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from sqlalchemy import select

from partner_api.billing.models import CENT, Invoice
from partner_api.extensions import db
from partner_api.installations.models import Installation
from partner_api.jobs import PermanentFailure, enqueue, job_handler
from partner_api.timeutil import utcnow
from partner_api.vercel.client import VercelClient
from partner_api.vercel.errors import VercelApiError
from partner_api.vercel.jobs import call_from_job
from partner_api.vercel.wire import money, parse_money

REFUND_INVOICE = "billing.refund_invoice"
REFUND_REQUESTED = "refund_requested"
# Vercel rejects a refund of an invoice already in `refund_requested` (§4 V14).
NOT_REFUNDABLE = frozenset({REFUND_REQUESTED, "refunded"})


class RefundRefused(ValueError):
    """The refund cannot be asked for; the message says why."""


def _check(invoice: Invoice | None, invoice_id: str, amount: Decimal, reason: str) -> Invoice:
    if invoice is None:
        raise RefundRefused(f"no invoice {invoice_id} is known")
    installation = db.session.get(Installation, invoice.installation_id)
    if installation.finalized_at is not None:
        raise RefundRefused(
            "the installation is finalized: its refunds go through Vercel support"
        )
    if invoice.state in NOT_REFUNDABLE:
        raise RefundRefused(f"invoice {invoice_id} is {invoice.state}: it cannot be refunded")
    if not reason.strip():
        raise RefundRefused("a refund needs a reason")
    if amount <= 0 or amount != amount.quantize(CENT):
        raise RefundRefused("the amount must be positive dollars with at most 2 decimals")
    if invoice.total is not None and amount > invoice.total:
        raise RefundRefused(
            f"{money(amount)} is more than the invoice's total of {money(invoice.total)}"
        )
    return invoice


def request_refund(invoice_id: str, amount: Decimal, reason: str) -> Invoice:
    """Mark Vercel's invoice `invoice_id` refund_requested and have a job ask Vercel."""
    invoice = db.session.scalar(select(Invoice).where(Invoice.invoice_id == invoice_id))
    invoice = _check(invoice, invoice_id, amount, reason)
    enqueue(
        REFUND_INVOICE,
        {
            "invoice": invoice.id,
            "total": money(amount),
            "reason": reason,
            "previous_state": invoice.state,
        },
    )
    invoice.state = REFUND_REQUESTED
    invoice.refund_total = amount
    invoice.refund_reason = reason
    invoice.detail = None
    invoice.updated_at = utcnow()
    db.session.flush()
    return invoice


def _refused(invoice: Invoice, previous_state: str, error: VercelApiError) -> None:
    if invoice.state == REFUND_REQUESTED:  # unless a webhook has moved it on since
        invoice.state = previous_state
        invoice.refund_total = invoice.refund_reason = None
    invoice.detail = f"refund refused: {error}"
    invoice.updated_at = utcnow()


@job_handler(REFUND_INVOICE)
def refund_invoice(payload: dict[str, Any]) -> None:
    try:
        invoice = db.session.get(Invoice, payload["invoice"])
        total, reason = parse_money(payload["total"]), payload["reason"]
        previous_state = payload["previous_state"]
    except (KeyError, TypeError, ValueError) as error:
        raise PermanentFailure(f"malformed {REFUND_INVOICE} payload: {error!r}") from error
    if invoice is None:
        return

    def ask(client: VercelClient) -> None:
        try:
            client.refund_invoice(
                invoice.installation_id, invoice.invoice_id, reason=reason, total=total
            )
        except VercelApiError as error:
            # 409: the invoice is in a state that takes no refund (e.g. one is under way).
            if not (error.rejected or error.status == 409):
                raise
            _refused(invoice, previous_state, error)

    call_from_job(invoice.installation_id, f"refund of invoice {invoice.invoice_id}", ask)
