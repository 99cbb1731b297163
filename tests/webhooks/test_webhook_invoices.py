"""`marketplace.invoice.*` (§5.2, §7.15): our invoice copy follows Vercel, forward only."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import pytest
import responses
from sqlalchemy import select, text

from partner_api import create_app
from partner_api import settings as config
from partner_api.billing.models import InstallationSuspension, Invoice
from partner_api.extensions import db
from partner_api.installations import service
from partner_api.installations.models import Installation
from partner_api.timeutil import utcnow
from tests.conftest import INSTALLATION_ID, upsert_body
from tests.webhooks.delivery import BASE_MS, deliver_and_handle, event

INVOICE = "inv_0001"


@pytest.fixture(autouse=True)
def no_network():
    """The suspension's push to Vercel (a job) meets an empty mock, never the network."""
    with responses.RequestsMock(assert_all_requests_are_fired=False):
        yield


def invoice_event(kind: str, seconds: int = 0, **fields) -> dict:
    payload = {
        "invoiceId": INVOICE,
        "externalInvoiceId": "acme-2026-05",
        "period": {"start": "2026-05-01T00:00:00.000Z", "end": "2026-06-01T00:00:00.000Z"},
        "invoiceDate": "2026-06-01T00:00:00.000Z",
        "invoiceTotal": "12.50",
        **fields,
    }
    return event(f"marketplace.invoice.{kind}", payload, created_ms=BASE_MS + seconds * 1000)


def stored_invoice() -> Invoice | None:
    db.session.expire_all()
    return db.session.scalar(select(Invoice).where(Invoice.invoice_id == INVOICE))


def installation() -> Installation:
    db.session.expire_all()
    return db.session.get(Installation, INSTALLATION_ID)


def moment(seconds: int) -> datetime:
    return datetime.fromtimestamp(BASE_MS / 1000 + seconds, UTC)


def test_created_records_the_invoice(client, installed):
    assert deliver_and_handle(client, invoice_event("created")) == ["handled"]
    invoice = stored_invoice()
    assert invoice.installation_id == INSTALLATION_ID
    assert invoice.state == "invoiced"
    assert invoice.external_id == "acme-2026-05"
    assert invoice.period_start == datetime(2026, 5, 1, tzinfo=UTC)
    assert invoice.period_end == datetime(2026, 6, 1, tzinfo=UTC)
    assert invoice.invoice_date == datetime(2026, 6, 1, tzinfo=UTC)
    assert invoice.total == Decimal("12.50")
    assert isinstance(invoice.total, Decimal)


def test_money_is_stored_as_an_exact_decimal(client, installed):
    deliver_and_handle(client, invoice_event("created", invoiceTotal="9876543210.99"))
    assert stored_invoice().total == Decimal("9876543210.99")
    raw = db.session.execute(text("SELECT total FROM invoices")).scalar_one()
    assert Decimal(str(raw)) == Decimal("9876543210.99")


def test_paid_marks_it_paid_and_when(client, installed):
    deliver_and_handle(client, invoice_event("created"), invoice_event("paid", 60))
    invoice = stored_invoice()
    assert invoice.state == "paid"
    assert invoice.paid_at == moment(60)


def test_a_late_older_event_does_not_move_a_paid_invoice_back(client, installed):
    """Delivered paid, then the older created: the state stays, missing facts fill in."""
    paid = invoice_event("paid", 60, invoiceTotal=None, period=None, invoiceDate=None)
    assert deliver_and_handle(client, paid) == ["handled"]
    assert stored_invoice().total is None
    assert deliver_and_handle(client, invoice_event("created", 0)) == ["stale"]
    invoice = stored_invoice()
    assert invoice.state == "paid"
    assert invoice.total == Decimal("12.50")
    assert invoice.period_start == datetime(2026, 5, 1, tzinfo=UTC)


def test_a_stale_event_does_not_overwrite_newer_facts(client, installed):
    deliver_and_handle(client, invoice_event("paid", 60, invoiceTotal="20.00"))
    deliver_and_handle(client, invoice_event("created", 0, invoiceTotal="12.50"))
    assert stored_invoice().total == Decimal("20.00")


@pytest.mark.parametrize("kind", ["notpaid", "overdue", "created"])
def test_a_newer_event_of_an_earlier_state_keeps_it_paid(client, installed, kind):
    deliver_and_handle(client, invoice_event("paid", 60))
    assert deliver_and_handle(client, invoice_event(kind, 120)) == ["kept paid"]
    assert stored_invoice().state == "paid"
    assert installation().notification is None


def test_a_late_overdue_after_paid_neither_notifies_nor_suspends(app, client, installed):
    app.config["WEBHOOK_OVERDUE_POLICY"] = "suspend"
    deliver_and_handle(client, invoice_event("paid", 60))
    assert deliver_and_handle(client, invoice_event("overdue", 30)) == ["stale"]
    assert installation().notification is None
    assert not service.is_suspended(INSTALLATION_ID)


def test_notpaid_counts_each_attempt_and_warns(client, installed):
    deliver_and_handle(client, invoice_event("created"))
    deliver_and_handle(client, invoice_event("notpaid", 60), invoice_event("notpaid", 120))
    invoice = stored_invoice()
    assert invoice.state == "notpaid"
    assert invoice.failed_payment_attempts == 2
    notification = installation().notification
    assert notification["level"] == "warn"
    assert INVOICE in notification["message"]
    assert not service.is_suspended(INSTALLATION_ID)


def test_overdue_under_notify_only_notifies(app, client, installed):
    assert app.config["WEBHOOK_OVERDUE_POLICY"] == "notify"
    deliver_and_handle(client, invoice_event("notpaid", 0), invoice_event("overdue", 60))
    assert stored_invoice().state == "overdue"
    notification = installation().notification
    assert (notification["level"], notification["title"]) == ("error", "Invoice overdue")
    assert not service.is_suspended(INSTALLATION_ID)
    assert installation().deleted_at is None


def test_overdue_under_suspend_suspends_until_paid(app, client, installed):
    app.config["WEBHOOK_OVERDUE_POLICY"] = "suspend"
    deliver_and_handle(client, invoice_event("overdue", 0))
    assert service.is_suspended(INSTALLATION_ID)
    assert installation().notification["title"] == "Suspended: invoice overdue"
    assert installation().deleted_at is None

    deliver_and_handle(client, invoice_event("paid", 60))
    assert not service.is_suspended(INSTALLATION_ID)
    assert installation().notification is None
    [suspension] = db.session.scalars(select(InstallationSuspension)).all()
    assert suspension.lifted_at is not None  # the history stays


def test_paying_one_invoice_keeps_the_suspension_another_caused(app, client, installed):
    app.config["WEBHOOK_OVERDUE_POLICY"] = "suspend"
    other = invoice_event("overdue", 0, invoiceId="inv_0002", externalInvoiceId="acme-2026-04")
    deliver_and_handle(client, other, invoice_event("overdue", 1))
    deliver_and_handle(client, invoice_event("paid", 60))
    assert service.is_suspended(INSTALLATION_ID)


def test_paid_leaves_a_notification_set_by_someone_else(client, installed):
    deliver_and_handle(client, invoice_event("notpaid", 0))
    record = installation()
    record.notification = {"level": "info", "title": "Maintenance on Sunday"}
    db.session.commit()
    deliver_and_handle(client, invoice_event("paid", 60))
    assert installation().notification == {"level": "info", "title": "Maintenance on Sunday"}


def test_refunded_records_the_refund(client, installed):
    deliver_and_handle(
        client,
        invoice_event("paid", 0),
        invoice_event("refunded", 60, amount="12.50", reason="Service outage"),
    )
    invoice = stored_invoice()
    assert invoice.state == "refunded"
    assert invoice.refund_total == Decimal("12.50")
    assert invoice.refund_reason == "Service outage"
    assert invoice.refunded_at == moment(60)
    assert invoice.total == Decimal("12.50")


def test_the_nested_invoice_shape_is_understood(client, installed):
    nested = event(
        "marketplace.invoice.paid",
        {
            "invoice": {
                "id": INVOICE,
                "installationId": INSTALLATION_ID,
                "externalId": "acme-2026-05",
                "amount": "7.25",
                "currency": "USD",
            }
        },
        installation_id=None,
    )
    assert deliver_and_handle(client, nested) == ["handled"]
    invoice = stored_invoice()
    assert (invoice.state, invoice.total, invoice.external_id) == (
        "paid",
        Decimal("7.25"),
        "acme-2026-05",
    )


def test_an_invoice_we_submitted_is_linked_by_its_external_id(client, installed):
    now = utcnow()
    db.session.add(
        Invoice(
            installation_id=INSTALLATION_ID,
            external_id="acme-2026-05",
            state="pending",
            items=[{"name": "Pro"}],
            final=True,
            created_at=now,
            updated_at=now,
        )
    )
    db.session.commit()
    deliver_and_handle(client, invoice_event("created"))
    [invoice] = db.session.scalars(select(Invoice)).all()
    assert (invoice.invoice_id, invoice.state, invoice.final) == (INVOICE, "invoiced", True)
    assert invoice.items == [{"name": "Pro"}]


OTHER_INSTALLATION = "icfg_other00000000000000000001"


def test_an_event_cannot_touch_the_invoice_of_another_installation(app, client, vercel, installed):
    app.config["WEBHOOK_OVERDUE_POLICY"] = "suspend"
    headers = vercel.user(OTHER_INSTALLATION)
    assert client.put(
        f"/v1/installations/{OTHER_INSTALLATION}", json=upsert_body(), headers=headers
    ).status_code == 200
    theirs = event(
        "marketplace.invoice.created",
        {"invoiceId": INVOICE, "invoiceTotal": "40.00"},
        installation_id=OTHER_INSTALLATION,
    )
    assert deliver_and_handle(client, theirs) == ["handled"]

    [result] = deliver_and_handle(client, invoice_event("overdue", 5, invoiceTotal="0.01"))

    assert result == "malformed: invoiceId names an invoice of another installation"
    invoice = stored_invoice()
    assert (invoice.installation_id, invoice.state, invoice.total) == (
        OTHER_INSTALLATION,
        "invoiced",
        Decimal("40.00"),
    )
    assert installation().notification is None
    assert db.session.get(Installation, OTHER_INSTALLATION).notification is None
    assert db.session.scalars(select(InstallationSuspension)).all() == []


def test_invoices_of_an_uninstalled_installation_are_still_recorded(client, vercel, installed):
    client.delete(f"/v1/installations/{INSTALLATION_ID}", headers=vercel.user())
    assert deliver_and_handle(client, invoice_event("paid")) == ["handled"]
    assert stored_invoice().state == "paid"


@pytest.mark.parametrize(
    ("fields", "problem"),
    [
        ({"invoiceId": None}, "invoiceId must be a non-empty string"),
        ({"invoiceTotal": "12,50"}, "invoiceTotal must be a decimal string of dollars"),
        ({"invoiceTotal": -3}, "invoiceTotal must be a decimal string of dollars"),
        ({"invoiceDate": "June 1st"}, "invoiceDate must be an ISO-8601 datetime"),
    ],
)
def test_a_malformed_invoice_event_changes_nothing(client, installed, fields, problem):
    [result] = deliver_and_handle(client, invoice_event("paid", **fields))
    assert result == f"malformed: {problem}"
    assert db.session.scalars(select(Invoice)).all() == []
    assert installation().notification is None


def test_the_overdue_policy_comes_from_the_environment():
    environ = {"PARTNER_API_ENV": "testing", "WEBHOOK_OVERDUE_POLICY": "suspend"}
    assert config.load(environ).WEBHOOK_OVERDUE_POLICY == "suspend"
    assert config.load({"PARTNER_API_ENV": "testing"}).WEBHOOK_OVERDUE_POLICY == "notify"


def test_an_unknown_overdue_policy_stops_the_app_at_start(app_settings):
    with pytest.raises(SystemExit, match="WEBHOOK_OVERDUE_POLICY='delete'"):
        create_app({**app_settings, "WEBHOOK_OVERDUE_POLICY": "delete"})
