"""Plan history, and plan changes made on the partner's side pushed to Vercel (§1.3 F7)."""

from __future__ import annotations

import json

import pytest
import responses
from sqlalchemy import select

from partner_api.billing.models import InstallationPlanChange
from partner_api.billing.plan_changes import (
    change_installation_plan_from_partner,
    change_resource_plan_from_partner,
)
from partner_api.catalog import current_catalog
from partner_api.errors import NotFound, ValidationFailed
from partner_api.extensions import db
from partner_api.resources.models import Resource, ResourcePlanChange
from partner_api.timeutil import isoformat
from partner_api.vercel.jobs import CREATE_EVENT, UPDATE_INSTALLATION, UPDATE_RESOURCE
from tests.billing.invoicing_support import INSTALLATION, jobs, run_jobs, stored_installation
from tests.conftest import INSTALLATION_ID, upsert_body
from tests.dbstate import snapshot

VERCEL_INSTALLATION = f"/v1/installations/{INSTALLATION_ID}"


@pytest.fixture
def api(app):
    with responses.RequestsMock() as mock:
        yield mock


@pytest.fixture
def vercel_url(app):
    return app.config["VERCEL_API_URL"] + VERCEL_INSTALLATION


@pytest.fixture
def resource(client, vercel, installed) -> str:
    body = {
        "productId": "demo",
        "name": "store",
        "metadata": {"region": "iad1"},
        "billingPlanId": "demo-free",
    }
    response = client.post(f"{INSTALLATION}/resources", json=body, headers=vercel.user())
    assert response.status_code == 200, response.get_json()
    return response.get_json()["id"]


def installation_history() -> list[tuple[str | None, str]]:
    db.session.expire_all()
    rows = db.session.scalars(select(InstallationPlanChange).order_by(InstallationPlanChange.id))
    return [(row.previous_plan_id, row.billing_plan_id) for row in rows]


def latest_resource_change(resource_id: str) -> ResourcePlanChange:
    db.session.expire_all()
    return db.session.scalars(
        select(ResourcePlanChange)
        .where(ResourcePlanChange.resource_id == resource_id)
        .order_by(ResourcePlanChange.id.desc())
    ).first()


# -- plan history ---------------------------------------------------------------------------


def test_install_records_the_default_plan_once(client, vercel, installed):
    response = client.put(INSTALLATION, json=upsert_body("token-2"), headers=vercel.user())
    assert response.status_code == 200
    assert installation_history() == [(None, "starter")]
    [row] = db.session.scalars(select(InstallationPlanChange)).all()
    assert row.effective_at == stored_installation().created_at


def test_a_vercel_plan_change_is_recorded_with_its_moment(client, vercel, installed):
    response = client.patch(INSTALLATION, json={"billingPlanId": "team"}, headers=vercel.user())
    assert response.status_code == 200
    assert installation_history() == [(None, "starter"), ("starter", "team")]
    latest = db.session.scalars(
        select(InstallationPlanChange).order_by(InstallationPlanChange.id.desc())
    ).first()
    assert latest.effective_at == stored_installation().updated_at
    # The same plan again is no change.
    client.patch(INSTALLATION, json={"billingPlanId": "team"}, headers=vercel.user())
    assert len(installation_history()) == 2


# -- partner-side changes -------------------------------------------------------------------


def test_a_partner_installation_plan_change_is_pushed_with_the_plan(
    installed, api, vercel_url
):
    change_installation_plan_from_partner(INSTALLATION_ID, "team", current_catalog())
    db.session.commit()
    assert stored_installation().billing_plan_id == "team"
    assert installation_history() == [(None, "starter"), ("starter", "team")]
    effective = isoformat(stored_installation().updated_at)

    api.patch(vercel_url, status=204)
    api.post(f"{vercel_url}/events", status=201)
    assert run_jobs(UPDATE_INSTALLATION) == 1
    assert run_jobs(CREATE_EVENT) == 1
    plan = dict(current_catalog().installation_plan("team"))
    assert json.loads(api.calls[0].request.body) == {
        "billingPlan": plan | {"effectiveDate": effective}
    }
    assert plan["scope"] == "installation" and plan["id"] == "team"
    assert json.loads(api.calls[1].request.body) == {
        "event": {"type": "installation.updated", "billingPlanId": "team"}
    }


def test_a_partner_resource_plan_change_is_applied_recorded_and_pushed(
    resource, api, vercel_url
):
    change_resource_plan_from_partner(INSTALLATION_ID, resource, "demo-pro", current_catalog())
    db.session.commit()
    assert db.session.get(Resource, resource).billing_plan_id == "demo-pro"
    change = latest_resource_change(resource)
    assert (change.previous_plan_id, change.billing_plan_id) == ("demo-free", "demo-pro")

    api.patch(f"{vercel_url}/resources/{resource}", json={"name": "store"})
    api.post(f"{vercel_url}/events", status=201)
    run_jobs(UPDATE_RESOURCE)
    run_jobs(CREATE_EVENT)
    plan = dict(current_catalog().product("demo").plan("demo-pro"))
    assert json.loads(api.calls[0].request.body) == {
        "billingPlan": plan | {"effectiveDate": isoformat(change.effective_at)}
    }
    assert json.loads(api.calls[1].request.body) == {
        "event": {"type": "resource.updated", "productId": "demo", "resourceId": resource}
    }


def test_the_plan_it_is_already_on_pushes_nothing(resource):
    before = snapshot()
    change_resource_plan_from_partner(INSTALLATION_ID, resource, "demo-free", current_catalog())
    change_installation_plan_from_partner(INSTALLATION_ID, "starter", current_catalog())
    db.session.commit()
    assert snapshot() == before


def test_an_unknown_plan_is_refused_and_changes_nothing(resource):
    before = snapshot()
    with pytest.raises(ValidationFailed):
        change_resource_plan_from_partner(INSTALLATION_ID, resource, "gold", current_catalog())
    db.session.rollback()
    with pytest.raises(ValidationFailed):
        change_installation_plan_from_partner(INSTALLATION_ID, "gold", current_catalog())
    db.session.rollback()
    with pytest.raises(NotFound):
        change_resource_plan_from_partner(INSTALLATION_ID, "res_x", "demo-pro", current_catalog())
    db.session.rollback()
    assert snapshot() == before


def test_the_change_plan_command(runner, resource):
    result = runner.invoke(args=["installations", "change-plan", INSTALLATION_ID, "team"])
    assert result.exit_code == 0, result.output
    assert stored_installation().billing_plan_id == "team"
    args = ["installations", "change-plan", INSTALLATION_ID, "demo-pro", "--resource", resource]
    assert runner.invoke(args=args).exit_code == 0
    assert db.session.get(Resource, resource).billing_plan_id == "demo-pro"
    assert len(jobs(UPDATE_INSTALLATION)) == len(jobs(UPDATE_RESOURCE)) == 1
    assert len(jobs(CREATE_EVENT)) == 2


def test_the_change_plan_command_explains_a_refusal(runner, resource):
    before = snapshot()
    result = runner.invoke(args=["installations", "change-plan", INSTALLATION_ID, "gold"])
    assert result.exit_code == 1
    assert "Unknown installation billing plan 'gold'" in result.output
    assert "billingPlanId: Not an installation-level plan." in result.output
    assert snapshot() == before
