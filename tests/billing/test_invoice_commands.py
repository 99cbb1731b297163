"""`flask invoices list` and `flask invoices refund` (§4 V14)."""

from __future__ import annotations

import json
from decimal import Decimal

import pytest
import responses
from sqlalchemy import select

from partner_api.billing.models import Invoice
from partner_api.billing.refunds import REFUND_INVOICE
from partner_api.extensions import db
from partner_api.jobs.models import DONE
from tests.billing.invoicing_support import jobs, run_jobs, stored_installation
from tests.conftest import INSTALLATION_ID
from tests.dbstate import snapshot
from tests.webhooks.delivery import deliver_and_handle, event

INVOICE_ID = "inv_v_1"
REASON = "Outage on 3 July"


@pytest.fixture
def api(app):
    with responses.RequestsMock() as mock:
        yield mock


@pytest.fixture
def actions_url(app):
    base = app.config["VERCEL_API_URL"]
    return f"{base}/v1/installations/{INSTALLATION_ID}/billing/invoices/{INVOICE_ID}/actions"


def report(kind: str, seconds: int = 0, **fields) -> dict:
    payload = fields | {
        "invoiceId": INVOICE_ID,
        "externalInvoiceId": f"inv_{INSTALLATION_ID}_2026-07",
        "period": {"start": "2026-07-01T00:00:00.000Z", "end": "2026-08-01T00:00:00.000Z"},
        "invoiceDate": "2026-07-31T23:59:59.999Z",
        "invoiceTotal": "20.00",
    }
    return event(f"marketplace.invoice.{kind}", payload, created_ms=1_785_000_000_000 + seconds)


@pytest.fixture
def paid(client, installed) -> None:
    """Vercel's invoice inv_v_1 of 20.00, paid."""
    deliver_and_handle(client, report("created"), report("paid", 1000))


def invoice() -> Invoice:
    db.session.expire_all()
    return db.session.scalar(select(Invoice).where(Invoice.invoice_id == INVOICE_ID))


def refund(runner, *args: str):
    return runner.invoke(args=["invoices", "refund", INVOICE_ID, *args])


def test_refund_marks_the_invoice_and_a_job_asks_vercel(runner, paid, api, actions_url):
    result = refund(runner, "--amount", "5.00", "--reason", REASON)
    assert result.exit_code == 0, result.output
    assert "refund of 5.00 on invoice inv_v_1 requested" in result.output
    stored = invoice()
    assert (stored.state, stored.refund_total, stored.refund_reason) == (
        "refund_requested",
        Decimal("5.00"),
        REASON,
    )

    api.post(actions_url, status=204)
    assert run_jobs(REFUND_INVOICE) == 1
    assert json.loads(api.calls[0].request.body) == {
        "action": "refund",
        "reason": REASON,
        "total": "5.00",
    }
    assert jobs(REFUND_INVOICE)[0].state == DONE
    assert invoice().state == "refund_requested"


def test_the_refunded_webhook_completes_it(client, runner, paid, api, actions_url):
    refund(runner, "--amount", "20", "--reason", REASON)
    api.post(actions_url, status=204)
    run_jobs(REFUND_INVOICE)
    deliver_and_handle(client, report("refunded", 5000, amount="20.00", reason=REASON))
    assert invoice().state == "refunded"
    assert invoice().refund_total == Decimal("20.00")


def test_a_refund_vercel_refuses_puts_the_invoice_back(runner, paid, api, actions_url):
    refund(runner, "--amount", "5.00", "--reason", REASON)
    refusal = {"error": {"code": "invalid_total", "message": "Total exceeds the invoice"}}
    api.post(actions_url, status=400, json=refusal)
    run_jobs(REFUND_INVOICE)
    stored = invoice()
    assert (stored.state, stored.refund_total, stored.refund_reason) == ("paid", None, None)
    assert "Total exceeds the invoice" in stored.detail
    assert jobs(REFUND_INVOICE)[0].state == DONE


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--amount", "20.01", "--reason", REASON], "more than the invoice's total of 20.00"),
        (["--amount", "0", "--reason", REASON], "must be positive"),
        (["--amount", "1.005", "--reason", REASON], "at most 2 decimals"),
        (["--amount", "5.00", "--reason", "  "], "needs a reason"),
    ],
)
def test_a_refused_request_changes_nothing(runner, paid, args, message):
    before = snapshot()
    result = refund(runner, *args)
    assert result.exit_code == 1
    assert message in result.output
    assert snapshot() == before


def test_an_amount_that_is_not_dollars_is_a_usage_error(runner, paid):
    before = snapshot()
    result = refund(runner, "--amount", "5,00", "--reason", REASON)
    assert result.exit_code == 2
    assert "dollars as a decimal" in result.output
    assert snapshot() == before


def test_a_second_refund_while_one_is_under_way_is_refused(runner, paid):
    refund(runner, "--amount", "5.00", "--reason", REASON)
    before = snapshot()
    result = refund(runner, "--amount", "1.00", "--reason", REASON)
    assert result.exit_code == 1
    assert "is refund_requested: it cannot be refunded" in result.output
    assert snapshot() == before


def test_unknown_invoices_and_finalized_installations_are_refused(runner, paid):
    args = ["invoices", "refund", "inv_nope", "--amount", "1", "--reason", "x"]
    result = runner.invoke(args=args)
    assert (result.exit_code, "no invoice inv_nope is known" in result.output) == (1, True)
    installation = stored_installation()
    installation.deleted_at = installation.finalized_at = installation.created_at
    db.session.commit()
    result = refund(runner, "--amount", "1.00", "--reason", REASON)
    assert result.exit_code == 1
    assert "go through Vercel support" in result.output


def test_list_shows_each_invoice_newest_first(runner, paid, client, vercel):
    stored = invoice()
    older = Invoice(
        installation_id=INSTALLATION_ID,
        external_id=f"inv_{INSTALLATION_ID}_2026-06",
        state="skipped",
        detail="nothing to bill",
        period_start=stored.period_start.replace(month=6),
        total=Decimal("0"),
        final=False,
        test=False,
        failed_payment_attempts=0,
        created_at=stored.created_at,
        updated_at=stored.created_at,
    )
    db.session.add(older)
    db.session.commit()
    result = runner.invoke(args=["invoices", "list"])
    assert result.exit_code == 0, result.output
    assert result.output.splitlines() == [
        f"{older.id}\t{INSTALLATION_ID}\t2026-06\tskipped\t0.00\t-\tnothing to bill",
        f"{stored.id}\t{INSTALLATION_ID}\t2026-07\tpaid\t20.00\tinv_v_1\t",
    ]
    result = runner.invoke(args=["invoices", "list", "--state", "paid"])
    assert len(result.output.splitlines()) == 1
