"""One resource's whole life through the Partner API, as Vercel would drive it."""

from __future__ import annotations

from partner_api.providers.demo import DemoProvider
from tests.conftest import INSTALLATION_ID
from tests.resources.conftest import (
    RESOURCES,
    jobs,
    make_due,
    provision_body,
    resource_url,
    run_jobs,
    secret_value,
    stored,
    versions,
)


def test_provision_use_rotate_and_remove(client, vercel, installed):
    admin, user, system = vercel.user(), vercel.user(role="USER"), vercel.system()

    # Provision, asynchronously: secrets at once, ready once the job ran.
    body = provision_body(metadata={"region": "sfo1", "provisioning": "async"})
    created = client.post(RESOURCES, json=body, headers=admin).get_json()
    url = resource_url(created["id"])
    assert created["status"] == "pending"
    run_jobs()
    assert client.get(url, headers=system).get_json()["status"] == "ready"

    # Rename and move to a paid plan.
    client.patch(url, json={"name": "prod-store"}, headers=admin)
    updated = client.patch(url, json={"billingPlanId": "demo-pro"}, headers=system).get_json()
    assert (updated["name"], updated["billingPlan"]["id"]) == ("prod-store", "demo-pro")

    # Use the console: an admin writes, a USER only reads.
    def console(command, headers, read_only=False):
        body = {"input": command, "readOnly": read_only}
        return client.post(f"{url}/repl", json=body, headers=headers).get_json()

    console("SET visits 1", admin)
    assert "read-only" in console("SET visits 2", user)[0]["children"][0]["text"]
    assert "read-only" in console("SET visits 3", admin, read_only=True)[0]["children"][0]["text"]
    assert console("GET visits", user)[0]["children"][0]["text"] == "1"

    # Rotate (async, as the store was made): new token later, old token retired on time.
    old_token = secret_value(created["secrets"], "TOKEN")
    rotation = client.post(
        f"{url}/secrets/rotate", json={"delayOldSecretsExpirationHours": 2}, headers=system
    )
    assert rotation.status_code == 202
    run_jobs()
    [push] = jobs("vercel.update_resource_secrets")
    new_token = secret_value(push.payload["secrets"], "TOKEN")
    state = stored(created["id"]).provider_state
    assert DemoProvider.accepts(state, old_token) and DemoProvider.accepts(state, new_token)
    make_due("resources.revoke_secrets")
    run_jobs()
    state = stored(created["id"]).provider_state
    assert not DemoProvider.accepts(state, old_token)
    assert DemoProvider.accepts(state, new_token)
    assert [v.revoked_at is not None for v in versions(created["id"])] == [True, False]

    # Delete, twice; the store is torn down by the job.
    assert client.delete(url, headers=admin).status_code == 204
    assert client.delete(url, headers=admin).status_code == 204
    run_jobs()
    assert not DemoProvider.accepts(stored(created["id"]).provider_state, new_token)
    assert client.get(url, headers=system).status_code == 404

    # A second resource goes with the uninstall.
    other = client.post(RESOURCES, json=provision_body(), headers=admin).get_json()
    finalized = client.delete(f"/v1/installations/{INSTALLATION_ID}", headers=admin).get_json()
    assert finalized == {"finalized": True}
    assert stored(other["id"]).status == "uninstalled"
    assert len(jobs("resources.deprovision")) == 2
