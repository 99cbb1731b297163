"""Each Vercel API call (§4, V1–V19): method, path, headers and the exact JSON sent."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from decimal import Decimal

import pytest
import responses

from partner_api.vercel.client import VercelClient
from partner_api.vercel.errors import UnexpectedResponse
from partner_api.vercel.models import (
    Balance,
    BillingData,
    Discount,
    InstallationUpdate,
    InstallationUpdated,
    InvoiceSubmission,
    InvoiceTest,
    LineItem,
    Notification,
    Period,
    ResourceImport,
    ResourceUpdate,
    ResourceUpdated,
    Secret,
    Usage,
)
from partner_api.vercel.replies import Contact, RevokedCredential

BASE = "https://api.vercel.test"
TOKEN = "vercel-installation-token"
AGENT = "partner-api/1.2.3 (+integration oac_Test)"
ICFG = "icfg_abc"
INSTALLATION = f"{BASE}/v1/installations/{ICFG}"

JAN = datetime(2026, 1, 1, tzinfo=UTC)
FEB = datetime(2026, 2, 1, tzinfo=UTC)
PERIOD = Period(JAN, FEB)
PERIOD_JSON = {"start": "2026-01-01T00:00:00.000Z", "end": "2026-02-01T00:00:00.000Z"}
PLAN = {"id": "pro", "type": "subscription", "name": "Pro", "description": "All of it"}
SECRET = Secret(
    "DATABASE_URL",
    "postgres://u:pw@db/x",
    prefix="ACME",
    environment_overrides={"preview": "postgres://u:pw@preview/x"},
)
SECRET_JSON = {
    "name": "DATABASE_URL",
    "value": "postgres://u:pw@db/x",
    "prefix": "ACME",
    "environmentOverrides": {"preview": "postgres://u:pw@preview/x"},
}
ITEM = LineItem(
    billing_plan_id="pro",
    name="Queries",
    price=Decimal("0.0004"),
    quantity=Decimal("1500"),
    units="queries",
    total=Decimal("0.6"),
    resource_id="res_1",
    start=datetime(2026, 1, 15, tzinfo=UTC),
    details="over quota",
)
ITEM_JSON = {
    "billingPlanId": "pro",
    "resourceId": "res_1",
    "start": "2026-01-15T00:00:00.000Z",
    "name": "Queries",
    "details": "over quota",
    "price": "0.0004",
    "quantity": 1500,
    "units": "queries",
    "total": "0.60",
}
DISCOUNT = Discount(billing_plan_id="pro", name="Welcome", amount=Decimal("5"))
DISCOUNT_JSON = {"billingPlanId": "pro", "name": "Welcome", "amount": "5.00"}


@pytest.fixture
def api():
    with responses.RequestsMock() as mock:
        yield mock


@pytest.fixture
def vercel_client() -> VercelClient:
    return VercelClient(BASE, TOKEN, user_agent=AGENT)


def sent(api, index: int = 0):
    return api.calls[index].request


def sent_json(api, index: int = 0):
    return json.loads(sent(api, index).body)


def test_every_call_carries_the_bearer_token_and_user_agent(api, vercel_client):
    api.get(f"{INSTALLATION}/account", json={"url": "https://vercel.com/acme"})
    vercel_client.get_account(ICFG)
    request = sent(api)
    assert request.headers["Authorization"] == f"Bearer {TOKEN}"
    assert request.headers["User-Agent"] == AGENT
    assert request.headers["Accept"] == "application/json"
    assert api.calls[0].request.req_kwargs["timeout"] == (3.05, 15.0)


def test_a_custom_timeout_reaches_requests(api):
    api.get(f"{INSTALLATION}/account", json={"url": "https://vercel.com/acme"})
    VercelClient(BASE, TOKEN, timeout=2.0).get_account(ICFG)
    assert api.calls[0].request.req_kwargs["timeout"] == 2.0


def test_v1_update_installation_sends_only_given_fields(api, vercel_client):
    api.patch(INSTALLATION, status=204)
    vercel_client.update_installation(
        ICFG,
        InstallationUpdate(
            status="suspended",
            external_id="acct_9",
            billing_plan=PLAN,
            notification=Notification("warn", "Invoice overdue", href="sso:https://p.test/b"),
        ),
    )
    assert sent(api).method == "PATCH"
    assert sent(api).headers["Content-Type"] == "application/json"
    assert sent_json(api) == {
        "status": "suspended",
        "externalId": "acct_9",
        "billingPlan": PLAN,
        "notification": {
            "level": "warn",
            "title": "Invoice overdue",
            "href": "sso:https://p.test/b",
        },
    }


def test_v1_clears_the_notification_with_null_and_omits_it_by_default(api, vercel_client):
    api.patch(INSTALLATION, status=204)
    api.patch(INSTALLATION, status=204)
    vercel_client.update_installation(ICFG, InstallationUpdate(notification=None))
    vercel_client.update_installation(ICFG, InstallationUpdate(status="ready"))
    assert sent_json(api, 0) == {"notification": None}
    assert sent_json(api, 1) == {"status": "ready"}


def test_v2_get_account(api, vercel_client):
    api.get(
        f"{INSTALLATION}/account",
        json={
            "name": "Acme",
            "url": "https://vercel.com/acme",
            "contact": {"email": "ops@acme.test", "name": "Ops"},
            "later": "ignored",
        },
    )
    account = vercel_client.get_account(ICFG)
    assert account.name == "Acme"
    assert account.url == "https://vercel.com/acme"
    assert account.contact == Contact("ops@acme.test", "Ops")


def test_v2_account_without_contact(api, vercel_client):
    api.get(f"{INSTALLATION}/account", json={"url": "https://vercel.com/acme", "contact": None})
    assert vercel_client.get_account(ICFG).contact is None


def test_v3_get_member(api, vercel_client):
    api.get(
        f"{INSTALLATION}/member/user_7",
        json={"id": "user_7", "role": "USER", "userEmail": "u@acme.test"},
    )
    member = vercel_client.get_member(ICFG, "user_7")
    assert (member.id, member.role, member.user_email) == ("user_7", "USER", "u@acme.test")
    assert member.global_user_id is None


def test_v4_create_event_resource_updated(api, vercel_client):
    api.post(f"{INSTALLATION}/events", status=201)
    vercel_client.create_event(ICFG, ResourceUpdated("res_1", product_id="acme-db"))
    assert sent(api).method == "POST"
    assert sent_json(api) == {
        "event": {"type": "resource.updated", "productId": "acme-db", "resourceId": "res_1"}
    }


def test_v4_create_event_installation_updated(api, vercel_client):
    api.post(f"{INSTALLATION}/events", status=201)
    vercel_client.create_event(ICFG, InstallationUpdated(billing_plan_id="pro"))
    assert sent_json(api) == {"event": {"type": "installation.updated", "billingPlanId": "pro"}}


def test_v5_list_resources_maps_partner_id(api, vercel_client):
    api.get(
        f"{INSTALLATION}/resources",
        json={
            "resources": [
                {
                    "partnerId": "res_1",
                    "internalId": "store_abc",
                    "name": "db",
                    "productId": "acme-db",
                    "status": "ready",
                    "billingPlanId": "pro",
                    "notification": {"level": "info", "title": "Hi"},
                }
            ]
        },
    )
    [resource] = vercel_client.list_resources(ICFG)
    assert (resource.id, resource.internal_id, resource.status) == ("res_1", "store_abc", "ready")
    assert resource.notification == Notification("info", "Hi")


def test_v6_get_resource(api, vercel_client):
    api.get(
        f"{INSTALLATION}/resources/res_1",
        json={
            "id": "res_1",
            "internalId": "store_abc",
            "name": "db",
            "productId": "acme-db",
            "metadata": {"region": "iad1"},
        },
    )
    resource = vercel_client.get_resource(ICFG, "res_1")
    assert resource.metadata == {"region": "iad1"}
    assert resource.status is None


def test_ids_cannot_escape_their_path_segment(api, vercel_client):
    api.get(
        f"{INSTALLATION}/resources/..%2Fevil",
        json={"id": "x", "internalId": "y", "name": "n", "productId": "p"},
    )
    vercel_client.get_resource(ICFG, "../evil")
    assert sent(api).url == f"{INSTALLATION}/resources/..%2Fevil"


@pytest.mark.parametrize("resource_id", [".", ".."])
def test_an_id_that_is_a_dot_segment_is_refused(api, vercel_client, resource_id):
    """`/resources/..` would reach `/v1/installations/{id}` instead."""
    with pytest.raises(ValueError, match="cannot be an id"):
        vercel_client.get_resource(ICFG, resource_id)
    assert not api.calls


def test_v7_import_resource(api, vercel_client):
    api.put(f"{INSTALLATION}/resources/res_1", json={"name": "db"})
    name = vercel_client.import_resource(
        ICFG,
        "res_1",
        ResourceImport(
            product_id="acme-db",
            name="db",
            status="ready",
            ownership="owned",
            metadata={"region": "iad1"},
            billing_plan=PLAN,
            notification=Notification("info", "Welcome"),
            extras={"tier": 2},
            secrets=[SECRET],
        ),
    )
    assert name == "db"
    assert sent(api).method == "PUT"
    assert sent_json(api) == {
        "productId": "acme-db",
        "name": "db",
        "status": "ready",
        "ownership": "owned",
        "metadata": {"region": "iad1"},
        "billingPlan": PLAN,
        "notification": {"level": "info", "title": "Welcome"},
        "extras": {"tier": 2},
        "secrets": [SECRET_JSON],
    }


def test_v7_import_sends_only_the_required_fields_when_nothing_else_is_given(api, vercel_client):
    api.put(f"{INSTALLATION}/resources/res_1", json={"name": "db"})
    vercel_client.import_resource(ICFG, "res_1", ResourceImport("acme-db", "db", "pending"))
    assert sent_json(api) == {"productId": "acme-db", "name": "db", "status": "pending"}


def test_v8_update_resource_with_partial_secrets_and_cleared_notification(api, vercel_client):
    api.patch(f"{INSTALLATION}/resources/res_1", json={"name": "renamed"})
    name = vercel_client.update_resource(
        ICFG,
        "res_1",
        ResourceUpdate(name="renamed", notification=None, secrets=[SECRET], partial_secrets=True),
    )
    assert name == "renamed"
    assert sent_json(api) == {
        "name": "renamed",
        "notification": None,
        "secrets": {"secrets": [SECRET_JSON], "partial": True},
    }


def test_v8_secrets_replace_all_as_a_plain_array(api, vercel_client):
    api.patch(f"{INSTALLATION}/resources/res_1", json={"name": "db"})
    vercel_client.update_resource(ICFG, "res_1", ResourceUpdate(status="suspended", secrets=[]))
    assert sent_json(api) == {"status": "suspended", "secrets": []}


def test_v9_delete_resource(api, vercel_client):
    api.delete(f"{INSTALLATION}/resources/res_1", status=204)
    assert vercel_client.delete_resource(ICFG, "res_1") is None
    assert sent(api).method == "DELETE"
    assert sent(api).body is None


def test_v10_update_resource_secrets(api, vercel_client):
    api.put(f"{INSTALLATION}/resources/res_1/secrets", status=201)
    vercel_client.update_resource_secrets(ICFG, "res_1", [SECRET], partial=True)
    assert sent_json(api) == {"secrets": [SECRET_JSON], "partial": True}


def test_v10_without_partial_replaces_all(api, vercel_client):
    api.put(f"{INSTALLATION}/resources/res_1/secrets", status=201)
    vercel_client.update_resource_secrets(ICFG, "res_1", [Secret("A", "1")])
    assert sent_json(api) == {"secrets": [{"name": "A", "value": "1"}], "partial": False}


def test_v11_submit_billing_data(api, vercel_client):
    api.post(f"{INSTALLATION}/billing", status=201)
    vercel_client.submit_billing_data(
        ICFG,
        BillingData(
            timestamp=datetime(2026, 1, 20, 10, 5, tzinfo=UTC),
            eod=datetime(2026, 1, 20, tzinfo=UTC),
            period=PERIOD,
            items=[ITEM],
            discounts=[DISCOUNT],
            usage=[
                Usage(
                    name="Database size",
                    type="total",
                    units="GB",
                    day_value=Decimal("1.5"),
                    period_value=Decimal("1.5"),
                    resource_id="res_1",
                    plan_value=10,
                ),
                Usage(name="Queries", type="interval", units="q", day_value=10, period_value=300),
            ],
        ),
    )
    assert sent_json(api) == {
        "timestamp": "2026-01-20T10:05:00.000Z",
        "eod": "2026-01-20T00:00:00.000Z",
        "period": PERIOD_JSON,
        "billing": {"items": [ITEM_JSON], "discounts": [DISCOUNT_JSON]},
        "usage": [
            {
                "resourceId": "res_1",
                "name": "Database size",
                "type": "total",
                "units": "GB",
                "dayValue": 1.5,
                "periodValue": 1.5,
                "planValue": 10,
            },
            {
                "name": "Queries",
                "type": "interval",
                "units": "q",
                "dayValue": 10,
                "periodValue": 300,
            },
        ],
    }


def test_v12_submit_invoice(api, vercel_client):
    api.post(
        f"{INSTALLATION}/billing/invoices",
        json={"invoiceId": "inv_1", "test": True, "validationErrors": ["too small"]},
    )
    submitted = vercel_client.submit_invoice(
        ICFG,
        InvoiceSubmission(
            invoice_date=datetime(2026, 1, 31, tzinfo=UTC),
            period=PERIOD,
            items=[ITEM],
            external_id="ours-2026-01",
            memo="January",
            discounts=[DISCOUNT],
            final=True,
            test=InvoiceTest(validate=True, result="paid"),
        ),
    )
    assert (submitted.invoice_id, submitted.test) == ("inv_1", True)
    assert submitted.validation_errors == ("too small",)
    assert sent_json(api) == {
        "externalId": "ours-2026-01",
        "invoiceDate": "2026-01-31T00:00:00.000Z",
        "memo": "January",
        "period": PERIOD_JSON,
        "items": [ITEM_JSON],
        "discounts": [DISCOUNT_JSON],
        "final": True,
        "test": {"validate": True, "result": "paid"},
    }


def test_v12_a_plain_invoice_sends_no_optional_fields(api, vercel_client):
    api.post(f"{INSTALLATION}/billing/invoices", json={"invoiceId": "inv_2"})
    vercel_client.submit_invoice(
        ICFG, InvoiceSubmission(invoice_date=JAN, period=PERIOD, items=[ITEM])
    )
    assert sent_json(api) == {
        "invoiceDate": "2026-01-01T00:00:00.000Z",
        "period": PERIOD_JSON,
        "items": [ITEM_JSON],
    }


def test_v13_get_invoice_parses_money_and_dates(api, vercel_client):
    api.get(
        f"{INSTALLATION}/billing/invoices/inv_1",
        json={
            "invoiceId": "inv_1",
            "externalId": "ours-2026-01",
            "state": "issued",  # the example's older enum: kept as sent
            "invoiceDate": "2026-01-31T00:00:00.000Z",
            "period": PERIOD_JSON,
            "items": [ITEM_JSON],
            "discounts": [DISCOUNT_JSON],
            "total": "20.60",
            "refundTotal": "1.00",
            "paidAt": "2026-02-02T08:00:00.000Z",
            "created": "2026-01-31T00:00:01.000Z",
            "updated": "2026-02-02T08:00:00.000Z",
        },
    )
    invoice = vercel_client.get_invoice(ICFG, "inv_1")
    assert invoice.state == "issued"
    assert invoice.total == Decimal("20.60")
    assert invoice.refund_total == Decimal("1.00")
    assert invoice.paid_at == datetime(2026, 2, 2, 8, tzinfo=UTC)
    assert invoice.period == PERIOD
    assert invoice.items == (ITEM,)
    assert invoice.discounts == (DISCOUNT,)


def test_v14_refund_invoice(api, vercel_client):
    api.post(f"{INSTALLATION}/billing/invoices/inv_1/actions", status=204)
    vercel_client.refund_invoice(ICFG, "inv_1", reason="outage", total=Decimal("12.5"))
    assert sent_json(api) == {"action": "refund", "reason": "outage", "total": "12.50"}


def test_v15_submit_balances(api, vercel_client):
    api.post(f"{INSTALLATION}/billing/balance", status=201)
    vercel_client.submit_balances(
        ICFG,
        [
            Balance(currency_value_in_cents=1234),
            Balance(2000, resource_id="res_1", credit="2,000 Tokens", name_label="Tokens"),
        ],
        at=datetime(2026, 1, 20, 10, tzinfo=UTC),
    )
    assert sent_json(api) == {
        "timestamp": "2026-01-20T10:00:00.000Z",
        "balances": [
            {"currencyValueInCents": 1234},
            {
                "resourceId": "res_1",
                "currencyValueInCents": 2000,
                "credit": "2,000 Tokens",
                "nameLabel": "Tokens",
            },
        ],
    }


def test_v16_finalize_installation(api, vercel_client):
    api.post(f"{INSTALLATION}/billing/finalize", status=204)
    vercel_client.finalize_installation(ICFG)
    assert sent(api).method == "POST"
    assert sent(api).body is None


def test_v17_sso_exchange_sends_no_bearer_and_always_a_grant_type(api):
    api.post(
        f"{BASE}/v1/integrations/sso/token",
        json={"id_token": "eyJ.id.token", "access_token": None, "token_type": None},
    )
    tokens = VercelClient(BASE, None, user_agent=AGENT).exchange_sso_code(
        code="code-1",
        state="st-1",
        client_id="oac_Test",
        client_secret="integration-secret",
        redirect_uri="https://partner.test/callback",
    )
    assert tokens.id_token == "eyJ.id.token"
    assert tokens.access_token is None
    assert "Authorization" not in sent(api).headers
    assert sent_json(api) == {
        "code": "code-1",
        "state": "st-1",
        "client_id": "oac_Test",
        "client_secret": "integration-secret",
        "redirect_uri": "https://partner.test/callback",
        "grant_type": "authorization_code",
    }
    assert "eyJ" not in repr(tokens)


def test_v17_without_optional_fields(api):
    api.post(f"{BASE}/v1/integrations/sso/token", json={"id_token": "t"})
    VercelClient(BASE, None).exchange_sso_code(code="c", client_id="oac", client_secret="s")
    assert sent_json(api) == {
        "code": "c",
        "client_id": "oac",
        "client_secret": "s",
        "grant_type": "authorization_code",
    }


def test_calls_that_need_a_token_refuse_to_go_without_one(api):
    with pytest.raises(ValueError, match="token"):
        VercelClient(BASE, None).get_account(ICFG)
    assert len(api.calls) == 0


def test_v18_rotate_credentials(api, vercel_client):
    api.post(
        f"{INSTALLATION}/credentials/rotate",
        json={
            "access_token": "new-token",
            "token_type": "oauth2-token",
            "expires_in": 31536000,
            "scope": "read-write:integration-resource",
        },
    )
    rotated = vercel_client.rotate_credentials(
        ICFG, client_secret="integration-secret", client_id="oac_Test"
    )
    assert sent(api).headers["Authorization"] == f"Bearer {TOKEN}"
    assert sent_json(api) == {"client_secret": "integration-secret", "client_id": "oac_Test"}
    assert (rotated.access_token, rotated.token_type) == ("new-token", "oauth2-token")
    assert rotated.expires_in == 31536000
    assert "new-token" not in repr(rotated)


def test_v19_revoke_credential_names_the_retired_token(api):
    api.post(f"{INSTALLATION}/credentials/revoke", json={"revoked": True, "already_revoked": False})
    result = VercelClient(BASE, "new-token").revoke_credential(
        ICFG, token="old-token", client_secret="integration-secret"
    )
    assert result == RevokedCredential(revoked=True, already_revoked=False)
    assert sent(api).headers["Authorization"] == "Bearer new-token"
    assert sent_json(api) == {"token": "old-token", "client_secret": "integration-secret"}


def test_v19_an_empty_2xx_counts_as_revoked(api, vercel_client):
    api.post(f"{INSTALLATION}/credentials/revoke", status=204)
    result = vercel_client.revoke_credential(ICFG, token="old", client_secret="s")
    assert result.revoked is True


def test_an_answer_without_required_fields_is_a_typed_error(api, vercel_client):
    api.get(f"{INSTALLATION}/member/user_7", json={"role": "ADMIN"})
    with pytest.raises(UnexpectedResponse, match="KeyError"):
        vercel_client.get_member(ICFG, "user_7")


def test_a_2xx_that_is_not_json_is_a_typed_error(api, vercel_client):
    api.get(f"{INSTALLATION}/account", body="<html>maintenance</html>")
    with pytest.raises(UnexpectedResponse):
        vercel_client.get_account(ICFG)


def test_secret_values_stay_out_of_repr():
    assert "pw@" not in repr(SECRET)
