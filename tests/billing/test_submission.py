"""Hourly billing data (V11) and prepayment balances (V15): the exact bodies Vercel receives."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest
import responses
from sqlalchemy import select

from partner_api.billing import submission
from partner_api.extensions import db
from partner_api.installations.models import Installation
from partner_api.jobs import schedule
from partner_api.jobs.models import DEAD, DONE, PENDING, Job
from partner_api.jobs.queue import run_due
from partner_api.resources.models import Resource
from tests.billing.usage_support import (
    backdate,
    backdate_installation_plan,
    metered,
    provision,
    queries,
    set_balance,
    usage_rows,
)
from tests.conftest import INSTALLATION_ID

NOW = datetime(2026, 3, 15, 10, 30, tzinfo=UTC)
FEBRUARY = datetime(2026, 2, 10, tzinfo=UTC)
API = "https://api.vercel.com"
BILLING = f"{API}/v1/installations/{INSTALLATION_ID}/billing"
BALANCE = f"{BILLING}/balance"
MARCH = {"start": "2026-03-01T00:00:00.000Z", "end": "2026-04-01T00:00:00.000Z"}


@pytest.fixture
def vercel_api():
    with responses.RequestsMock() as mock:
        yield mock


def bodies(mock, url: str) -> list[dict]:
    return [json.loads(call.request.body) for call in mock.calls if call.request.url == url]


def at(monkeypatch, moment: datetime) -> None:
    """The submission job runs at `moment`."""
    monkeypatch.setattr(submission, "utcnow", lambda: moment)


def run_submissions(slot: datetime) -> None:
    """The hourly schedule for `slot`, then every job it leads to."""
    schedule.schedule_due(slot)
    db.session.commit()
    run_due()


def jobs(kind: str) -> list[Job]:
    db.session.expire_all()
    return list(db.session.scalars(select(Job).where(Job.kind == kind).order_by(Job.id)))


def set_installation_plan(client, vercel, plan: str) -> None:
    response = client.patch(
        f"/v1/installations/{INSTALLATION_ID}", json={"billingPlanId": plan}, headers=vercel.user()
    )
    assert response.status_code == 200, response.get_json()


@pytest.fixture
def billed(client, vercel, installed, monkeypatch) -> dict[str, str]:
    """An installation on the Team plan since February, with a Pro, a free and a prepaid
    resource made then."""
    set_installation_plan(client, vercel, "team")
    backdate_installation_plan(FEBRUARY)
    resources = {
        "pro": provision(client, vercel, "demo-pro", name="pro-store"),
        "free": provision(client, vercel, "demo-free", name="free-store"),
        "credits": provision(client, vercel, "demo-credits", name="credit-store"),
    }
    for hours, resource_id in enumerate(resources.values()):
        backdate(resource_id, FEBRUARY + timedelta(hours=hours))
    metered(
        monkeypatch,
        {
            resources["pro"]: [queries(5_000, today=1_200)],
            resources["free"]: [],
            resources["credits"]: [queries(40)],
        },
    )
    return resources


def item(plan: str, name: str, details: str, price: str, resource: str | None = None) -> dict:
    entry = {"billingPlanId": plan, "name": name, "details": details, "price": price}
    if resource:
        entry["resourceId"] = resource
    return {**entry, "quantity": 1, "units": "month", "total": price}


def query_usage(resource: str, day: int, period: int) -> dict:
    return {
        "resourceId": resource,
        "name": "Queries",
        "type": "interval",
        "units": "query",
        "dayValue": day,
        "periodValue": period,
    }


def test_the_hourly_job_sends_billing_data_and_balances(billed, vercel_api, monkeypatch):
    vercel_api.post(BILLING, status=201)
    vercel_api.post(BALANCE, status=201)
    at(monkeypatch, NOW)

    run_submissions(NOW)

    usage = sorted(
        [query_usage(billed["pro"], 1_200, 5_000), query_usage(billed["credits"], 40, 40)],
        key=lambda entry: entry["resourceId"],
    )
    assert bodies(vercel_api, BILLING) == [
        {
            "timestamp": "2026-03-15T10:30:00.000Z",
            "eod": "2026-03-15T23:59:59.999Z",
            "period": MARCH,
            "billing": {
                "items": [
                    item("team", "Team", "Installation plan", "25.00"),
                    item("demo-pro", "Demo Store Pro", "pro-store", "20.00", billed["pro"]),
                ]  # the free and the prepaid resource bill nothing
            },
            "usage": usage,
        }
    ]
    assert bodies(vercel_api, BALANCE) == [
        {
            "timestamp": "2026-03-15T10:30:00.000Z",
            "balances": [{"resourceId": billed["credits"], "currencyValueInCents": 0}],
        }
    ]
    assert vercel_api.calls[0].request.headers["Authorization"] == "Bearer vercel-access-token-1"
    assert [job.state for job in jobs(submission.SUBMIT_INSTALLATION)] == [DONE]


def test_installation_credit_is_reported_instead_of_empty_resource_balances(
    billed, vercel_api, monkeypatch
):
    set_balance(INSTALLATION_ID, None, 2_500, credit="2,500 Tokens", name_label="Tokens")
    set_balance(INSTALLATION_ID, billed["pro"], 75)
    vercel_api.post(BILLING, status=201)
    vercel_api.post(BALANCE, status=201)
    at(monkeypatch, NOW)

    run_submissions(NOW)

    assert bodies(vercel_api, BALANCE)[0]["balances"] == [
        {"currencyValueInCents": 2_500, "credit": "2,500 Tokens", "nameLabel": "Tokens"},
        {"resourceId": billed["pro"], "currencyValueInCents": 75},
    ]


def test_without_prepayment_no_balances_are_sent(
    client, vercel, installed, vercel_api, monkeypatch
):
    pro = provision(client, vercel, "demo-pro")
    backdate(pro, FEBRUARY)
    metered(monkeypatch, {pro: []})
    vercel_api.post(BILLING, status=201)
    at(monkeypatch, NOW)

    run_submissions(NOW)

    (body,) = bodies(vercel_api, BILLING)
    assert body["usage"] == []
    assert body["billing"]["items"] == [item("demo-pro", "Demo Store Pro", "store", "20.00", pro)]
    assert len(vercel_api.calls) == 1


@pytest.mark.parametrize(
    ("moment", "eod", "period"),
    [
        (
            datetime(2026, 3, 31, 23, 30, tzinfo=UTC),
            "2026-03-31T23:59:59.999Z",
            MARCH,
        ),
        (
            datetime(2026, 4, 1, 0, 10, tzinfo=UTC),
            "2026-04-01T23:59:59.999Z",
            {"start": "2026-04-01T00:00:00.000Z", "end": "2026-05-01T00:00:00.000Z"},
        ),
        (
            datetime(2028, 2, 29, 12, tzinfo=UTC),
            "2028-02-29T23:59:59.999Z",
            {"start": "2028-02-01T00:00:00.000Z", "end": "2028-03-01T00:00:00.000Z"},
        ),
    ],
)
def test_eod_is_the_end_of_the_current_utc_day_inside_the_period(
    billed, vercel_api, monkeypatch, moment, eod, period
):
    vercel_api.post(BILLING, status=201)
    vercel_api.post(BALANCE, status=201)
    at(monkeypatch, moment)

    run_submissions(moment)

    body = bodies(vercel_api, BILLING)[0]
    assert (body["eod"], body["period"]) == (eod, period)
    assert body["period"]["start"] <= body["eod"] < body["period"]["end"]
    sent = datetime.fromisoformat(body["timestamp"])
    assert timedelta(0) <= datetime.fromisoformat(body["eod"]) - sent < timedelta(hours=24)


def test_usage_is_the_day_s_readings_with_running_period_totals(billed, vercel_api, monkeypatch):
    vercel_api.post(BILLING, status=201)
    vercel_api.post(BALANCE, status=201)
    at(monkeypatch, NOW)
    run_submissions(NOW)

    metered(
        monkeypatch,
        {billed["pro"]: [queries(6_500, today=1_500)], billed["free"]: [], billed["credits"]: []},
    )
    tomorrow = NOW + timedelta(days=1)
    at(monkeypatch, tomorrow)
    run_submissions(tomorrow)

    first, second = bodies(vercel_api, BILLING)
    assert query_usage(billed["pro"], 1_200, 5_000) in first["usage"]
    assert second["usage"] == [query_usage(billed["pro"], 1_500, 6_500)]
    assert second["eod"] == "2026-03-16T23:59:59.999Z"


def test_resources_created_or_deleted_in_the_period_show_when(
    client, vercel, installed, vercel_api, monkeypatch
):
    old = provision(client, vercel, "demo-pro", name="old")
    new = provision(client, vercel, "demo-pro", name="new")
    backdate(old, FEBRUARY)
    backdate(new, datetime(2026, 3, 10, 8, tzinfo=UTC))
    db.session.get(Resource, old).deleted_at = datetime(2026, 3, 12, tzinfo=UTC)
    db.session.commit()
    metered(monkeypatch, {new: []})
    vercel_api.post(BILLING, status=201)
    at(monkeypatch, NOW)

    run_submissions(NOW)

    # Each is billed for its share of March: 11 of 31 days, and 520 of 744 hours.
    assert bodies(vercel_api, BILLING)[0]["billing"]["items"] == [
        {
            **item("demo-pro", "Demo Store Pro", "old", "20.00", old),
            "end": "2026-03-12T00:00:00.000Z",
            "quantity": 0.3548,
            "total": "7.10",
        },
        {
            **item("demo-pro", "Demo Store Pro", "new", "20.00", new),
            "start": "2026-03-10T08:00:00.000Z",
            "quantity": 0.6989,
            "total": "13.98",
        },
    ]


def uninstall_at(moment: datetime) -> None:
    installation = db.session.get(Installation, INSTALLATION_ID)
    installation.deleted_at = moment
    for resource in db.session.scalars(select(Resource)):
        resource.deleted_at = moment
    db.session.commit()


def test_an_uninstalled_installation_is_billed_until_its_period_ends(
    billed, vercel_api, monkeypatch
):
    uninstall_at(datetime(2026, 3, 14, tzinfo=UTC))
    vercel_api.post(BILLING, status=201)  # no balances: nothing prepaid is left
    at(monkeypatch, NOW)

    run_submissions(NOW)
    (body,) = bodies(vercel_api, BILLING)
    deleted = "2026-03-14T00:00:00.000Z"
    ends = [(entry.get("resourceId"), entry["end"]) for entry in body["billing"]["items"]]
    assert ends == [(None, deleted), (billed["pro"], deleted)]
    assert body["usage"] == []  # deleted resources are no longer measured

    april = datetime(2026, 4, 1, 1, tzinfo=UTC)
    at(monkeypatch, april)
    run_submissions(april)
    assert len(bodies(vercel_api, BILLING)) == 1


def test_a_finalized_installation_is_not_billed(billed, vercel_api, monkeypatch):
    installation = db.session.get(Installation, INSTALLATION_ID)
    installation.deleted_at = installation.finalized_at = NOW - timedelta(hours=2)
    db.session.commit()
    at(monkeypatch, NOW)

    run_submissions(NOW)

    assert jobs(submission.SUBMIT_INSTALLATION) == []
    assert len(vercel_api.calls) == 0


def test_a_rejected_submission_is_dead_but_the_readings_are_kept(billed, vercel_api, monkeypatch):
    vercel_api.post(BILLING, status=400, json={"error": {"code": "bad_request", "message": "no"}})
    at(monkeypatch, NOW)

    run_submissions(NOW)

    (job,) = jobs(submission.SUBMIT_INSTALLATION)
    assert job.state == DEAD
    assert "400" in job.last_error
    assert len(usage_rows()) == 2


def test_an_unavailable_vercel_is_retried(billed, vercel_api, monkeypatch):
    vercel_api.post(BILLING, status=503)
    at(monkeypatch, NOW)

    run_submissions(NOW)

    (job,) = jobs(submission.SUBMIT_INSTALLATION)
    assert job.state == PENDING
    assert job.attempts == 1


def test_each_installation_is_submitted_once_per_hour(billed):
    hour = NOW.replace(minute=0)
    for _ in range(3):
        submission.submit_all(hour)
    submission.submit_all(hour + timedelta(hours=1))

    keys = [job.dedupe_key for job in jobs(submission.SUBMIT_INSTALLATION)]
    kind = submission.SUBMIT_INSTALLATION
    assert keys == [
        f"{kind}:{INSTALLATION_ID}:2026-03-15T10:00:00.000Z",
        f"{kind}:{INSTALLATION_ID}:2026-03-15T11:00:00.000Z",
    ]
