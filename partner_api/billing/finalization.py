"""Closing the billing of an uninstalled installation (§1.3 F8, §7.14).

Delete Installation answers `finalized: false` while invoices may follow, and Vercel then
waits 24 hours. The `billing.finalize_installation` job writes the final invoices (for the
period the uninstall fell in, `final: true`, and for the period before if it had none yet),
waits for Vercel to accept them, then calls Finalize Installation (V16). Invoices still
unsent 23 hours after the uninstall do not hold it up any longer: it finalizes anyway and
records which were left. Once finalized, `finalized_at` is set, a `Finalization` row says
how, and jobs stop calling Vercel for the installation (its token no longer works).
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import Any

from partner_api.billing.invoicing import invoice_period, unsent
from partner_api.billing.models import Finalization, Invoice
from partner_api.billing.periods import period_containing
from partner_api.catalog import Catalog, current_catalog
from partner_api.extensions import db
from partner_api.installations.models import Installation
from partner_api.jobs import enqueue, job_handler
from partner_api.timeutil import utcnow
from partner_api.vercel.errors import VercelError
from partner_api.vercel.factory import client_for
from partner_api.vercel.outcomes import Outcome, outcome_of

log = logging.getLogger(__name__)

FINALIZE_INSTALLATION = "billing.finalize_installation"
# Vercel deletes the installation this long after the uninstall, finalized or not.
WINDOW = timedelta(hours=24)
# Past this, unsent invoices no longer hold finalization up: an hour is left to call V16.
FORCE_AFTER = timedelta(hours=23)
# How often the job looks again while it waits.
RECHECK = timedelta(minutes=5)

FINALIZED = "finalized"
FORCED = "forced"
CLOSED_BY_VERCEL = "closed_by_vercel"


def schedule_finalization(installation_id: str) -> None:
    """Start finalizing an installation that was just uninstalled (in the caller's transaction)."""
    enqueue(
        FINALIZE_INSTALLATION,
        {"installation_id": installation_id},
        dedupe_key=f"{FINALIZE_INSTALLATION}:{installation_id}",
    )


def _write_final_invoices(installation: Installation, now: datetime, catalog: Catalog) -> None:
    last = period_containing(installation.deleted_at)
    for period in (last.previous, last):
        if period.end > installation.created_at:
            invoice_period(installation, period, now=now, catalog=catalog)


def _look_again(installation_id: str, now: datetime, latest: datetime) -> None:
    enqueue(
        FINALIZE_INSTALLATION,
        {"installation_id": installation_id},
        run_at=min(now + RECHECK, latest),
    )


def _close(installation: Installation, outcome: str, note: str, now: datetime) -> None:
    installation.finalized_at = now
    installation.updated_at = now
    db.session.add(
        Finalization(installation_id=installation.id, outcome=outcome, note=note, finalized_at=now)
    )
    log.info("installation %s finalized (%s): %s", installation.id, outcome, note)


def _outcome(waiting: list[Invoice]) -> tuple[str, str]:
    if not waiting:
        return FINALIZED, "Vercel accepted every final invoice (or there was nothing to bill)"
    names = ", ".join(invoice.external_id for invoice in waiting)
    return FORCED, (
        f"finalized {FORCE_AFTER.total_seconds() / 3600:.0f} h after the uninstall with "
        f"{len(waiting)} invoice(s) Vercel had not accepted: {names}"
    )


@job_handler(FINALIZE_INSTALLATION)
def finalize_installation(payload: dict[str, Any]) -> None:
    installation = db.session.get(Installation, payload.get("installation_id"))
    if installation is None or not installation.is_deleted or installation.finalized_at:
        return
    now = utcnow()
    deadline = installation.deleted_at + WINDOW
    _write_final_invoices(installation, now, current_catalog())
    waiting = unsent(installation.id)
    force_at = installation.deleted_at + FORCE_AFTER
    if waiting and now < force_at:
        _look_again(installation.id, now, force_at)
        return
    outcome, note = _outcome(waiting)
    try:
        client_for(installation.id).finalize_installation(installation.id)
    except VercelError as error:
        if outcome_of(error, uninstalled=installation.is_deleted) is Outcome.GONE:
            _close(installation, CLOSED_BY_VERCEL, f"Vercel answered {error.status}: {note}", now)
        else:  # rejected or unreachable alike: retried until Vercel's deadline
            _failed(installation, error, now, deadline)
        return
    _close(installation, outcome, note, now)


def _failed(
    installation: Installation, error: VercelError, now: datetime, deadline: datetime
) -> None:
    """Try again until Vercel's own deadline; past it, Vercel has closed the uninstall."""
    if now < deadline:
        log.warning("finalizing %s failed, trying again: %s", installation.id, error)
        _look_again(installation.id, now, deadline)
    else:
        _close(installation, CLOSED_BY_VERCEL, f"the 24 h window is over; V16 failed: {error}", now)
