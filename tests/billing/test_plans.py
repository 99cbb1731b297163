"""Plan listings (§3.2.1, §3.4.11, §3.4.13) and the catalog checks behind them."""

from __future__ import annotations

import copy
import json
import re
from importlib import resources
from pathlib import Path
from typing import Any

import pytest

from partner_api import create_app
from tests.conftest import INSTALLATION_ID
from tests.dbstate import snapshot

PRODUCT_PLANS = "/v1/products/{slug}/plans"
INSTALLATION_PLANS = f"/v1/installations/{INSTALLATION_ID}/plans"
MONEY_FIELDS = (
    "initialCharge",
    "minimumAmount",
    "maximumAmount",
    "maximumAmountAutoPurchasePerPeriod",
)
MONEY = re.compile(r"^[0-9]+(\.[0-9]+)?$")


def example_catalog() -> dict[str, Any]:
    text = resources.files("partner_api.catalog").joinpath("example_catalog.json").read_text()
    return json.loads(text)


def write_catalog(directory: Path, catalog: dict[str, Any]) -> str:
    path = directory / "catalog.json"
    path.write_text(json.dumps(catalog))
    return str(path)


def assert_documented_shape(plan: dict[str, Any], scope: str) -> None:
    assert plan["scope"] == scope
    assert plan["type"] in ("prepayment", "subscription")
    for name in MONEY_FIELDS:
        if name in plan:
            assert isinstance(plan[name], str) and MONEY.match(plan[name]), (name, plan[name])
    if "preauthorizationAmount" in plan:
        amount = plan["preauthorizationAmount"]
        assert isinstance(amount, int | float) and not isinstance(amount, bool)


# --- List Billing Plans For Product ------------------------------------------------------


def test_product_plans_are_the_catalog_plans_with_resource_scope(client, vercel):
    response = client.get(PRODUCT_PLANS.format(slug="demo"), headers=vercel.system())
    assert response.status_code == 200
    plans = response.get_json()["plans"]
    expected = [{**plan, "scope": "resource"} for plan in example_catalog()["products"][0]["plans"]]
    assert plans == expected
    for plan in plans:
        assert_documented_shape(plan, "resource")
    credits = next(plan for plan in plans if plan["type"] == "prepayment")
    assert credits["minimumAmount"] == "10.00"
    assert credits["maximumAmountAutoPurchasePerPeriod"] == "500.00"


def test_every_billing_plan_field_is_served_as_documented(app_settings, tmp_path, vercel):
    """A plan using every §3.2.1 field comes back unchanged, money still as strings."""
    plan = {
        "id": "everything",
        "type": "subscription",
        "name": "Everything",
        "scope": "resource",
        "description": "Uses every field.",
        "paymentMethodRequired": True,
        "preauthorizationAmount": 10.53,
        "initialCharge": "20.00",
        "cost": "$20.00/month",
        "details": [{"label": "Storage", "value": "20 GB"}, {"label": "Support"}],
        "highlightedDetails": [{"label": "Backups", "value": "Daily"}],
        "quote": [{"line": "Base", "amount": "20.00"}, {"line": "Replicas", "amount": "4.5"}],
        "effectiveDate": "2026-02-01T00:00:00Z",
        "disabled": False,
        "requiredPolicies": [{"id": "toc", "name": "Terms", "url": "https://example.com/t"}],
    }
    prepaid = {
        "id": "prepaid",
        "type": "prepayment",
        "name": "Prepaid",
        "description": "Credits.",
        "minimumAmount": "5",
        "maximumAmount": "1000.00",
        "maximumAmountAutoPurchasePerPeriod": "250.50",
    }
    catalog = example_catalog()
    catalog["products"][0]["plans"] = [plan, prepaid]
    app = create_app({**app_settings, "CATALOG_PATH": write_catalog(tmp_path, catalog)})

    response = app.test_client().get(PRODUCT_PLANS.format(slug="demo"), headers=vercel.system())

    assert response.status_code == 200
    assert response.get_json()["plans"] == [plan, {**prepaid, "scope": "resource"}]
    assert '"preauthorizationAmount":10.53' in response.get_data(as_text=True).replace(" ", "")


def test_unknown_product_is_404(client, vercel):
    response = client.get(PRODUCT_PLANS.format(slug="no-such-product"), headers=vercel.system())
    assert response.status_code == 404
    assert response.get_json()["error"]["code"] == "not_found"


METADATA_QUERIES = {
    "valid_object": '{"region": "sfo1"}',
    "partial_object": '{"region": ',
    "invalid_json": "not json at all",
    "json_array": '["region", "sfo1"]',
    "json_string": '"sfo1"',
    "json_null": "null",
    "empty": "",
    "huge_string": json.dumps({"region": "x" * 200_000}),
    "deeply_nested": "[" * 100_000 + "]" * 100_000,
    "deeply_nested_object": '{"a":' * 50_000 + "1" + "}" * 50_000,
}


@pytest.mark.parametrize("metadata", METADATA_QUERIES.values(), ids=METADATA_QUERIES.keys())
def test_metadata_query_never_breaks_the_listing(client, vercel, metadata):
    """§7.19: the form may be half filled in; whatever arrives, the plans are listed."""
    headers = vercel.system(installation_id=None, account_id=None)
    without = client.get(PRODUCT_PLANS.format(slug="demo"), headers=headers)
    response = client.get(
        PRODUCT_PLANS.format(slug="demo"), query_string={"metadata": metadata}, headers=headers
    )
    assert response.status_code == 200, response.get_data(as_text=True)[:300]
    assert response.get_json() == without.get_json()


# --- List Billing Plans For Installation --------------------------------------------------


def test_installation_plans_have_installation_scope(client, vercel, installed):
    response = client.get(INSTALLATION_PLANS, headers=vercel.system())
    assert response.status_code == 200
    plans = response.get_json()["plans"]
    assert [plan["id"] for plan in plans] == ["starter", "team"]
    for plan in plans:
        assert_documented_shape(plan, "installation")
    team = plans[1]
    assert team["preauthorizationAmount"] == 25
    assert team["initialCharge"] == "25.00"
    assert team["highlightedDetails"] == [{"label": "SLA", "value": "99.9%"}]


def test_installation_plans_of_an_unknown_installation_are_404(client, vercel):
    response = client.get(INSTALLATION_PLANS, headers=vercel.system())
    assert response.status_code == 404
    assert response.get_json()["error"]["code"] == "not_found"


def test_installation_plans_after_uninstall_are_404(client, vercel, installed):
    client.delete(f"/v1/installations/{INSTALLATION_ID}", headers=vercel.user())
    before = snapshot()
    response = client.get(INSTALLATION_PLANS, headers=vercel.system())
    assert response.status_code == 404
    assert response.get_json()["error"]["code"] == "not_found"
    assert snapshot() == before


# --- catalog loading ------------------------------------------------------------------------


def _bad_plan_type(catalog):
    catalog["products"][0]["plans"][0]["type"] = "lifetime"


def _duplicate_plan_id(catalog):
    plans = catalog["products"][0]["plans"]
    plans[1]["id"] = plans[0]["id"]


def _bad_metadata_schema(catalog):
    catalog["products"][0]["metadataSchema"]["properties"]["replicas"]["type"] = "integerish"


def _metadata_schema_not_an_object(catalog):
    catalog["products"][0]["metadataSchema"] = {"type": "array"}


def _unknown_key(catalog):
    catalog["products"][0]["plans"][0]["colour"] = "blue"


def _bad_money(catalog):
    catalog["products"][0]["plans"][1]["initialCharge"] = "$20"


def _duplicate_product(catalog):
    catalog["products"][1]["slug"] = catalog["products"][0]["slug"]


def _installation_plan_with_resource_scope(catalog):
    catalog["installationPlans"][0]["scope"] = "resource"


def _unknown_default_installation_plan(catalog):
    catalog["defaultInstallationPlanId"] = "platinum"


CATALOG_MISTAKES = {
    "bad_plan_type": (_bad_plan_type, ["type", "prepayment, subscription"]),
    "duplicate_plan_id": (_duplicate_plan_id, ["'demo-free'", "appears twice"]),
    "bad_metadata_schema": (_bad_metadata_schema, ["'demo'", "metadataSchema", "integerish"]),
    "metadata_schema_not_object": (_metadata_schema_not_an_object, ["'demo'", "'object'"]),
    "unknown_key": (_unknown_key, ["colour", "Unknown field"]),
    "bad_money": (_bad_money, ["initialCharge", "decimal string"]),
    "duplicate_product": (_duplicate_product, ["'demo'", "appears twice"]),
    "installation_plan_scope": (_installation_plan_with_resource_scope, ["'starter'", "scope"]),
    "unknown_default_plan": (_unknown_default_installation_plan, ["'platinum'"]),
}


@pytest.mark.parametrize("mistake", CATALOG_MISTAKES.values(), ids=CATALOG_MISTAKES.keys())
def test_a_bad_catalog_stops_the_app_naming_the_problem(app_settings, tmp_path, mistake):
    break_it, named = mistake
    catalog = copy.deepcopy(example_catalog())
    break_it(catalog)
    path = write_catalog(tmp_path, catalog)
    with pytest.raises(SystemExit) as caught:  # one line, no traceback
        create_app({**app_settings, "CATALOG_PATH": path})
    message = str(caught.value)
    assert path in message
    for fragment in named:
        assert fragment in message


def test_a_missing_catalog_file_stops_the_app(app_settings, tmp_path):
    path = str(tmp_path / "nowhere" / "catalog.json")
    with pytest.raises(SystemExit, match="cannot be read") as caught:
        create_app({**app_settings, "CATALOG_PATH": path})
    assert path in str(caught.value)


def test_a_catalog_that_is_not_json_stops_the_app(app_settings, tmp_path):
    path = tmp_path / "catalog.json"
    path.write_text("{products: []")
    with pytest.raises(SystemExit, match="not valid JSON"):
        create_app({**app_settings, "CATALOG_PATH": str(path)})


# --- products that need a setting ---------------------------------------------------------


def gated_catalog(directory: Path) -> str:
    """The demo product, and a copy of it that needs POSTGRES_PROVIDER_ADMIN_URL."""
    catalog = example_catalog()
    demo = catalog["products"][0]
    gated = {**copy.deepcopy(demo), "slug": "gated", "requires": ["POSTGRES_PROVIDER_ADMIN_URL"]}
    catalog["products"] = [demo, gated]
    return write_catalog(directory, catalog)


@pytest.mark.parametrize(
    ("admin_url", "status"), [(None, 404), ("", 404), ("postgresql://admin@db.invalid/x", 200)]
)
def test_a_product_that_requires_a_setting_is_offered_only_with_it(
    app_settings, tmp_path, vercel, admin_url, status
):
    settings = {**app_settings, "CATALOG_PATH": gated_catalog(tmp_path)}
    settings["POSTGRES_PROVIDER_ADMIN_URL"] = admin_url
    client = create_app(settings).test_client()
    response = client.get(PRODUCT_PLANS.format(slug="gated"), headers=vercel.system())
    assert response.status_code == status
    assert client.get(PRODUCT_PLANS.format(slug="demo"), headers=vercel.system()).status_code == 200


def test_the_shipped_postgres_product_is_hidden_without_its_cluster(client, vercel):
    response = client.get(PRODUCT_PLANS.format(slug="postgres"), headers=vercel.system())
    assert response.status_code == 404
