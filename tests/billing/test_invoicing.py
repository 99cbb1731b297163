"""End-of-period invoices (§4 V12, §7.13): what they bill, and that each is sent once."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
import requests
import responses

from partner_api.billing.invoicing import SUBMIT_INVOICE, invoice_due
from partner_api.extensions import db
from partner_api.jobs.models import DONE, PENDING
from partner_api.resources.models import Resource
from tests.billing.invoicing_support import (
    JULY,
    change_installation_plan,
    change_plan,
    install,
    invoices,
    jobs,
    july,
    provision,
    run_jobs,
    stored_installation,
)
from tests.conftest import INSTALLATION_ID
from tests.webhooks.delivery import deliver_and_handle, event

JUNE_20 = datetime(2026, 6, 20, tzinfo=UTC)
JUNE_21 = datetime(2026, 6, 21, tzinfo=UTC)
AUGUST_1 = datetime(2026, 8, 1, tzinfo=UTC)
EXTERNAL_ID = f"inv_{INSTALLATION_ID}_2026-07"
TOKEN = "vercel-access-token-1"  # what Upsert stored
JULY_WIRE = {"start": "2026-07-01T00:00:00.000Z", "end": "2026-08-01T00:00:00.000Z"}


@pytest.fixture
def api(app):
    with responses.RequestsMock() as mock:
        yield mock


@pytest.fixture
def urls(app):
    base = f"{app.config['VERCEL_API_URL']}/v1/installations/{INSTALLATION_ID}/billing/invoices"
    return {"submit": base, "get": f"{base}/inv_v_1"}


def pro_item(resource_id: str, **fields) -> dict:
    item = {
        "billingPlanId": "demo-pro",
        "resourceId": resource_id,
        "name": "Demo Store Pro",
        "details": "store",
        "price": "20.00",
        "quantity": 1,
        "units": "month",
        "total": "20.00",
    }
    return item | fields


def invoice_july() -> None:
    invoice_due(AUGUST_1)
    db.session.commit()


def the_invoice():
    [invoice] = invoices()
    return invoice


def test_a_whole_period_on_a_paid_plan_bills_its_price(client, vercel):
    install(client, vercel, created=JUNE_20)
    resource = provision(client, vercel, plan="demo-pro", created=JUNE_20)
    invoice_july()
    invoice = the_invoice()
    assert invoice.installation_id == INSTALLATION_ID
    assert invoice.external_id == EXTERNAL_ID
    assert invoice.state == "draft"
    assert (invoice.period_start, invoice.period_end) == (JULY.start, JULY.end)
    # Inside the period, as Vercel requires: its last millisecond.
    assert invoice.invoice_date == AUGUST_1 - timedelta(milliseconds=1)
    assert invoice.total == Decimal("20.00")
    assert invoice.final is False
    assert invoice.items == [pro_item(resource)]
    [job] = jobs(SUBMIT_INVOICE)
    assert job.payload == {"invoice": invoice.id}


def test_a_resource_created_in_the_period_bills_its_share_from_its_start(client, vercel):
    install(client, vercel, created=JUNE_20)
    resource = provision(client, vercel, plan="demo-pro", created=july(11))
    invoice_july()
    # 21 of 31 days: 0.6774 of a month, 13.548 rounded to cents.
    expected = pro_item(resource, start="2026-07-11T00:00:00.000Z", quantity=0.6774, total="13.55")
    assert the_invoice().items == [expected]
    assert the_invoice().total == Decimal("13.55")


def test_a_downgrade_bills_the_paid_plan_until_the_change(client, vercel):
    install(client, vercel, created=JUNE_20)
    resource = provision(client, vercel, plan="demo-pro", created=JUNE_20)
    change_plan(client, vercel, resource, "demo-free", july(16))
    invoice_july()
    # 15 of 31 days; the free plan bills nothing.
    expected = pro_item(resource, end="2026-07-16T00:00:00.000Z", quantity=0.4839, total="9.68")
    assert the_invoice().items == [expected]


def test_an_upgrade_bills_the_paid_plan_from_the_change(client, vercel):
    install(client, vercel, created=JUNE_20)
    resource = provision(client, vercel, plan="demo-free", created=JUNE_20)
    change_plan(client, vercel, resource, "demo-pro", july(16))
    invoice_july()
    expected = pro_item(resource, start="2026-07-16T00:00:00.000Z", quantity=0.5161, total="10.32")
    assert the_invoice().items == [expected]


def test_a_plan_left_and_taken_again_is_one_item_for_its_whole_time(client, vercel):
    install(client, vercel, created=JUNE_20)
    resource = provision(client, vercel, plan="demo-pro", created=JUNE_20)
    change_plan(client, vercel, resource, "demo-free", july(11))
    change_plan(client, vercel, resource, "demo-pro", july(21))
    invoice_july()
    # 10 days, then 11: one item for 21 of 31 days, spanning the whole period.
    assert the_invoice().items == [pro_item(resource, quantity=0.6774, total="13.55")]


def test_a_deleted_resource_is_billed_until_its_deletion(client, vercel):
    install(client, vercel, created=JUNE_20)
    resource = provision(client, vercel, plan="demo-pro", created=JUNE_20)
    url = f"/v1/installations/{INSTALLATION_ID}/resources/{resource}"
    assert client.delete(url, headers=vercel.user()).status_code == 204
    db.session.get(Resource, resource).deleted_at = july(11)
    db.session.commit()
    invoice_july()
    expected = pro_item(resource, end="2026-07-11T00:00:00.000Z", quantity=0.3226, total="6.45")
    assert the_invoice().items == [expected]


def test_the_installation_plan_comes_first_then_each_resource(client, vercel):
    install(client, vercel, created=JUNE_20, plan="team")
    first = provision(client, vercel, plan="demo-pro", created=JUNE_20, name="first")
    second = provision(client, vercel, plan="demo-pro", created=JUNE_21, name="second")
    invoice_july()
    invoice = the_invoice()
    assert invoice.items == [
        {
            "billingPlanId": "team",
            "name": "Team",
            "details": "Installation plan",
            "price": "25.00",
            "quantity": 1,
            "units": "month",
            "total": "25.00",
        },
        pro_item(first, details="first"),
        pro_item(second, details="second"),
    ]
    assert invoice.total == Decimal("65.00")


def test_an_installation_plan_change_bills_each_plan_for_its_time(client, vercel):
    install(client, vercel, created=JUNE_20, plan="team")
    change_installation_plan(client, vercel, "starter", july(11))
    invoice_july()
    [item] = the_invoice().items
    assert (item["billingPlanId"], item["end"], item["quantity"], item["total"]) == (
        "team",
        "2026-07-11T00:00:00.000Z",
        0.3226,
        "8.07",
    )


def test_under_fifty_cents_is_recorded_as_skipped_and_never_sent(client, vercel):
    install(client, vercel, created=JUNE_20)
    provision(client, vercel, plan="demo-pro", created=july(31, 23))
    invoice_july()
    invoice = the_invoice()
    assert invoice.state == "skipped"
    assert invoice.total == Decimal("0.03")  # an hour of a 744-hour month
    assert "0.03 is under the 0.50" in invoice.detail
    assert jobs(SUBMIT_INVOICE) == []


@pytest.mark.parametrize("plan", ["demo-free", "demo-credits"])
def test_free_and_prepayment_plans_are_not_invoiced(client, vercel, plan):
    install(client, vercel, created=JUNE_20)
    provision(client, vercel, plan=plan, created=JUNE_20)
    invoice_july()
    invoice = the_invoice()
    assert (invoice.state, invoice.items, invoice.total) == ("skipped", [], Decimal("0.00"))
    assert invoice.detail.startswith("nothing to bill")
    assert jobs(SUBMIT_INVOICE) == []


def test_each_installation_gets_one_invoice_per_period_however_often_the_task_runs(
    client, vercel
):
    install(client, vercel, created=JUNE_20)
    provision(client, vercel, plan="demo-pro", created=JUNE_20)
    for hour in range(3):
        invoice_due(AUGUST_1 + timedelta(hours=hour))
        db.session.commit()
    assert [invoice.external_id for invoice in invoices()] == [EXTERNAL_ID]
    assert len(jobs(SUBMIT_INVOICE)) == 1


def test_the_task_invoices_the_period_before_its_slot(client, vercel):
    install(client, vercel, created=JUNE_20)
    provision(client, vercel, plan="demo-pro", created=JUNE_20)
    invoice_due(datetime(2026, 7, 31, 23, tzinfo=UTC))  # July is not over yet: June
    db.session.commit()
    assert [invoice.external_id for invoice in invoices()] == [f"inv_{INSTALLATION_ID}_2026-06"]


@pytest.mark.parametrize(
    ("created", "deleted", "finalized"),
    [
        (AUGUST_1, None, None),  # installed after the period
        (JUNE_20, JULY.start, JULY.start),  # uninstalled before it began
        (JUNE_20, july(10), july(10)),  # finalized: its token no longer works
    ],
)
def test_installations_outside_the_period_or_finalized_are_not_invoiced(
    client, vercel, created, deleted, finalized
):
    install(client, vercel, created=JUNE_20)
    provision(client, vercel, plan="demo-pro", created=JUNE_20)
    installation = stored_installation()
    installation.created_at, installation.deleted_at = created, deleted
    installation.finalized_at = finalized
    db.session.commit()
    invoice_july()
    assert invoices() == []


# -- submission ------------------------------------------------------------------------------


@pytest.fixture
def drafted(client, vercel) -> str:
    """July's invoice of a resource on Pro all month, written and waiting to be sent."""
    install(client, vercel, created=JUNE_20)
    resource = provision(client, vercel, plan="demo-pro", created=JUNE_20)
    invoice_july()
    return resource


def expected_body(resource: str) -> dict:
    return {
        "externalId": EXTERNAL_ID,
        "invoiceDate": "2026-07-31T23:59:59.999Z",
        "period": JULY_WIRE,
        "items": [pro_item(resource)],
    }


def sent_bodies(api, method: str = "POST") -> list[dict]:
    return [json.loads(call.request.body) for call in api.calls if call.request.method == method]


def created_webhook(invoice_id: str = "inv_v_1") -> dict:
    payload = {
        "invoiceId": invoice_id,
        "externalInvoiceId": EXTERNAL_ID,
        "period": JULY_WIRE,
        "invoiceDate": "2026-07-31T23:59:59.999Z",
        "invoiceTotal": "20.00",
    }
    return event("marketplace.invoice.created", payload)


def vercel_invoice(state: str = "invoiced") -> dict:
    return {
        "invoiceId": "inv_v_1",
        "externalId": EXTERNAL_ID,
        "state": state,
        "invoiceDate": "2026-07-31T23:59:59.999Z",
        "period": JULY_WIRE,
        "items": [],
        "total": "20.00",
        "paidAt": "2026-08-02T10:00:00.000Z" if state == "paid" else None,
        "created": "2026-08-01T00:05:00.000Z",
        "updated": "2026-08-02T10:00:00.000Z",
    }


def test_the_job_sends_the_exact_body_and_keeps_vercels_id(drafted, api, urls):
    api.post(urls["submit"], json={"invoiceId": "inv_v_1"})
    assert run_jobs(SUBMIT_INVOICE) == 1
    assert sent_bodies(api) == [expected_body(drafted)]
    assert api.calls[0].request.headers["Authorization"] == f"Bearer {TOKEN}"
    invoice = the_invoice()
    assert (invoice.invoice_id, invoice.state, invoice.detail) == ("inv_v_1", "invoiced", None)
    assert jobs(SUBMIT_INVOICE)[0].state == DONE


def test_vercel_down_then_back_sends_the_same_invoice_again(drafted, api, urls):
    api.post(urls["submit"], body=requests.ConnectionError("refused"))
    run_jobs(SUBMIT_INVOICE)
    assert the_invoice().state == "draft"
    assert jobs(SUBMIT_INVOICE)[0].state == PENDING

    api.replace(responses.POST, urls["submit"], json={"invoiceId": "inv_v_1"})
    run_jobs(SUBMIT_INVOICE)
    # Both attempts carry the same external id: Vercel can never hold two of them.
    assert sent_bodies(api) == [expected_body(drafted)] * 2
    assert (the_invoice().invoice_id, the_invoice().state) == ("inv_v_1", "invoiced")
    assert len(invoices()) == 1


def test_a_lost_answer_then_a_409_counts_as_sent_and_the_webhook_names_the_id(
    client, drafted, api, urls
):
    api.post(urls["submit"], body=requests.ReadTimeout("no answer"))  # it did reach Vercel
    run_jobs(SUBMIT_INVOICE)
    duplicate = {"error": {"code": "conflict", "message": "Invoice already exists"}}
    api.replace(responses.POST, urls["submit"], status=409, json=duplicate)
    run_jobs(SUBMIT_INVOICE)
    invoice = the_invoice()
    assert (invoice.state, invoice.invoice_id) == ("submitted", None)
    assert jobs(SUBMIT_INVOICE)[0].state == DONE

    assert deliver_and_handle(client, created_webhook()) == ["handled"]
    invoice = the_invoice()
    assert (invoice.state, invoice.invoice_id) == ("invoiced", "inv_v_1")
    assert len(invoices()) == 1


def test_after_a_lost_answer_a_known_id_is_read_not_sent_again(client, drafted, api, urls):
    api.post(urls["submit"], body=requests.ReadTimeout("no answer"))
    run_jobs(SUBMIT_INVOICE)
    # Meanwhile Vercel's webhook names the invoice it made from that first attempt.
    deliver_and_handle(client, created_webhook())
    api.get(urls["get"], json=vercel_invoice("paid"))
    run_jobs(SUBMIT_INVOICE)
    assert [call.request.method for call in api.calls] == ["POST", "GET"]
    invoice = the_invoice()
    assert (invoice.state, invoice.invoice_id) == ("paid", "inv_v_1")
    assert invoice.paid_at == datetime(2026, 8, 2, 10, tzinfo=UTC)


def test_an_invoice_vercel_refuses_is_kept_as_rejected_and_not_tried_again(drafted, api, urls):
    refusal = {"error": {"code": "bad_request", "message": "No billing data was submitted"}}
    api.post(urls["submit"], status=400, json=refusal)
    run_jobs(SUBMIT_INVOICE)
    invoice = the_invoice()
    assert invoice.state == "rejected"
    assert "No billing data was submitted" in invoice.detail
    assert TOKEN not in invoice.detail
    assert jobs(SUBMIT_INVOICE)[0].state == DONE
    assert len(api.calls) == 1


def test_a_draft_of_a_finalized_installation_is_never_sent(drafted, api):
    installation = stored_installation()
    installation.deleted_at = installation.finalized_at = july(31)
    db.session.commit()
    run_jobs(SUBMIT_INVOICE)
    assert len(api.calls) == 0
    assert the_invoice().state == "draft"
    assert the_invoice().detail == "never sent: the installation was finalized first"
