"""An overdue invoice under the `suspend` policy tells Vercel (V1), and so does its payment."""

from __future__ import annotations

import json

import pytest
import responses

from partner_api.installations import service
from partner_api.vercel.jobs import UPDATE_INSTALLATION
from tests.billing.invoicing_support import jobs
from tests.conftest import INSTALLATION_ID
from tests.webhooks.delivery import deliver_and_handle, event

SUSPENDED = {
    "level": "error",
    "title": "Suspended: invoice overdue",
    "message": "The service is suspended until invoice inv_0001 is paid.",
}


def report(kind: str, seconds: int, invoice_id: str = "inv_0001") -> dict:
    payload = {"invoiceId": invoice_id, "invoiceTotal": "12.50"}
    return event(f"marketplace.invoice.{kind}", payload, created_ms=1_780_000_000_000 + seconds)


@pytest.fixture
def api(app):
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        mock.patch(f"{app.config['VERCEL_API_URL']}/v1/installations/{INSTALLATION_ID}")
        yield mock


def sent(api) -> list[dict]:
    return [json.loads(call.request.body) for call in api.calls]


def test_suspension_and_its_lifting_reach_vercel(app, client, installed, api):
    app.config["WEBHOOK_OVERDUE_POLICY"] = "suspend"
    deliver_and_handle(client, report("overdue", 0))
    assert sent(api) == [{"status": "suspended", "notification": SUSPENDED}]

    deliver_and_handle(client, report("paid", 1000))
    assert not service.is_suspended(INSTALLATION_ID)
    assert sent(api)[1] == {"status": "resumed", "notification": None}


def test_the_notify_policy_pushes_nothing(app, client, installed, api):
    assert app.config["WEBHOOK_OVERDUE_POLICY"] == "notify"
    deliver_and_handle(client, report("overdue", 0), report("paid", 1000))
    assert jobs(UPDATE_INSTALLATION) == []
    assert len(api.calls) == 0


def test_no_resumed_while_another_invoice_keeps_it_suspended(app, client, installed, api):
    app.config["WEBHOOK_OVERDUE_POLICY"] = "suspend"
    deliver_and_handle(client, report("overdue", 0, "inv_0002"), report("overdue", 10))
    deliver_and_handle(client, report("paid", 1000))
    assert service.is_suspended(INSTALLATION_ID)
    assert [body["status"] for body in sent(api)] == ["suspended", "suspended"]
