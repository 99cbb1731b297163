"""`flask --app wsgi invoices …`: list our invoices, ask Vercel for a refund."""

from __future__ import annotations

from decimal import Decimal

import click
from flask.cli import AppGroup
from sqlalchemy import select

from partner_api.billing import refunds
from partner_api.billing.models import Invoice
from partner_api.extensions import db
from partner_api.schemas import MONEY_PATTERN
from partner_api.unit_of_work import unit_of_work
from partner_api.vercel.wire import money

invoices = AppGroup("invoices", help="Invoices submitted to Vercel, and refunds.")


def _dollars(ctx, param, value: str) -> Decimal:
    if not MONEY_PATTERN.match(value):
        raise click.BadParameter("dollars as a decimal, like 5.00")
    return Decimal(value)


@invoices.command("list")
@click.option("--installation", "installation_id", help="Only this installation's invoices.")
@click.option("--state", help="Only invoices in this state (e.g. draft, rejected, paid).")
@click.option("--limit", default=50, show_default=True, help="Newest first, at most this many.")
def list_invoices(installation_id: str | None, state: str | None, limit: int) -> None:
    """One line per invoice: id, installation, period, state, total, Vercel's id, note."""
    query = select(Invoice).order_by(Invoice.id.desc()).limit(limit)
    if installation_id:
        query = query.where(Invoice.installation_id == installation_id)
    if state:
        query = query.where(Invoice.state == state)
    for invoice in db.session.scalars(query):
        period = f"{invoice.period_start:%Y-%m}" if invoice.period_start else "-"
        total = money(invoice.total) if invoice.total is not None else "-"
        final = " final" if invoice.final else ""
        click.echo(
            f"{invoice.id}\t{invoice.installation_id}\t{period}\t{invoice.state}{final}"
            f"\t{total}\t{invoice.invoice_id or '-'}\t{invoice.detail or ''}"
        )


@invoices.command("refund")
@click.argument("invoice_id")
@click.option("--amount", required=True, callback=_dollars, help="Dollars to refund, e.g. 5.00.")
@click.option("--reason", required=True, help="Why; Vercel shows it with the refund.")
def refund(invoice_id: str, amount: Decimal, reason: str) -> None:
    """Refund (or cancel, if not yet charged) part or all of Vercel's invoice INVOICE_ID."""
    try:
        with unit_of_work():
            refunds.request_refund(invoice_id, amount, reason)
    except refunds.RefundRefused as error:  # rolled back by the unit of work
        raise click.ClickException(str(error)) from None
    click.echo(f"refund of {money(amount)} on invoice {invoice_id} requested")
