"""Uninstall finalization (§1.3 F8, §7.14): final invoices, then Finalize, within 24 h."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest
import requests
import responses
from sqlalchemy import select

from partner_api.billing import finalization
from partner_api.billing.finalization import FINALIZE_INSTALLATION
from partner_api.billing.invoicing import SUBMIT_INVOICE
from partner_api.billing.models import Finalization
from partner_api.extensions import db
from partner_api.jobs.models import DONE, PENDING
from tests.billing.invoicing_support import (
    INSTALLATION,
    install,
    invoices,
    jobs,
    july,
    provision,
    run_jobs,
    stored_installation,
    uninstall,
)
from tests.conftest import INSTALLATION_ID
from tests.dbstate import snapshot

UNINSTALLED = july(20, 10)
JUNE_20 = datetime(2026, 6, 20, tzinfo=UTC)
JULY_WIRE = {"start": "2026-07-01T00:00:00.000Z", "end": "2026-08-01T00:00:00.000Z"}


@pytest.fixture
def api(app):
    with responses.RequestsMock() as mock:
        yield mock


@pytest.fixture
def urls(app):
    base = f"{app.config['VERCEL_API_URL']}/v1/installations/{INSTALLATION_ID}/billing"
    return {"invoices": f"{base}/invoices", "finalize": f"{base}/finalize"}


@pytest.fixture
def clock(monkeypatch):
    """The finalization job's "now", set by the test."""

    def at(moment: datetime) -> None:
        monkeypatch.setattr(finalization, "utcnow", lambda: moment)

    return at


@pytest.fixture
def paying(client, vercel) -> str:
    """An installation since June with a resource on Pro, uninstalled on 20 July, 10:00."""
    install(client, vercel, created=JUNE_20)
    resource = provision(client, vercel, plan="demo-pro", created=JUNE_20)
    response = uninstall(client, vercel, UNINSTALLED)
    assert response.get_json() == {"finalized": False}
    return resource


def finalization_record() -> Finalization | None:
    db.session.expire_all()
    return db.session.scalar(select(Finalization))


def pending_checks() -> list:
    return [job for job in jobs(FINALIZE_INSTALLATION) if job.state == PENDING]


# -- Delete Installation, as Vercel sees it ---------------------------------------------------


def test_delete_answers_as_before_and_schedules_one_finalization(client, vercel, paying):
    [job] = jobs(FINALIZE_INSTALLATION)
    assert job.payload == {"installation_id": INSTALLATION_ID}
    before = snapshot()
    again = client.delete(INSTALLATION, headers=vercel.user())
    assert (again.status_code, again.get_json()) == (200, {"finalized": False})
    assert snapshot() == before
    assert stored_installation().finalized_at is None


def test_nothing_billable_is_finalized_at_once_without_a_job(client, vercel):
    install(client, vercel, created=JUNE_20)
    provision(client, vercel, plan="demo-free", created=JUNE_20)
    response = client.delete(INSTALLATION, headers=vercel.user())
    assert (response.status_code, response.get_json()) == (200, {"finalized": True})
    assert jobs(FINALIZE_INSTALLATION) == []
    assert stored_installation().finalized_at is not None


# -- the job --------------------------------------------------------------------------------


def test_final_invoice_first_then_finalize(paying, api, urls, clock):
    clock(UNINSTALLED + timedelta(minutes=1))
    run_jobs(FINALIZE_INSTALLATION)
    [june, july_invoice] = invoices()
    # June had no invoice yet (the hourly task had not run): it is written too, not final.
    assert (june.external_id, june.final) == (f"inv_{INSTALLATION_ID}_2026-06", False)
    assert july_invoice.final is True
    assert len(pending_checks()) == 1  # waits for Vercel to accept them
    assert finalization_record() is None

    api.post(urls["invoices"], json={"invoiceId": "inv_v_june"})
    api.post(urls["invoices"], json={"invoiceId": "inv_v_july"})
    run_jobs(SUBMIT_INVOICE)
    final_body = json.loads(api.calls[1].request.body)
    assert final_body == {
        "externalId": f"inv_{INSTALLATION_ID}_2026-07",
        "invoiceDate": "2026-07-20T10:01:00.000Z",
        "period": JULY_WIRE,
        "items": [
            {
                "billingPlanId": "demo-pro",
                "resourceId": paying,
                "end": "2026-07-20T10:00:00.000Z",
                "name": "Demo Store Pro",
                "details": "store",
                "price": "20.00",
                "quantity": 0.6263,  # 466 of 744 hours
                "units": "month",
                "total": "12.53",
            }
        ],
        "final": True,
    }
    assert "final" not in json.loads(api.calls[0].request.body)

    api.post(urls["finalize"], status=204)
    clock(UNINSTALLED + timedelta(minutes=6))
    run_jobs(FINALIZE_INSTALLATION)
    assert api.calls[2].request.url == urls["finalize"]
    assert api.calls[2].request.body is None
    installation = stored_installation()
    assert installation.finalized_at == UNINSTALLED + timedelta(minutes=6)
    record = finalization_record()
    assert record.outcome == "finalized"
    assert pending_checks() == []


def test_while_invoices_wait_the_job_looks_again_soon(paying, api, clock):
    clock(UNINSTALLED + timedelta(hours=2))
    run_jobs(FINALIZE_INSTALLATION)
    [check] = pending_checks()
    assert check.run_at == UNINSTALLED + timedelta(hours=2, minutes=5)
    assert len(api.calls) == 0


def test_the_last_look_before_the_force_deadline_is_at_it(paying, clock):
    clock(UNINSTALLED + timedelta(hours=22, minutes=58))
    run_jobs(FINALIZE_INSTALLATION)
    [check] = pending_checks()
    assert check.run_at == UNINSTALLED + timedelta(hours=23)


def test_unsent_invoices_do_not_hold_finalization_past_23_hours(paying, api, urls, clock):
    api.post(urls["finalize"], status=204)
    clock(UNINSTALLED + timedelta(hours=23))
    run_jobs(FINALIZE_INSTALLATION)
    assert [call.request.url for call in api.calls] == [urls["finalize"]]
    record = finalization_record()
    assert record.outcome == "forced"
    assert f"inv_{INSTALLATION_ID}_2026-06" in record.note
    assert f"inv_{INSTALLATION_ID}_2026-07" in record.note
    assert stored_installation().finalized_at == UNINSTALLED + timedelta(hours=23)

    # The invoices' own jobs no longer call Vercel: the token stopped working.
    run_jobs(SUBMIT_INVOICE)
    assert len(api.calls) == 1
    assert {invoice.detail for invoice in invoices()} == {
        "never sent: the installation was finalized first"
    }


def test_a_finalize_vercel_answers_gone_is_recorded_as_closed_by_vercel(paying, api, urls, clock):
    api.post(urls["finalize"], status=410, json={"error": {"code": "gone", "message": "Gone"}})
    clock(UNINSTALLED + timedelta(hours=23, minutes=30))
    run_jobs(FINALIZE_INSTALLATION)
    record = finalization_record()
    assert record.outcome == "closed_by_vercel"
    assert "410" in record.note
    assert stored_installation().finalized_at is not None


@pytest.mark.parametrize(
    "failure",
    [
        {"status": 503, "json": {"error": {"code": "down", "message": "Later"}}},
        {"body": requests.ConnectionError("refused")},
    ],
)
def test_a_failed_finalize_is_tried_again_until_the_window_closes(
    paying, api, urls, clock, failure
):
    api.post(urls["finalize"], **failure)
    clock(UNINSTALLED + timedelta(hours=23, minutes=58))
    run_jobs(FINALIZE_INSTALLATION)
    assert finalization_record() is None
    [check] = pending_checks()
    assert check.run_at == UNINSTALLED + timedelta(hours=24)

    clock(UNINSTALLED + timedelta(hours=24))
    run_jobs(FINALIZE_INSTALLATION)
    record = finalization_record()
    assert record.outcome == "closed_by_vercel"
    assert "24 h window is over" in record.note
    assert pending_checks() == []


def test_a_prepaid_only_installation_finalizes_on_the_first_run(client, vercel, api, urls, clock):
    install(client, vercel, created=JUNE_20)
    provision(client, vercel, plan="demo-credits", created=JUNE_20)
    assert uninstall(client, vercel, UNINSTALLED).get_json() == {"finalized": False}
    api.post(urls["finalize"], status=204)
    clock(UNINSTALLED + timedelta(minutes=1))
    run_jobs(FINALIZE_INSTALLATION)
    assert {invoice.state for invoice in invoices()} == {"skipped"}
    assert finalization_record().outcome == "finalized"
    assert [job.state for job in jobs(FINALIZE_INSTALLATION)] == [DONE]


def test_a_finalized_installation_is_left_alone(paying, api, clock):
    installation = stored_installation()
    installation.finalized_at = UNINSTALLED
    db.session.commit()
    clock(UNINSTALLED + timedelta(minutes=1))
    run_jobs(FINALIZE_INSTALLATION)
    assert invoices() == []
    assert len(api.calls) == 0
