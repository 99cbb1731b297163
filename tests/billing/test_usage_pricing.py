"""Prices read from plans: the period price of subscriptions, unit prices of prepayment usage."""

from __future__ import annotations

from decimal import Decimal

import pytest

from partner_api.billing.pricing import period_price, usage_unit_price

CREDITS = {
    "id": "credits",
    "type": "prepayment",
    "name": "Credits",
    "description": "Pay as you go",
    "details": [
        {"label": "Storage", "value": "$0.30 per GB"},
        {"label": "Queries", "value": "$0.0004 per query"},
        {"label": "Support"},
    ],
}


def test_a_subscription_costs_its_initial_charge_per_period():
    pro = {"id": "pro", "type": "subscription", "initialCharge": "20.00", "cost": "$20.00/month"}
    assert period_price(pro) == Decimal("20.00")


def test_a_subscription_without_an_initial_charge_costs_nothing():
    free = {"id": "free", "type": "subscription", "paymentMethodRequired": False, "cost": "Free"}
    assert period_price(free) == Decimal("0.00")
    assert str(period_price(free)) == "0.00"


@pytest.mark.parametrize(
    ("metric", "units", "price"),
    [
        ("Queries", "query", Decimal("0.0004")),
        ("queries ", "QUERY", Decimal("0.0004")),
        ("Storage", "GB", Decimal("0.30")),
        ("Storage", "bytes", None),
        ("Bandwidth", "GB", None),
        ("Support", "hours", None),
    ],
)
def test_a_prepayment_plan_prices_the_metrics_its_details_price(metric, units, price):
    assert usage_unit_price(CREDITS, metric, units) == price


def test_only_prepayment_plans_price_usage():
    subscription = {**CREDITS, "type": "subscription"}
    assert usage_unit_price(subscription, "Queries", "query") is None
    assert usage_unit_price(None, "Queries", "query") is None


@pytest.mark.parametrize("value", ["0.0004 per query", "$0.0004/query", "$ per query", "about $1"])
def test_details_that_do_not_state_a_unit_price_price_nothing(value):
    plan = {**CREDITS, "details": [{"label": "Queries", "value": value}]}
    assert usage_unit_price(plan, "Queries", "query") is None
