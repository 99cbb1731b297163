"""Get, Update, Delete, List resources and their plans (§3.4.6–3.4.8, §3.4.12, §3.4.L)."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from partner_api.extensions import db
from partner_api.providers.demo import DemoProvider
from partner_api.resources.models import ResourcePlanChange
from tests.conftest import INSTALLATION_ID, upsert_body
from tests.dbstate import snapshot
from tests.resources.conftest import (
    RESOURCES,
    jobs,
    provision_body,
    resource_url,
    run_jobs,
    secret_value,
    stored,
    versions,
)

OTHER_INSTALLATION = "icfg_other000000000000000002"


@pytest.fixture
def foreign_resource(client, vercel, installed) -> dict:
    """A resource of another installation."""
    headers = vercel.user(OTHER_INSTALLATION)
    client.put(f"/v1/installations/{OTHER_INSTALLATION}", json=upsert_body(), headers=headers)
    response = client.post(
        f"/v1/installations/{OTHER_INSTALLATION}/resources", json=provision_body(), headers=headers
    )
    assert response.status_code == 200
    return response.get_json()


# -- Get ----------------------------------------------------------------------------------


@pytest.mark.parametrize("kind", ["system", "user"])
def test_get_answers_the_resource_without_secrets(client, vercel, resource, kind):
    response = client.get(resource_url(resource["id"]), headers=getattr(vercel, kind)())
    assert response.status_code == 200
    expected = {key: value for key, value in resource.items() if key != "secrets"}
    assert response.get_json() == expected
    assert secret_value(resource["secrets"], "TOKEN").encode() not in response.data


def test_get_unknown_resource_is_404(client, vercel, installed):
    response = client.get(resource_url("res_unknown"), headers=vercel.system())
    assert response.status_code == 404
    assert response.get_json()["error"]["code"] == "not_found"


def test_another_installations_resource_is_404(client, vercel, installed, foreign_resource):
    response = client.get(resource_url(foreign_resource["id"]), headers=vercel.system())
    assert response.status_code == 404


def test_a_token_of_another_installation_is_403(client, vercel, resource, foreign_resource):
    response = client.get(resource_url(resource["id"]), headers=vercel.system(OTHER_INSTALLATION))
    assert response.status_code == 403
    assert response.get_json()["error"]["code"] == "installation_mismatch"


# -- Update -------------------------------------------------------------------------------


def test_update_renames(client, vercel, resource):
    response = client.patch(
        resource_url(resource["id"]), json={"name": "renamed"}, headers=vercel.user()
    )
    assert response.status_code == 200
    assert response.get_json()["name"] == "renamed"
    assert stored(resource["id"]).name == "renamed"


def test_update_changes_the_plan_and_records_it(client, vercel, resource):
    response = client.patch(
        resource_url(resource["id"]), json={"billingPlanId": "demo-pro"}, headers=vercel.system()
    )
    assert response.status_code == 200
    assert response.get_json()["billingPlan"]["id"] == "demo-pro"
    assert response.get_json()["billingPlan"]["cost"] == "$20.00/month"
    assert stored(resource["id"]).billing_plan_id == "demo-pro"
    changes = db.session.scalars(select(ResourcePlanChange).order_by(ResourcePlanChange.id)).all()
    assert [(c.previous_plan_id, c.billing_plan_id) for c in changes] == [
        (None, "demo-free"),
        ("demo-free", "demo-pro"),
    ]
    assert changes[1].effective_at >= changes[0].effective_at


def test_update_replaces_metadata_and_keeps_protocol_settings(client, vercel, resource):
    settings = {"experimentation": {"edgeConfigId": "ecfg_2"}}
    body = {"metadata": {"region": "sfo1"}, "protocolSettings": settings}
    answer = client.patch(resource_url(resource["id"]), json=body, headers=vercel.user()).get_json()
    assert answer["metadata"] == {"region": "sfo1"}
    assert answer["protocolSettings"] == settings
    updated = stored(resource["id"])
    assert updated.resource_metadata == {"region": "sfo1"}
    assert updated.protocol_settings == settings


def test_update_ignores_the_deprecated_status(client, vercel, resource):
    body = {"status": "suspended", "name": "still-ready"}
    answer = client.patch(resource_url(resource["id"]), json=body, headers=vercel.user()).get_json()
    assert answer["status"] == "ready"
    assert stored(resource["id"]).status == "ready"


@pytest.mark.parametrize(
    ("body", "keys"),
    [
        ({"billingPlanId": "nope"}, ["billingPlanId"]),
        ({"metadata": {"region": "mars"}}, ["region"]),
        ({"metadata": {}}, ["region"]),
        ({"name": ""}, ["name"]),
    ],
)
def test_invalid_update_is_400_and_changes_nothing(client, vercel, resource, body, keys):
    before = snapshot()
    response = client.patch(resource_url(resource["id"]), json=body, headers=vercel.user())
    assert response.status_code == 400
    assert [field["key"] for field in response.get_json()["error"]["fields"]] == keys
    assert snapshot() == before


def test_a_plan_change_the_provider_refuses_is_409_and_changes_nothing(client, vercel, resource):
    url = resource_url(resource["id"])
    client.patch(url, json={"billingPlanId": "demo-pro"}, headers=vercel.user())
    state = dict(stored(resource["id"]).provider_state)
    state["store"] = {f"key{n}": "value" for n in range(101)}
    stored(resource["id"]).provider_state = state
    db.session.commit()
    before = snapshot()
    response = client.patch(
        resource_url(resource["id"]), json={"billingPlanId": "demo-free"}, headers=vercel.user()
    )
    assert response.status_code == 409
    assert response.get_json()["error"]["code"] == "plan_limit_exceeded"
    assert snapshot() == before


def test_update_unknown_resource_is_404(client, vercel, installed):
    response = client.patch(resource_url("res_unknown"), json={"name": "x"}, headers=vercel.user())
    assert response.status_code == 404


# -- Delete -------------------------------------------------------------------------------


def test_delete_retires_the_resource_and_deprovisions_it_in_a_job(client, vercel, resource):
    response = client.delete(resource_url(resource["id"]), headers=vercel.user())
    assert response.status_code == 204
    assert response.data == b""
    retired = stored(resource["id"])
    assert retired.status == "uninstalled"
    assert retired.deleted_at is not None
    [job] = jobs("resources.deprovision")
    assert job.payload == {"resource_id": resource["id"]}
    assert client.get(resource_url(resource["id"]), headers=vercel.system()).status_code == 404
    token = secret_value(resource["secrets"], "TOKEN")
    assert DemoProvider.accepts(retired.provider_state, token)  # until the job ran

    run_jobs()
    assert jobs("resources.deprovision")[0].state == "done"
    assert not DemoProvider.accepts(stored(resource["id"]).provider_state, token)
    assert all(version.revoked_at is not None for version in versions(resource["id"]))


def test_repeat_delete_is_204_and_deprovisions_once(client, vercel, resource):
    client.delete(resource_url(resource["id"]), headers=vercel.user())
    before = snapshot()
    response = client.delete(resource_url(resource["id"]), headers=vercel.system())
    assert response.status_code == 204
    assert snapshot() == before
    assert len(jobs("resources.deprovision")) == 1


def test_delete_unknown_or_foreign_resource_is_204_and_changes_nothing(
    client, vercel, installed, foreign_resource
):
    before = snapshot()
    for resource_id in ("res_unknown", foreign_resource["id"]):
        response = client.delete(resource_url(resource_id), headers=vercel.user())
        assert response.status_code == 204
    assert snapshot() == before


# -- USER role ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("method", "suffix", "body"),
    [
        ("patch", "", {"name": "renamed"}),
        ("delete", "", None),
        ("post", "/secrets/rotate", {}),
    ],
)
def test_user_role_cannot_change_a_resource(client, vercel, resource, method, suffix, body):
    before = snapshot()
    call = getattr(client, method)
    url = resource_url(resource["id"], suffix)
    response = call(url, json=body, headers=vercel.user(role="USER"))
    assert response.status_code == 403
    assert response.get_json()["error"]["code"] == "forbidden_role"
    assert snapshot() == before


# -- List (legacy) and plans --------------------------------------------------------------


def test_list_answers_the_live_resources(client, vercel, provision, foreign_resource):
    first, second, third = provision(name="a"), provision(name="b"), provision(name="c")
    client.delete(resource_url(second["id"]), headers=vercel.user())
    response = client.get(RESOURCES, headers=vercel.system())
    assert response.status_code == 200
    assert [r["id"] for r in response.get_json()["resources"]] == [first["id"], third["id"]]
    assert "secrets" not in response.get_json()["resources"][0]

    query = f"?ids={third['id']}&ids={second['id']}&ids={foreign_resource['id']}"
    filtered = client.get(RESOURCES + query, headers=vercel.user()).get_json()
    assert [r["id"] for r in filtered["resources"]] == [third["id"]]


def test_list_of_an_unknown_installation_is_404(client, vercel):
    assert client.get(RESOURCES, headers=vercel.system()).status_code == 404


def test_resource_plans_are_the_products_plans(client, vercel, resource):
    for query in ("", "?metadata=%7B%22region%22%3A%22sfo1%22%7D", "?metadata=not-json"):
        url = resource_url(resource["id"], "/plans" + query)
        response = client.get(url, headers=vercel.system())
        assert response.status_code == 200
        plans = response.get_json()["plans"]
        assert [plan["id"] for plan in plans] == ["demo-free", "demo-pro", "demo-credits"]


def test_plans_of_an_unknown_resource_are_404(client, vercel, installed):
    response = client.get(resource_url("res_unknown", "/plans"), headers=vercel.system())
    assert response.status_code == 404


def test_deleted_installation_hides_its_resources(client, vercel, resource):
    client.delete(f"/v1/installations/{INSTALLATION_ID}", headers=vercel.user())
    assert client.get(resource_url(resource["id"]), headers=vercel.system()).status_code == 404
    assert client.get(RESOURCES, headers=vercel.system()).status_code == 404


def test_a_withdrawn_product_can_be_renamed_but_not_replanned(custom_catalog, vercel, resource):
    def withdraw_demo(catalog):
        catalog["products"] = [p for p in catalog["products"] if p["slug"] != "demo"]

    client = custom_catalog(withdraw_demo).test_client()
    url = resource_url(resource["id"])
    before = snapshot()
    response = client.patch(url, json={"billingPlanId": "demo-pro"}, headers=vercel.user())
    assert response.status_code == 409
    assert response.get_json()["error"]["code"] == "product_withdrawn"
    assert snapshot() == before
    renamed = client.patch(url, json={"name": "kept"}, headers=vercel.user()).get_json()
    assert renamed["name"] == "kept"
    assert "billingPlan" not in renamed  # the plan is no longer in the catalog
