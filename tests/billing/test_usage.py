"""Usage readings: one per metric and day, replaced by the latest; priced usage draws credit."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from partner_api.billing import usage
from partner_api.catalog import current_catalog
from partner_api.extensions import db
from partner_api.providers.base import UsageReading
from partner_api.resources.models import Resource
from tests.billing.usage_support import (
    balances,
    metered,
    price_queries,
    provision,
    queries,
    set_balance,
    usage_rows,
    use_catalog,
)
from tests.conftest import INSTALLATION_ID

MORNING = datetime(2026, 3, 15, 9, tzinfo=UTC)


def collect(at: datetime) -> int:
    count = usage.collect(INSTALLATION_ID, at, current_catalog())
    db.session.commit()
    return count


def size(megabytes: float) -> UsageReading:
    return UsageReading(
        "Database size", "total", "MB", day_value=megabytes, period_value=megabytes, plan_value=512
    )


def test_a_day_keeps_one_reading_per_metric_replaced_by_the_latest(
    client, vercel, installed, monkeypatch
):
    store = provision(client, vercel, "demo-free")
    readings = {store: [size(10.5), queries(100)]}
    metered(monkeypatch, readings)

    assert collect(MORNING) == 2
    readings[store] = [size(12.25), queries(180, today=80)]
    collect(MORNING + timedelta(hours=5))

    rows = usage_rows()
    assert [(r.day, r.name, r.type, r.units) for r in rows] == [
        (date(2026, 3, 15), "Database size", "total", "MB"),
        (date(2026, 3, 15), "Queries", "interval", "query"),
    ]
    assert [(r.day_value, r.period_value, r.plan_value) for r in rows] == [
        (12.25, 12.25, 512),
        (80, 180, None),
    ]
    assert all(row.installation_id == INSTALLATION_ID and row.resource_id == store for row in rows)


def test_the_next_day_gets_its_own_readings(client, vercel, installed, monkeypatch):
    store = provision(client, vercel, "demo-free")
    readings = {store: [queries(100)]}
    metered(monkeypatch, readings)

    collect(MORNING)
    readings[store] = [queries(250, today=150)]
    collect(MORNING + timedelta(days=1))

    assert [(r.day, r.day_value, r.period_value) for r in usage_rows()] == [
        (date(2026, 3, 15), 100, 100),
        (date(2026, 3, 16), 150, 250),
    ]


def test_a_failing_provider_only_loses_its_own_resource(client, vercel, installed, monkeypatch):
    healthy = provision(client, vercel, "demo-free", name="healthy")
    provision(client, vercel, "demo-free", name="broken")  # not in the readings: raises
    metered(monkeypatch, {healthy: [size(1)]})

    assert collect(MORNING) == 1
    assert [row.resource_id for row in usage_rows()] == [healthy]


def test_deleted_resources_are_not_measured(client, vercel, installed, monkeypatch):
    kept = provision(client, vercel, "demo-free", name="kept")
    gone = provision(client, vercel, "demo-free", name="gone")
    metered(monkeypatch, {kept: [size(1)], gone: [size(2)]})
    response = client.delete(
        f"/v1/installations/{INSTALLATION_ID}/resources/{gone}", headers=vercel.user()
    )
    assert response.status_code == 204

    collect(MORNING)
    assert [row.resource_id for row in usage_rows()] == [kept]


def test_the_day_s_readings_are_the_v11_usage_entries(client, vercel, installed, monkeypatch):
    store = provision(client, vercel, "demo-free")
    metered(monkeypatch, {store: [size(3), queries(7)]})
    collect(MORNING)

    entries = [entry.to_json() for entry in usage.readings(INSTALLATION_ID, date(2026, 3, 15))]
    assert entries == [
        {
            "resourceId": store,
            "name": "Database size",
            "type": "total",
            "units": "MB",
            "dayValue": 3,
            "periodValue": 3,
            "planValue": 512,
        },
        {
            "resourceId": store,
            "name": "Queries",
            "type": "interval",
            "units": "query",
            "dayValue": 7,
            "periodValue": 7,
        },
    ]
    assert usage.readings(INSTALLATION_ID, date(2026, 3, 16)) == []


# --- drawdown ---------------------------------------------------------------------------------


def test_priced_usage_draws_the_growth_of_the_running_total_once(
    app, client, vercel, installed, monkeypatch, tmp_path
):
    use_catalog(app, monkeypatch, tmp_path, price_queries)
    store = provision(client, vercel, "demo-credits")
    set_balance(INSTALLATION_ID, store, 1000)
    readings = {store: [queries(10_000)]}  # 10,000 × $0.0004 = $4.00
    metered(monkeypatch, readings)

    collect(MORNING)
    assert balances() == {store: 600}
    collect(MORNING + timedelta(minutes=30))  # the same total again: nothing more
    assert balances() == {store: 600}

    readings[store] = [queries(12_500)]  # $5.00 so far: $1.00 more
    collect(MORNING + timedelta(hours=1))
    assert balances() == {store: 500}

    readings[store] = [queries(13_000, today=500)]  # the next day: $5.20 so far
    collect(MORNING + timedelta(days=1))
    assert balances() == {store: 480}
    assert [row.charged_cents for row in usage_rows()] == [500, 520]


def test_a_new_period_charges_its_own_running_total(
    app, client, vercel, installed, monkeypatch, tmp_path
):
    use_catalog(app, monkeypatch, tmp_path, price_queries)
    store = provision(client, vercel, "demo-credits")
    set_balance(INSTALLATION_ID, store, 1000)
    readings = {store: [queries(10_000)]}
    metered(monkeypatch, readings)

    collect(datetime(2026, 3, 31, 23, tzinfo=UTC))
    readings[store] = [queries(1_000)]  # the provider's total restarted with April
    collect(datetime(2026, 4, 1, 1, tzinfo=UTC))

    assert balances() == {store: 1000 - 400 - 40}


def test_sub_cent_charges_wait_until_they_make_a_whole_cent(
    app, client, vercel, installed, monkeypatch, tmp_path
):
    use_catalog(app, monkeypatch, tmp_path, price_queries)
    store = provision(client, vercel, "demo-credits")
    set_balance(INSTALLATION_ID, store, 1000)
    readings = {store: [queries(20)]}  # $0.008: not a cent yet
    metered(monkeypatch, readings)

    collect(MORNING)
    assert balances() == {store: 1000}
    readings[store] = [queries(30)]  # $0.012: one cent
    collect(MORNING + timedelta(hours=1))
    assert balances() == {store: 999}


def test_without_its_own_credit_a_resource_draws_the_installation_s(
    app, client, vercel, installed, monkeypatch, tmp_path
):
    use_catalog(app, monkeypatch, tmp_path, price_queries)
    store = provision(client, vercel, "demo-credits")
    set_balance(INSTALLATION_ID, None, 1000)
    metered(monkeypatch, {store: [queries(10_000)]})

    collect(MORNING)
    assert balances() == {None: 600}


def test_a_balance_stops_at_zero(app, client, vercel, installed, monkeypatch, tmp_path):
    use_catalog(app, monkeypatch, tmp_path, price_queries)
    store = provision(client, vercel, "demo-credits")
    set_balance(INSTALLATION_ID, store, 150)
    metered(monkeypatch, {store: [queries(10_000)]})

    collect(MORNING)
    assert balances() == {store: 0}


def test_usage_is_not_drawn_without_a_price_a_balance_or_a_prepayment_plan(
    app, client, vercel, installed, monkeypatch, tmp_path
):
    unpriced = provision(client, vercel, "demo-credits", name="unpriced")
    set_balance(INSTALLATION_ID, unpriced, 1000)
    metered(monkeypatch, {unpriced: [queries(10_000)]})
    collect(MORNING)
    assert balances() == {unpriced: 1000}  # the example catalog prices no queries

    use_catalog(app, monkeypatch, tmp_path, price_queries)
    subscribed = provision(client, vercel, "demo-pro", name="subscribed")
    set_balance(INSTALLATION_ID, subscribed, 1000)
    storage = UsageReading("Storage", "total", "GB", day_value=3, period_value=3)
    metered(monkeypatch, {unpriced: [storage], subscribed: [queries(10_000)]})
    collect(MORNING + timedelta(hours=1))

    # "Storage" has a price ($0.30 per GB) but is a measured total, not usage over time.
    assert balances() == {unpriced: 1000, subscribed: 1000}


def test_no_credit_means_nothing_is_drawn_and_no_balance_appears(
    app, client, vercel, installed, monkeypatch, tmp_path
):
    use_catalog(app, monkeypatch, tmp_path, price_queries)
    store = provision(client, vercel, "demo-credits")
    metered(monkeypatch, {store: [queries(10_000)]})

    collect(MORNING)
    assert balances() == {}
    assert usage_rows()[0].charged_cents == 400
    assert db.session.get(Resource, store) is not None
