"""`flask --app wsgi billing …`: submit billing data now, and show prepayment balances."""

from __future__ import annotations

import json

import click
from flask.cli import AppGroup
from sqlalchemy import func, select

from partner_api.billing import submission as billing
from partner_api.billing.periods import period_containing
from partner_api.billing.usage_models import Balance
from partner_api.catalog import current_catalog
from partner_api.extensions import db
from partner_api.installations.models import Installation
from partner_api.timeutil import utcnow
from partner_api.unit_of_work import unit_of_work
from partner_api.vercel.errors import VercelError
from partner_api.vercel.factory import client_for

group = AppGroup("billing", help="Billing data, usage and prepayment balances.")

# With many installations, a progress line after every this many.
PROGRESS_EVERY = 100


def _describe(sent: billing.Submission) -> str:
    data = sent.billing_data
    total = sum(item.total for item in data.items)
    text = f"{len(data.items)} items totalling {total:.2f}, {len(data.usage)} usage readings"
    if sent.balances is not None:
        cents = sum(balance.currency_value_in_cents for balance in sent.balances)
        text += f", {len(sent.balances)} balances ({cents} cents)"
    return text


def _bodies(sent: billing.Submission) -> str:
    bodies = {"billing": sent.billing_data.to_json()}
    if sent.balances is not None:
        bodies["balances"] = [balance.to_json() for balance in sent.balances]
    return json.dumps(bodies, indent=2)


def _prepared(installation_id: str, dry_run: bool) -> billing.Submission | None:
    """The installation's submission, its readings and drawdowns kept unless a dry run."""
    if not dry_run:
        with unit_of_work():
            return billing.prepare_if_billed(installation_id, utcnow(), current_catalog())
    try:
        return billing.prepare_if_billed(installation_id, utcnow(), current_catalog())
    finally:
        db.session.rollback()  # a dry run stores nothing


def _submit_one(installation_id: str, dry_run: bool, verbose: bool) -> bool:
    """Prepare and (unless a dry run) send one installation's data; says whether it worked."""
    sent = _prepared(installation_id, dry_run)
    if sent is None:
        click.echo(f"{installation_id}: not billed (unknown, finalized or uninstalled)")
        return False
    if not dry_run:
        try:
            billing.deliver(sent, client_for(installation_id))
        except VercelError as error:
            click.echo(f"{installation_id}: failed: {error}", err=True)
            return False
    click.echo(f"{installation_id}: {'would send' if dry_run else 'sent'} {_describe(sent)}")
    if verbose:
        click.echo(_bodies(sent))
    return True


@group.command("submit")
@click.option("--installation", "installation_id", help="Only this installation (shows bodies).")
@click.option("--dry-run", is_flag=True, help="Build the bodies but send and store nothing.")
def submit(installation_id: str | None, dry_run: bool) -> None:
    """Submit billing data (and balances) to Vercel now, without the job queue."""
    if installation_id:
        if not _submit_one(installation_id, dry_run, verbose=True):
            raise SystemExit(1)
        return
    period = period_containing(utcnow())
    total = db.session.scalar(
        select(func.count()).select_from(Installation).where(billing.billed_in(period))
    )
    done = failed = 0
    for batch in billing.installation_ids(period):
        for batch_id in batch:
            failed += not _submit_one(batch_id, dry_run, verbose=False)
            done += 1
            if done % PROGRESS_EVERY == 0:
                click.echo(f"… {done}/{total} installations")
    click.echo(f"{done} installations, {failed} failed{' (dry run)' if dry_run else ''}")
    if failed:
        raise SystemExit(1)


@group.command("balances")
@click.option("--installation", "installation_id", help="Only this installation.")
def show_balances(installation_id: str | None) -> None:
    """One line per stored balance: installation, resource (- for its own), cents, label."""
    query = select(Balance).order_by(
        Balance.installation_id, Balance.resource_id.is_not(None), Balance.resource_id
    )
    if installation_id:
        query = query.where(Balance.installation_id == installation_id)
    count = 0
    for balance in db.session.scalars(query.execution_options(yield_per=500)):
        label = balance.name_label or balance.credit or ""
        click.echo(
            f"{balance.installation_id}\t{balance.resource_id or '-'}"
            f"\t{balance.currency_value_in_cents}\t{label}"
        )
        count += 1
    if count == 0:
        click.echo("no balances")
