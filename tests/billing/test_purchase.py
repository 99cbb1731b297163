"""Provision Purchase (§3.4.14): a paid invoice credits prepayment balances exactly once."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable
from typing import Any

import pytest
import requests
import responses
from sqlalchemy import select

from partner_api.billing.usage_models import CreditedInvoice
from partner_api.extensions import db
from partner_api.timeutil import utcnow
from tests.billing.usage_support import balances, provision
from tests.conftest import INSTALLATION_ID, upsert_body
from tests.dbstate import snapshot

URL = f"/v1/installations/{INSTALLATION_ID}/billing/provision"
INVOICE_ID = "inv_credits_0001"
INVOICE_URL = (
    f"https://api.vercel.com/v1/installations/{INSTALLATION_ID}/billing/invoices/{INVOICE_ID}"
)


def invoice(state: str = "paid", items: list[dict] | None = None, **extra: Any) -> dict:
    return {
        "invoiceId": INVOICE_ID,
        "state": state,
        "invoiceDate": "2026-03-15T10:00:00.000Z",
        "period": {"start": "2026-03-01T00:00:00.000Z", "end": "2026-04-01T00:00:00.000Z"},
        "items": items or [],
        "total": "15.50",
        "created": "2026-03-15T10:00:00.000Z",
        "updated": "2026-03-15T10:05:00.000Z",
        **extra,
    }


def credit_item(total: str, resource_id: str | None = None) -> dict:
    item = {
        "billingPlanId": "demo-credits",
        "name": "Credits",
        "price": total,
        "quantity": 1,
        "units": "purchase",
        "total": total,
    }
    return item | ({"resourceId": resource_id} if resource_id else {})


@pytest.fixture
def vercel_api():
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        yield mock


@pytest.fixture
def prepaid(client, vercel, installed) -> str:
    """A resource on the demo product's prepayment plan."""
    return provision(client, vercel, "demo-credits")


def buy(client, headers: dict, invoice_id: str = INVOICE_ID):
    return client.post(URL, json={"invoiceId": invoice_id}, headers=headers)


def assert_refused(response, status: int, code: str) -> None:
    assert response.status_code == status, response.get_json()
    assert response.get_json()["error"]["code"] == code


def test_a_paid_invoice_credits_each_item_to_its_balance(client, vercel, prepaid, vercel_api):
    items = [credit_item("10.009", prepaid), credit_item("5.50")]
    vercel_api.get(INVOICE_URL, json=invoice(items=items))
    before = utcnow()

    response = buy(client, vercel.user())

    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    assert body["balances"] == [
        {"currencyValueInCents": 550},
        {"resourceId": prepaid, "currencyValueInCents": 1000},  # $10.009: cents round down
    ]
    assert body["timestamp"].endswith("Z") and body["timestamp"] >= before.isoformat()[:19]
    assert balances() == {prepaid: 1000, None: 550}
    (ledger,) = db.session.scalars(select(CreditedInvoice))
    assert (ledger.invoice_id, ledger.installation_id, ledger.credited_cents) == (
        INVOICE_ID,
        INSTALLATION_ID,
        1550,
    )
    assert vercel_api.calls[0].request.headers["Authorization"] == "Bearer vercel-access-token-1"


def test_a_repeat_answers_the_balances_without_crediting_again(client, vercel, prepaid, vercel_api):
    vercel_api.get(INVOICE_URL, json=invoice(items=[credit_item("12.00", prepaid)]))
    first = buy(client, vercel.user())

    again = buy(client, vercel.system())

    assert again.status_code == 200
    assert again.get_json()["balances"] == first.get_json()["balances"]
    assert balances() == {prepaid: 1200}
    assert len(vercel_api.calls) == 1  # a credited invoice is not fetched again


def test_a_repeat_with_the_same_idempotency_key_is_replayed(client, vercel, prepaid, vercel_api):
    vercel_api.get(INVOICE_URL, json=invoice(items=[credit_item("12.00", prepaid)]))
    headers = {**vercel.user(), "Idempotency-Key": "purchase-1"}
    first = buy(client, headers)

    again = buy(client, headers)

    assert again.headers["Idempotent-Replayed"] == "true"
    assert again.get_json() == first.get_json()
    assert balances() == {prepaid: 1200}


def test_credits_add_up_over_purchases(client, vercel, prepaid, vercel_api):
    vercel_api.get(INVOICE_URL, json=invoice(items=[credit_item("12.00", prepaid)]))
    second_url = INVOICE_URL.replace(INVOICE_ID, "inv_credits_0002")
    second = invoice(items=[credit_item("3.45", prepaid)], invoiceId="inv_credits_0002")
    vercel_api.get(second_url, json=second)

    buy(client, vercel.user())
    response = buy(client, vercel.user(), "inv_credits_0002")

    assert response.get_json()["balances"] == [
        {"resourceId": prepaid, "currencyValueInCents": 1545}
    ]


def test_an_invoice_without_items_credits_its_total_to_the_installation(
    client, vercel, prepaid, vercel_api
):
    vercel_api.get(INVOICE_URL, json=invoice(items=[], total="7.999"))

    response = buy(client, vercel.user())

    assert response.get_json()["balances"] == [{"currencyValueInCents": 799}]


@pytest.mark.parametrize("state", ["pending", "scheduled", "invoiced", "notpaid", "refunded"])
def test_an_unpaid_invoice_is_refused_and_changes_nothing(
    client, vercel, prepaid, vercel_api, state
):
    vercel_api.get(INVOICE_URL, json=invoice(state, items=[credit_item("12.00", prepaid)]))
    before = snapshot()

    response = buy(client, vercel.user())

    assert_refused(response, 422, "invoice_not_paid")
    assert snapshot() == before


def test_an_invoice_the_partner_submitted_is_not_a_purchase(client, vercel, prepaid, vercel_api):
    paid = invoice(items=[credit_item("20.00", prepaid)], externalId="ours-2026-03")
    vercel_api.get(INVOICE_URL, json=paid)
    before = snapshot()

    assert_refused(buy(client, vercel.user()), 422, "not_a_credit_purchase")
    assert snapshot() == before


def test_an_invoice_vercel_does_not_know_is_refused(client, vercel, prepaid, vercel_api):
    vercel_api.get(INVOICE_URL, status=404, json={"error": {"code": "not_found", "message": "?"}})
    before = snapshot()

    assert_refused(buy(client, vercel.user()), 422, "invoice_not_found")
    assert snapshot() == before


def test_an_item_for_a_resource_of_another_installation_refuses_the_invoice(
    client, vercel, prepaid, vercel_api
):
    items = [credit_item("5.00"), credit_item("12.00", "res_of_someone_else")]
    vercel_api.get(INVOICE_URL, json=invoice(items=items))
    before = snapshot()

    assert_refused(buy(client, vercel.user()), 422, "unknown_resource")
    assert snapshot() == before


@pytest.mark.parametrize(
    "answer",
    [
        {"body": requests.ConnectionError("connection refused")},
        {"status": 502},
        {"status": 401, "json": {"error": {"code": "unauthorized", "message": "bad token"}}},
        {"status": 200, "json": {"unexpected": True}},
    ],
)
def test_vercel_unavailable_is_503_and_changes_nothing(client, vercel, prepaid, vercel_api, answer):
    vercel_api.get(INVOICE_URL, **answer)
    before = snapshot()

    response = buy(client, vercel.user())

    assert_refused(response, 503, "vercel_unavailable")
    assert "vercel-access-token" not in response.get_data(as_text=True)
    assert snapshot() == before


def test_an_invoice_credited_to_another_installation_is_a_conflict(client, vercel, prepaid):
    other = "icfg_other000000000000000001"
    assert (
        client.put(
            f"/v1/installations/{other}", json=upsert_body(), headers=vercel.user(other)
        ).status_code
        == 200
    )
    db.session.add(
        CreditedInvoice(
            invoice_id=INVOICE_ID, installation_id=other, credited_cents=100, credited_at=utcnow()
        )
    )
    db.session.commit()
    before = snapshot()

    assert_refused(buy(client, vercel.user()), 409, "invoice_credited_elsewhere")
    assert snapshot() == before


@pytest.mark.parametrize("invoice_id", [".", ".."])
def test_a_dot_segment_is_not_an_invoice_id(client, vercel, prepaid, vercel_api, invoice_id):
    """Sent to Vercel, it read another endpoint than the invoice's (and answered 503)."""
    before = snapshot()

    response = buy(client, vercel.user(), invoice_id)

    assert_refused(response, 400, "validation_error")
    fields = response.get_json()["error"]["fields"]
    assert fields == [{"key": "invoiceId", "message": "Not an invoice id."}]
    assert not vercel_api.calls
    assert snapshot() == before


def test_an_unknown_installation_is_404(client, vercel):
    other = "icfg_never_installed00000001"
    response = client.post(
        f"/v1/installations/{other}/billing/provision",
        json={"invoiceId": INVOICE_ID},
        headers=vercel.user(other),
    )
    assert_refused(response, 404, "not_found")


def test_a_read_only_user_may_not_buy(client, vercel, prepaid, vercel_api):
    before = snapshot()

    assert_refused(buy(client, vercel.user(role="USER")), 403, "forbidden_role")
    assert snapshot() == before
    assert len(vercel_api.calls) == 0


@pytest.mark.parametrize("body", [{}, {"invoiceId": ""}, {"invoiceId": 42}])
def test_the_invoice_id_is_required(client, vercel, prepaid, body):
    before = snapshot()

    response = client.post(URL, json=body, headers=vercel.user())

    assert_refused(response, 400, "validation_error")
    assert [field["key"] for field in response.get_json()["error"]["fields"]] == ["invoiceId"]
    assert snapshot() == before


# --- concurrency (Postgres: real row locks) ------------------------------------------------------


def send_at_once(app, count: int, send: Callable[[Any], Any]) -> list[Any]:
    """`count` threads, each with its own app context and client, released together."""
    start = threading.Barrier(count)
    answers: list[Any] = [None] * count

    def worker(index: int) -> None:
        with app.app_context():
            client = app.test_client()
            start.wait()
            try:
                answers[index] = send(client)
            finally:
                db.session.remove()

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert all(answer is not None for answer in answers)
    return answers


def slow_invoice(resource_id: str):
    """Vercel answers after a pause, so that concurrent requests all get past the fetch."""

    def answer(request):
        threading.Event().wait(0.2)
        return 200, {}, json.dumps(invoice(items=[credit_item("12.00", resource_id)]))

    return answer


@pytest.mark.postgres
@pytest.mark.parametrize("keyed", [False, True], ids=["without-key", "same-key"])
def test_concurrent_duplicates_credit_once(app, client, vercel, prepaid, vercel_api, keyed):
    if db.engine.dialect.name != "postgresql":
        pytest.skip("concurrent writers need Postgres (TEST_DATABASE_URL)")
    vercel_api.add_callback(responses.GET, INVOICE_URL, callback=slow_invoice(prepaid))
    headers = {**vercel.user(), **({"Idempotency-Key": "purchase-race"} if keyed else {})}

    answers = send_at_once(
        app, 6, lambda c: c.post(URL, json={"invoiceId": INVOICE_ID}, headers=headers)
    )

    done = [answer for answer in answers if answer.status_code == 200]
    busy = [answer for answer in answers if answer.status_code == 409]
    assert len(done) + len(busy) == len(answers), [a.get_json() for a in answers]
    assert all(a.get_json()["error"]["code"] == "request_in_progress" for a in busy)
    expected = [{"resourceId": prepaid, "currencyValueInCents": 1200}]
    assert done and all(a.get_json()["balances"] == expected for a in done)
    assert balances() == {prepaid: 1200}
    assert len(db.session.scalars(select(CreditedInvoice)).all()) == 1
    if not keyed:
        assert len(vercel_api.calls) >= 2  # the race was real: several fetched the invoice
