"""Provision Resource (§3.4.5): secrets now, validation, refusals, idempotency, encryption."""

from __future__ import annotations

import threading

import pytest
from sqlalchemy import select, text

from partner_api.extensions import db
from partner_api.providers.demo import DemoProvider
from partner_api.resources.models import Resource, ResourcePlanChange
from tests.conftest import INSTALLATION_ID, upsert_body
from tests.dbstate import row_count, snapshot
from tests.resources.conftest import (
    RESOURCES,
    demo_product,
    jobs,
    provision_body,
    run_jobs,
    secret_value,
    stored,
    versions,
)

OTHER_INSTALLATION = "icfg_other000000000000000002"


def test_provision_answers_the_resource_with_its_secrets(client, vercel, installed):
    response = client.post(RESOURCES, json=provision_body(), headers=vercel.user())
    assert response.status_code == 200
    body = response.get_json()
    assert body["id"].startswith("res_")
    assert body["productId"] == "demo"
    assert body["name"] == "my-store"
    assert body["metadata"] == {"region": "fra1", "replicas": 1}
    assert body["status"] == "ready"
    assert body["billingPlan"]["id"] == "demo-free"
    assert body["billingPlan"]["description"].startswith("A free store")
    assert body["notification"] is None
    url, token = body["secrets"]
    assert url["name"] == "DEMO_STORE_URL"
    assert url["value"] == f"https://fra1.demo-store.invalid/{body['id']}"
    assert set(url["environmentOverrides"]) == {"development"}
    assert token["name"] == "TOKEN"
    assert token["prefix"] == "DEMO_STORE"
    assert token["value"]

    resource = stored(body["id"])
    assert resource.installation_id == INSTALLATION_ID
    assert resource.status == "ready"
    assert resource.billing_plan_id == "demo-free"
    assert resource.resource_metadata == {"region": "fra1", "replicas": 1}
    assert DemoProvider.accepts(resource.provider_state, token["value"])
    [version] = versions(body["id"])
    assert version.version == 1
    assert version.secrets == body["secrets"]
    assert version.expires_at is None and version.revoked_at is None
    [plan] = db.session.scalars(select(ResourcePlanChange)).all()
    assert (plan.resource_id, plan.billing_plan_id, plan.previous_plan_id) == (
        body["id"],
        "demo-free",
        None,
    )


def test_provision_keeps_external_id_and_protocol_settings(client, vercel, installed):
    settings = {"experimentation": {"edgeConfigId": "ecfg_1"}}
    body = provision_body(externalId="deploy-button-7", protocolSettings=settings)
    answer = client.post(RESOURCES, json=body, headers=vercel.user()).get_json()
    assert answer["protocolSettings"] == settings
    resource = stored(answer["id"])
    assert resource.external_id == "deploy-button-7"
    assert resource.protocol_settings == settings


def test_provision_tolerates_unknown_fields(client, vercel, installed):
    body = {**provision_body(), "somethingNew": True}
    assert client.post(RESOURCES, json=body, headers=vercel.user()).status_code == 200


def refused(response, status: int, code: str) -> dict:
    assert response.status_code == status, response.get_json()
    error = response.get_json()["error"]
    assert error["code"] == code
    return error


@pytest.mark.parametrize(
    ("body", "keys"),
    [
        (provision_body(productId="nope"), ["productId"]),
        (provision_body(billingPlanId="nope"), ["billingPlanId"]),
        (provision_body(billingPlanId="team"), ["billingPlanId"]),  # an installation plan
        (provision_body(metadata={"region": "mars"}), ["region"]),
        (provision_body(metadata={"replicas": 9}), ["region", "replicas"]),
        (provision_body(metadata={"region": "iad1", "color": "red"}), ["color"]),
        (
            provision_body(billingPlanId="nope", metadata={"region": "iad1", "replicas": "x"}),
            ["billingPlanId", "replicas"],
        ),
        ({"productId": "demo", "metadata": {}}, ["billingPlanId", "name"]),
        (provision_body(name=""), ["name"]),
        # Longer than its column: a 500 on Postgres, which refused to store it.
        (provision_body(externalId="x" * 256), ["externalId"]),
    ],
)
def test_invalid_provision_is_400_with_fields_and_changes_nothing(
    client, vercel, installed, body, keys
):
    before = snapshot()
    response = client.post(RESOURCES, json=body, headers=vercel.user())
    error = refused(response, 400, "validation_error")
    assert sorted(field["key"] for field in error["fields"]) == keys
    assert snapshot() == before


def test_disabled_plan_cannot_be_chosen(custom_catalog, vercel, installed):
    def disable_pro(catalog):
        demo_product(catalog)["plans"][1]["disabled"] = True

    client = custom_catalog(disable_pro).test_client()
    before = snapshot()
    body = provision_body(billingPlanId="demo-pro")
    response = client.post(RESOURCES, json=body, headers=vercel.user())
    error = refused(response, 400, "validation_error")
    assert [field["key"] for field in error["fields"]] == ["billingPlanId"]
    assert snapshot() == before


def test_a_provider_refusal_is_the_envelope_and_changes_nothing(custom_catalog, vercel, installed):
    def refuse_everything(catalog):
        demo_product(catalog)["provider"] = "tests.resources.fakes:QuotaReachedProvider"

    client = custom_catalog(refuse_everything).test_client()
    before = snapshot()
    response = client.post(RESOURCES, json=provision_body(), headers=vercel.user())
    error = refused(response, 409, "quota_reached")
    assert error["message"] == "The account's resource quota is reached."
    assert snapshot() == before


def test_provision_for_an_unknown_installation_is_404(client, vercel):
    before = snapshot()
    response = client.post(RESOURCES, json=provision_body(), headers=vercel.user())
    refused(response, 404, "not_found")
    assert snapshot() == before


def test_provision_for_an_uninstalled_installation_is_404(client, vercel, installed):
    client.delete(f"/v1/installations/{INSTALLATION_ID}", headers=vercel.user())
    before = snapshot()
    response = client.post(RESOURCES, json=provision_body(), headers=vercel.user())
    refused(response, 404, "not_found")
    assert snapshot() == before


@pytest.mark.parametrize(
    ("headers", "code"),
    [
        (lambda vercel: vercel.user(role="USER"), "forbidden_role"),
        (lambda vercel: vercel.system(), "auth_kind_not_allowed"),
        (lambda vercel: vercel.user(OTHER_INSTALLATION), "installation_mismatch"),
    ],
)
def test_provision_refuses_other_callers(client, vercel, installed, headers, code):
    other = f"/v1/installations/{OTHER_INSTALLATION}"
    client.put(other, json=upsert_body(), headers=vercel.user(OTHER_INSTALLATION))
    before = snapshot()
    response = client.post(RESOURCES, json=provision_body(), headers=headers(vercel))
    refused(response, 403, code)
    assert snapshot() == before


def test_async_provisioning_finishes_in_a_job_and_tells_vercel(client, vercel, installed):
    metadata = {"region": "iad1", "provisioning": "async"}
    body = client.post(
        RESOURCES, json=provision_body(metadata=metadata), headers=vercel.user()
    ).get_json()
    assert body["status"] == "pending"
    assert secret_value(body["secrets"], "TOKEN")  # secrets are known at once (§7.7)
    [job] = jobs("resources.finish_provisioning")
    assert job.payload == {"resource_id": body["id"]}
    assert jobs("vercel.create_event") == []

    run_jobs()
    assert stored(body["id"]).status == "ready"
    assert jobs("resources.finish_provisioning")[0].state == "done"
    [event] = jobs("vercel.create_event")
    assert event.payload == {
        "installation_id": INSTALLATION_ID,
        "event": {"type": "resource.updated", "productId": "demo", "resourceId": body["id"]},
    }
    response = client.get(f"{RESOURCES}/{body['id']}", headers=vercel.system())
    assert response.get_json()["status"] == "ready"


def test_same_idempotency_key_provisions_once(client, vercel, installed):
    headers = {**vercel.user(), "Idempotency-Key": "provision-1"}
    first = client.post(RESOURCES, json=provision_body(), headers=headers)
    second = client.post(RESOURCES, json=provision_body(), headers=headers)
    assert first.status_code == second.status_code == 200
    assert second.headers["Idempotent-Replayed"] == "true"
    assert second.get_json() == first.get_json()
    assert row_count("resources") == 1
    assert row_count("resource_secret_versions") == 1


def test_without_idempotency_key_each_call_provisions(client, vercel, installed):
    first = client.post(RESOURCES, json=provision_body(), headers=vercel.user()).get_json()
    second = client.post(RESOURCES, json=provision_body(), headers=vercel.user()).get_json()
    assert first["id"] != second["id"]
    assert secret_value(first["secrets"], "TOKEN") != secret_value(second["secrets"], "TOKEN")
    assert row_count("resources") == 2


def test_concurrent_retries_with_one_key_provision_once(app, vercel, installed):
    threads_count = 20
    headers = {**vercel.user(), "Idempotency-Key": "provision-concurrent"}
    barrier = threading.Barrier(threads_count)
    answers: list[tuple[int, dict]] = []
    lock = threading.Lock()

    def call() -> None:
        with app.app_context():
            client = app.test_client()
            barrier.wait()
            response = client.post(RESOURCES, json=provision_body(), headers=headers)
            with lock:
                answers.append((response.status_code, response.get_json()))
            db.session.remove()

    threads = [threading.Thread(target=call) for _ in range(threads_count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert len(answers) == threads_count
    successes = [body for status, body in answers if status == 200]
    # A duplicate still waiting when the first call's answer is late is told to retry (409).
    assert all(status in (200, 409) for status, _ in answers), answers
    assert successes
    assert all(body == successes[0] for body in successes)
    assert row_count("resources") == 1
    assert row_count("resource_secret_versions") == 1
    assert db.session.scalars(select(Resource.id)).all() == [successes[0]["id"]]


def raw_rows() -> str:
    """Every stored value of every table as the database holds it (ciphertext as is)."""
    dump = []
    with db.engine.connect() as connection:
        for table in db.metadata.sorted_tables:
            rows = connection.execute(text(f"SELECT * FROM {table.name}"))  # noqa: S608
            dump += [repr(tuple(row)) for row in rows]
    return "\n".join(dump)


def test_secrets_are_encrypted_at_rest(client, vercel, installed):
    headers = {**vercel.user(), "Idempotency-Key": "provision-encrypted"}
    body = client.post(RESOURCES, json=provision_body(), headers=headers).get_json()
    rotated = client.post(
        f"{RESOURCES}/{body['id']}/secrets/rotate", json={}, headers=vercel.user()
    ).get_json()
    raw = raw_rows()
    assert body["id"] in raw  # the dump does hold the rows
    for secret in [*body["secrets"], *rotated["secrets"]]:
        assert secret["value"] not in raw
    token = secret_value(body["secrets"], "TOKEN")
    assert token.partition(".")[2] not in raw
