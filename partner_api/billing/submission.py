"""Hourly billing data (V11) and prepayment balances (V15) for every installation still billed.

An installation is billed until it is finalized: while live, and after its uninstall for as
long as the period it was uninstalled in is open. Every hour `billing.submit_all` walks
those installations by id, a batch at a time, and enqueues one `billing.submit_installation`
job each (deduplicated per installation and hour); that job reads the usage, builds the
bodies and calls Vercel with the installation's token.

The line items are those the period's invoice will have (`charges.line_items`): each
subscription plan for its share of the period, counted to the period's end, so the preview
Vercel shows is the invoice to come. Free and prepayment plans have no items; prepaid usage
is drawn from the balances reported alongside.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, or_, select

from partner_api.billing import balances, charges, usage
from partner_api.billing.periods import BillingPeriod, day_of, end_of_day, period_containing
from partner_api.catalog import Catalog, current_catalog
from partner_api.extensions import db
from partner_api.installations.models import Installation
from partner_api.jobs import PermanentFailure, enqueue, job_handler
from partner_api.jobs.schedule import periodic
from partner_api.timeutil import isoformat, utcnow
from partner_api.unit_of_work import unit_of_work
from partner_api.vercel import models as wire
from partner_api.vercel.client import VercelClient
from partner_api.vercel.jobs import call_from_job

log = logging.getLogger(__name__)

SUBMIT_INSTALLATION = "billing.submit_installation"
# Installations read per query by the hourly walk: memory stays flat however many there are.
BATCH_SIZE = 500


@dataclass(frozen=True)
class Submission:
    """What one installation's hourly submission sends; `balances` None: V15 is not sent."""

    installation_id: str
    billing_data: wire.BillingData
    balances: tuple[wire.Balance, ...] | None


def billed_in(period: BillingPeriod):
    """SQL condition: the installation is billed for `period` (not finalized, and live or
    uninstalled within it)."""
    return and_(
        Installation.finalized_at.is_(None),
        or_(Installation.deleted_at.is_(None), Installation.deleted_at >= period.start),
    )


def installation_ids(period: BillingPeriod) -> Iterator[list[str]]:
    """Ids of the installations billed in `period`, in batches of at most `BATCH_SIZE`."""
    after = ""
    while True:
        batch = list(
            db.session.scalars(
                select(Installation.id)
                .where(billed_in(period), Installation.id > after)
                .order_by(Installation.id)
                .limit(BATCH_SIZE)
            )
        )
        if batch:
            yield batch
        if len(batch) < BATCH_SIZE:
            return
        after = batch[-1]


def prepare(installation: Installation, now: datetime, catalog: Catalog) -> Submission:
    """Read the usage (stored and drawn down in the session), then build both bodies."""
    period = period_containing(now)
    usage.collect(installation.id, now, catalog)
    billing_data = wire.BillingData(
        timestamp=now,
        eod=end_of_day(now),
        period=period.to_wire(),
        items=charges.line_items(installation, period, catalog),
        usage=usage.readings(installation.id, day_of(now)),
    )
    reported = None
    if balances.has_prepayment(installation, catalog):
        reported = tuple(balances.reported(installation.id, catalog))
    return Submission(installation.id, billing_data, reported)


def prepare_if_billed(installation_id: str, now: datetime, catalog: Catalog) -> Submission | None:
    """`prepare`, for an installation still billed now; None otherwise."""
    installation = db.session.scalar(
        select(Installation).where(
            Installation.id == installation_id, billed_in(period_containing(now))
        )
    )
    return None if installation is None else prepare(installation, now, catalog)


def deliver(submission: Submission, client: VercelClient) -> None:
    client.submit_billing_data(submission.installation_id, submission.billing_data)
    if submission.balances is not None:
        client.submit_balances(
            submission.installation_id,
            submission.balances,
            at=submission.billing_data.timestamp,
        )


@job_handler(SUBMIT_INSTALLATION)
def submit_installation(payload: dict[str, Any]) -> None:
    installation_id = payload.get("installation_id")
    if not isinstance(installation_id, str):
        raise PermanentFailure(f"malformed {SUBMIT_INSTALLATION} payload: no installation_id")
    # The readings and drawdowns stand on their own; committing them first also means no
    # row stays locked while Vercel is called. A retry reads the usage again, harmlessly.
    with unit_of_work():
        submission = prepare_if_billed(installation_id, utcnow(), current_catalog())
    if submission is None:
        log.info("no billing data for installation %s: it is no longer billed", installation_id)
        return
    call_from_job(installation_id, "billing data", lambda client: deliver(submission, client))


@periodic("billing.submit_all", every=timedelta(hours=1))
def submit_all(slot: datetime) -> None:
    """Enqueue this hour's submission of every billed installation, committing per batch."""
    count = 0
    for batch in installation_ids(period_containing(slot)):
        with unit_of_work():
            for installation_id in batch:
                enqueue(
                    SUBMIT_INSTALLATION,
                    {"installation_id": installation_id},
                    dedupe_key=f"{SUBMIT_INSTALLATION}:{installation_id}:{isoformat(slot)}",
                )
        count += len(batch)
    log.info("billing data of %s installations enqueued for %s", count, isoformat(slot))
