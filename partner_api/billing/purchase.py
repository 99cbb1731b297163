"""Provision Purchase (§3.4.14): credit the prepayment bought with a paid Vercel invoice, once.

The invoice is read from Vercel (V13) with the installation's token, so Vercel only shows
invoices of this installation. Each of its items credits its `total`, rounded down to whole
cents (§7.25), to the balance of the item's resource, or to the installation's balance when
it names none; an invoice without items credits its total to the installation.

"Once" is decided by the database: the ledger row's unique `invoice_id` is inserted before
any balance changes, so of two concurrent requests for the same invoice (with or without
an `Idempotency-Key`) exactly one credits, and the other answers the balances as they are.
"""

from __future__ import annotations

from decimal import Decimal

from sqlalchemy import select

from partner_api.billing import balances
from partner_api.billing.usage_models import CreditedInvoice
from partner_api.catalog import Catalog
from partner_api.errors import Conflict, ServiceUnavailable, Unprocessable
from partner_api.extensions import db
from partner_api.installations.service import find_live
from partner_api.resources.models import Resource
from partner_api.rows import insert_new
from partner_api.timeutil import utcnow
from partner_api.vercel import models as wire
from partner_api.vercel.errors import VercelApiError, VercelError
from partner_api.vercel.factory import client_for
from partner_api.vercel.outcomes import Outcome, outcome_of
from partner_api.vercel.replies import Invoice

PAID = "paid"
# V13's answer for an invoice this (live) installation does not have.
NO_SUCH_INVOICE = frozenset({404})


class VercelUnavailable(ServiceUnavailable):
    code = "vercel_unavailable"


def _fetch(installation_id: str, invoice_id: str) -> Invoice:
    try:
        return client_for(installation_id).get_invoice(installation_id, invoice_id)
    except VercelError as error:
        if outcome_of(error, uninstalled=False, gone_anytime=NO_SUCH_INVOICE) is Outcome.GONE:
            raise Unprocessable(
                f"Vercel has no invoice {invoice_id} for this installation.",
                code="invoice_not_found",
            ) from None
        raise VercelUnavailable(_not_confirmed(invoice_id, error)) from None


def _not_confirmed(invoice_id: str, error: VercelError) -> str:
    if isinstance(error, VercelApiError):
        return (
            f"Vercel could not confirm invoice {invoice_id} (it answered {error.status}); "
            "nothing was credited, try again later."
        )
    return (
        f"Vercel could not be asked about invoice {invoice_id}; nothing was credited, "
        "try again later."
    )


def _credits(installation_id: str, invoice: Invoice) -> dict[str | None, int]:
    """Cents per balance (resource id, or None for the installation's); unknown resources
    refuse the whole invoice."""
    lines: list[tuple[str | None, Decimal]] = [(i.resource_id, i.total) for i in invoice.items]
    credits: dict[str | None, int] = {}
    for resource_id, total in lines or [(None, invoice.total)]:
        if resource_id is not None:
            resource = db.session.get(Resource, resource_id)
            if resource is None or resource.installation_id != installation_id:
                raise Unprocessable(
                    f"Invoice {invoice.invoice_id} credits resource {resource_id}, "
                    "which is not a resource of this installation.",
                    code="unknown_resource",
                )
        credits[resource_id] = credits.get(resource_id, 0) + balances.cents_of(total)
    return credits


def _check(invoice: Invoice) -> None:
    if invoice.state != PAID:
        raise Unprocessable(
            f"Invoice {invoice.invoice_id} is {invoice.state}, not paid: nothing was credited.",
            code="invoice_not_paid",
        )
    if invoice.external_id is not None:
        # `externalId` is the partner's own id: an invoice we submitted bills a
        # subscription, it does not buy credit.
        raise Unprocessable(
            f"Invoice {invoice.invoice_id} is not a credit purchase.",
            code="not_a_credit_purchase",
        )


def _already_credited(installation_id: str, invoice_id: str) -> bool:
    """Whether the invoice was credited before; to another installation, it is a conflict."""
    ledger = db.session.scalar(
        select(CreditedInvoice).where(CreditedInvoice.invoice_id == invoice_id)
    )
    if ledger is None:
        return False
    if ledger.installation_id != installation_id:
        raise Conflict(
            f"Invoice {invoice_id} was credited to another installation.",
            code="invoice_credited_elsewhere",
        )
    return True


def _record(installation_id: str, invoice_id: str, cents: int) -> bool:
    """Insert the ledger row; False if another request inserted it first."""
    return insert_new(
        CreditedInvoice,
        invoice_id=invoice_id,
        installation_id=installation_id,
        credited_cents=cents,
        credited_at=utcnow(),
    )


def provision_purchase(
    installation_id: str, invoice_id: str, catalog: Catalog
) -> list[wire.Balance]:
    """Credit a paid credit-purchase invoice (once) and return the balances."""
    find_live(installation_id)
    if _already_credited(installation_id, invoice_id):
        return balances.reported(installation_id, catalog)
    invoice = _fetch(installation_id, invoice_id)
    _check(invoice)
    credits = _credits(installation_id, invoice)
    if _record(installation_id, invoice_id, sum(credits.values())):
        for resource_id, cents in credits.items():
            balances.credit(installation_id, resource_id, cents)
    else:
        _already_credited(installation_id, invoice_id)  # lost a race: to whom?
    return balances.reported(installation_id, catalog)
