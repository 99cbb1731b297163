"""`flask billing submit` and `flask billing balances`: now, without the job queue."""

from __future__ import annotations

import json
import re
from datetime import timedelta

import responses
from sqlalchemy import insert

from partner_api.extensions import db
from partner_api.installations.models import Installation
from partner_api.timeutil import utcnow
from tests.billing.usage_support import (
    backdate,
    metered,
    provision,
    queries,
    set_balance,
    usage_rows,
)
from tests.conftest import INSTALLATION_ID
from tests.dbstate import snapshot

API = "https://api.vercel.com"
BILLING = f"{API}/v1/installations/{INSTALLATION_ID}/billing"
ANY_BILLING = re.compile(rf"{API}/v1/installations/[^/]+/billing")


def add_installations(count: int) -> list[str]:
    now = utcnow() - timedelta(days=1)
    ids = [f"icfg_cli{index:05d}" for index in range(count)]
    db.session.execute(
        insert(Installation),
        [
            {
                "id": installation_id,
                "access_token": "vercel-access-token",
                "token_type": "Bearer",
                "scopes": [],
                "accepted_policies": {},
                "created_at": now,
                "updated_at": now,
            }
            for installation_id in ids
        ],
    )
    db.session.commit()
    return ids


def test_submit_one_installation_sends_and_shows_the_bodies(
    runner, client, vercel, installed, monkeypatch
):
    store = provision(client, vercel, "demo-credits")
    metered(monkeypatch, {store: [queries(42)]})
    with responses.RequestsMock() as mock:
        mock.post(BILLING, status=201)
        mock.post(f"{BILLING}/balance", status=201)
        result = runner.invoke(args=["billing", "submit", "--installation", INSTALLATION_ID])
        sent = json.loads(mock.calls[0].request.body)

    assert result.exit_code == 0, result.output
    first, _, shown = result.output.partition("\n")
    assert first == (
        f"{INSTALLATION_ID}: sent 0 items totalling 0.00, 1 usage readings, 1 balances (0 cents)"
    )
    bodies = json.loads(shown)
    assert bodies["billing"] == sent
    assert bodies["balances"] == [{"resourceId": store, "currencyValueInCents": 0}]
    assert "vercel-access-token" not in result.output
    assert [row.period_value for row in usage_rows()] == [42]


def test_a_dry_run_sends_and_stores_nothing(runner, client, vercel, installed, monkeypatch):
    store = provision(client, vercel, "demo-pro")
    backdate(store, utcnow() - timedelta(days=62))  # on its plan for the whole period
    metered(monkeypatch, {store: [queries(42)]})
    before = snapshot()
    with responses.RequestsMock() as mock:  # any call to Vercel would fail
        result = runner.invoke(
            args=["billing", "submit", "--installation", INSTALLATION_ID, "--dry-run"]
        )
        assert len(mock.calls) == 0

    assert result.exit_code == 0, result.output
    assert result.output.startswith(f"{INSTALLATION_ID}: would send 1 items totalling 20.00")
    assert '"periodValue": 42' in result.output
    assert snapshot() == before


def test_an_installation_that_is_not_billed_is_reported(runner, app):
    result = runner.invoke(args=["billing", "submit", "--installation", "icfg_nobody"])
    assert result.exit_code == 1
    assert "icfg_nobody: not billed" in result.output


def test_submit_all_reports_progress_and_a_summary(runner, app):
    ids = add_installations(250)
    with responses.RequestsMock() as mock:
        mock.post(ANY_BILLING, status=201)
        result = runner.invoke(args=["billing", "submit"])
        called = sorted(call.request.url.split("/")[5] for call in mock.calls)

    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert "… 100/250 installations" in lines and "… 200/250 installations" in lines
    assert lines[-1] == "250 installations, 0 failed"
    assert len([line for line in lines if ": sent " in line]) == 250
    assert called == ids


def test_one_refused_installation_does_not_stop_the_others(runner, app):
    first, second = add_installations(2)
    with responses.RequestsMock() as mock:
        mock.post(f"{API}/v1/installations/{first}/billing", status=400, json={})
        mock.post(f"{API}/v1/installations/{second}/billing", status=201)
        result = runner.invoke(args=["billing", "submit"])

    assert result.exit_code == 1
    assert f"{first}: failed: Vercel answered 400" in result.output
    assert f"{second}: sent" in result.output
    assert result.output.splitlines()[-1] == "2 installations, 1 failed"


def test_balances_lists_stored_balances(runner, client, vercel, installed):
    store = provision(client, vercel, "demo-credits")
    assert runner.invoke(args=["billing", "balances"]).output == "no balances\n"
    set_balance(INSTALLATION_ID, None, 2_500, name_label="Tokens")
    set_balance(INSTALLATION_ID, store, 75)

    result = runner.invoke(args=["billing", "balances", "--installation", INSTALLATION_ID])

    assert result.output.splitlines() == [
        f"{INSTALLATION_ID}\t-\t2500\tTokens",
        f"{INSTALLATION_ID}\t{store}\t75\t",
    ]
    other = runner.invoke(args=["billing", "balances", "--installation", "icfg_other"])
    assert other.output == "no balances\n"
