"""The contract's JSON Schemas accept what the contract allows and name what it does not."""

from __future__ import annotations

import pytest

from partner_api_check import events
from partner_api_check.schemas import EVENT_FIELDS, SCHEMAS, problems

PLAN = {
    "id": "pro200",
    "type": "subscription",
    "name": "Pro",
    "description": "Use all you want up to 20G",
    "paymentMethodRequired": True,
    "preauthorizationAmount": 10.53,
    "initialCharge": "20.00",
    "cost": "$20.00/month",
    "details": [{"label": "Storage", "value": "20 GB"}],
    "quote": [{"line": "Base", "amount": "20.00"}],
}
RESOURCE = {
    "id": "res_1",
    "productId": "redis",
    "name": "cache",
    "metadata": {"region": "iad1", "replicas": 2, "ha": True, "zones": ["a", "b"]},
    "status": "pending",
    "billingPlan": PLAN,
    "notification": {"level": "warn", "title": "Almost full", "href": "sso:https://p/x"},
}
SECRETS = [{"name": "REDIS_URL", "value": "redis://u:p@h", "prefix": "ACME",
            "environmentOverrides": {"preview": "redis://preview"}}]


def test_every_schema_is_listed_under_its_name():
    assert {"BillingPlan", "Notification", "Resource", "Secret", "Plans", "Error",
            "RotatedNow", "RotatingLater", "ReplBlocks"} <= set(SCHEMAS)


@pytest.mark.parametrize(("schema", "instance"), [
    ("BillingPlan", PLAN),
    ("Plans", {"plans": [PLAN, {**PLAN, "id": "credits", "type": "prepayment",
                                "minimumAmount": "10", "extra": "tolerated"}]}),
    ("Resource", RESOURCE),
    ("Resource", {**RESOURCE, "notification": None}),
    ("ProvisionedResource", {**RESOURCE, "secrets": SECRETS}),
    ("Installation", {}),
    ("Installation", {"billingPlan": PLAN, "notification": None}),
    ("DeletedInstallation", {"finalized": False}),
    ("Error", {"error": {"code": "not_found", "message": "No such resource."}}),
    ("ValidationError", {"error": {"code": "validation_error", "message": "Bad.",
                                   "fields": [{"key": "region", "message": "Invalid"}]}}),
    ("RotatedNow", {"sync": True, "secrets": SECRETS, "partial": False}),
    ("RotatingLater", {"sync": False}),
    ("UpdateResourceSecrets", {"secrets": SECRETS}),
    ("UpdateResourceSecrets", {"secrets": SECRETS, "partial": True}),
    ("ReplBlocks", [
        {"type": "paragraph", "children": [{"type": "text", "text": "OK", "bold": True}]},
        {"type": "table", "header": [{"type": "text", "text": "key"}],
         "rows": [[{"type": "text", "text": "a"}]]},
    ]),
])
def test_contract_shapes_fit(schema, instance):
    assert problems(schema, instance) == []


@pytest.mark.parametrize(("schema", "instance", "expected"), [
    ("BillingPlan", {**PLAN, "type": "monthly"}, "$.type: 'monthly' is not one of"),
    ("BillingPlan", {**PLAN, "initialCharge": "$20"}, "$.initialCharge: '$20' does not match"),
    ("BillingPlan", {key: v for key, v in PLAN.items() if key != "description"},
     "$: 'description' is a required property"),
    ("Plans", {"plans": [{**PLAN, "details": [{"value": "x"}]}]},
     "$.plans[0].details[0]: 'label' is a required property"),
    ("Notification", {"level": "warning", "title": "x"}, "$.level: 'warning' is not one of"),
    ("Notification", {"level": "info", "title": "x", "href": "javascript:alert(1)"},
     "$.href: 'javascript:alert(1)' does not match"),
    ("Resource", {**RESOURCE, "status": "deleted"}, "$.status: 'deleted' is not one of"),
    ("Resource", {**RESOURCE, "metadata": {"region": {"nested": 1}}}, "$.metadata.region:"),
    ("ProvisionedResource", RESOURCE, "$: 'secrets' is a required property"),
    ("ProvisionedResource", {**RESOURCE, "secrets": []}, "$.secrets: fails the 'minItems' rule"),
    ("Error", {"message": "flat"}, "$: 'error' is a required property"),
    ("Error", {"error": {"code": "x"}}, "$.error: 'message' is a required property"),
    ("ValidationError", {"error": {"code": "x", "message": "y"}},
     "$.error: 'fields' is a required property"),
    ("RotatedNow", {"sync": True}, "$: 'secrets' is a required property"),
    ("RotatingLater", {"sync": True}, "$.sync: False was expected"),
    ("UpdateResourceSecrets", {"secrets": []}, "$.secrets: fails the 'minItems' rule"),
    ("UpdateResourceSecrets", {"secrets": SECRETS, "partial": "yes"}, "$.partial: 'yes' is not"),
    ("UpdateResourceSecrets", {"secret": SECRETS}, "$: 'secrets' is a required property"),
    ("ReplBlocks", [{"type": "heading", "text": "x"}], "$[0]:"),
])
def test_deviations_are_named_with_their_location(schema, instance, expected):
    assert any(line.startswith(expected) for line in problems(schema, instance)), (
        problems(schema, instance))


def test_a_secret_value_never_appears_in_a_problem():
    leaked = {**RESOURCE, "secrets": [{"name": "TOKEN", "value": 1234567890},
                                      {"name": "", "value": "hunter2-secret"}]}
    found = problems("ProvisionedResource", leaked)
    assert found == ["$.secrets[0].value: fails the 'type' rule",
                     "$.secrets[1].name: fails the 'minLength' rule"]
    assert not any("1234567890" in line or "hunter2" in line for line in found)


@pytest.mark.parametrize("event_type", list(events.PAYLOADS))
def test_the_kits_webhook_deliveries_have_the_documented_shape(event_type):
    delivered = events.event(event_type)
    assert problems("WebhookEvent", delivered) == []
    for field in EVENT_FIELDS[event_type]:
        incomplete = {**delivered, "payload": {key: value for key, value in
                                               delivered["payload"].items() if key != field}}
        assert problems("WebhookEvent", incomplete) == [
            f"$.payload: '{field}' is a required property"]


def test_every_documented_event_type_is_delivered():
    assert set(events.PAYLOADS) == set(EVENT_FIELDS)
    assert problems("WebhookEvent", {**events.event("marketplace.member.changed"),
                                     "type": "marketplace.member.renamed"})


BILLING_ITEM = {"billingPlanId": "pro", "resourceId": "res_1", "name": "Pro", "price": "10.00",
                "quantity": 1, "units": "month", "total": "10.00"}
BILLING_DATA = {"timestamp": "2026-01-01T01:00:00.000Z", "eod": "2026-01-01T00:00:00.000Z",
                "period": {"start": "2026-01-01T00:00:00.000Z",
                           "end": "2026-02-01T00:00:00.000Z"},
                "billing": [BILLING_ITEM],
                "usage": [{"name": "Keys", "type": "total", "units": "keys", "dayValue": 3,
                           "periodValue": 3}]}


def test_billing_data_in_either_documented_form_fits():
    assert problems("SubmitBillingData", BILLING_DATA) == []
    as_object = {**BILLING_DATA, "billing": {"items": [BILLING_ITEM], "discounts": [
        {"billingPlanId": "pro", "name": "Launch", "amount": "1.00"}]}}
    assert problems("SubmitBillingData", as_object) == []


def test_billing_data_names_the_field_at_fault():
    wrong = {**BILLING_DATA, "billing": {"items": [{**BILLING_ITEM, "colour": "red"}]},
             "usage": [{**BILLING_DATA["usage"][0], "type": "peak"}]}
    assert problems("SubmitBillingData", wrong) == [
        "$.billing.items[0]: Additional properties are not allowed ('colour' was unexpected)",
        "$.usage[0].type: 'peak' is not one of ['total', 'interval', 'rate']",
    ]
