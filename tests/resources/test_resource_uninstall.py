"""Uninstall retires the installation's resources (§3.4.4, F8)."""

from __future__ import annotations

from partner_api.providers.demo import DemoProvider
from tests.conftest import INSTALLATION_ID
from tests.resources.conftest import jobs, run_jobs, secret_value, stored

INSTALLATION = f"/v1/installations/{INSTALLATION_ID}"


def uninstall(client, vercel, body=None):
    return client.delete(INSTALLATION, json=body, headers=vercel.user())


def test_uninstall_deprovisions_every_resource_by_default(client, vercel, provision):
    first, second = provision(name="a"), provision(name="b")
    response = uninstall(client, vercel)
    assert response.get_json() == {"finalized": True}  # every plan is free
    for resource in (first, second):
        retired = stored(resource["id"])
        assert retired.status == "uninstalled"
        assert retired.deleted_at is not None
    assert sorted(job.payload["resource_id"] for job in jobs("resources.deprovision")) == sorted(
        [first["id"], second["id"]]
    )
    run_jobs()
    token = secret_value(first["secrets"], "TOKEN")
    assert not DemoProvider.accepts(stored(first["id"]).provider_state, token)


def test_cascade_true_deprovisions(client, vercel, resource):
    uninstall(client, vercel, {"cascadeResourceDeletion": True})
    assert stored(resource["id"]).status == "uninstalled"
    assert len(jobs("resources.deprovision")) == 1


def test_cascade_false_keeps_the_resources(client, vercel, resource):
    response = uninstall(client, vercel, {"cascadeResourceDeletion": False})
    assert response.get_json() == {"finalized": True}
    kept = stored(resource["id"])
    assert kept.status == "ready"
    assert kept.deleted_at is None
    assert jobs("resources.deprovision") == []


def test_a_resource_on_a_billable_plan_keeps_the_uninstall_open(client, vercel, provision):
    provision(name="free")
    provision(name="paid", billingPlanId="demo-pro")
    response = uninstall(client, vercel, {"cascadeResourceDeletion": True})
    assert response.get_json() == {"finalized": False}
    # A repeat reports the same outcome, even though the resources are gone by now.
    assert uninstall(client, vercel).get_json() == {"finalized": False}


def test_a_prepaid_resource_keeps_the_uninstall_open(client, vercel, provision):
    provision(billingPlanId="demo-credits")
    assert uninstall(client, vercel).get_json() == {"finalized": False}

