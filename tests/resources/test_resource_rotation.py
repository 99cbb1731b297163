"""Request Secrets Rotation (§3.4.9, F10): sync and async, grace period, revocation."""

from __future__ import annotations

from datetime import timedelta

import pytest

from partner_api.providers.demo import DemoProvider
from partner_api.timeutil import utcnow
from tests.conftest import INSTALLATION_ID
from tests.dbstate import snapshot
from tests.resources.conftest import (
    jobs,
    make_due,
    resource_url,
    run_jobs,
    secret_value,
    stored,
    versions,
)

REVOKE = "resources.revoke_secrets"


def rotate(client, vercel, resource_id: str, body: dict | None = None, headers=None):
    return client.post(
        resource_url(resource_id, "/secrets/rotate"),
        json=body if body is not None else {},
        headers=headers or vercel.user(),
    )


def accepts(resource_id: str, token: str) -> bool:
    return DemoProvider.accepts(stored(resource_id).provider_state, token)


def test_sync_rotation_answers_new_secrets_and_keeps_the_old_ones_for_the_delay(
    client, vercel, resource
):
    old_token = secret_value(resource["secrets"], "TOKEN")
    before = utcnow()
    body = {"reason": "leak", "delayOldSecretsExpirationHours": 1.5}
    response = rotate(client, vercel, resource["id"], body)
    after = utcnow()
    assert response.status_code == 200
    body = response.get_json()
    assert body["sync"] is True
    assert body["partial"] is True  # the demo rotates the token only
    [token] = body["secrets"]
    assert (token["name"], token["prefix"]) == ("TOKEN", "DEMO_STORE")
    assert token["value"] != old_token

    first, second = versions(resource["id"])
    assert second.version == 2
    # The stored generation is the complete set: the URL carried over, the token replaced.
    assert second.secrets == [resource["secrets"][0], token]
    assert before + timedelta(hours=1.5) <= first.expires_at <= after + timedelta(hours=1.5)
    assert second.expires_at is None
    [job] = jobs(REVOKE)
    assert job.payload == {"resource_id": resource["id"], "version": 1}
    assert job.run_at == first.expires_at
    assert job.dedupe_key == f"{REVOKE}:{resource['id']}:1"

    # Nothing is due yet: both tokens work during the grace period.
    run_jobs()
    assert jobs(REVOKE)[0].state == "pending"
    assert accepts(resource["id"], old_token)
    assert accepts(resource["id"], token["value"])


def test_old_secrets_are_revoked_once_the_delay_is_over(client, vercel, resource):
    old_token = secret_value(resource["secrets"], "TOKEN")
    body = rotate(client, vercel, resource["id"], {"delayOldSecretsExpirationHours": 24}).get_json()
    new_token = secret_value(body["secrets"], "TOKEN")

    make_due(REVOKE)
    run_jobs()
    assert jobs(REVOKE)[0].state == "done"
    first, second = versions(resource["id"])
    assert first.revoked_at is not None
    assert second.revoked_at is None
    assert not accepts(resource["id"], old_token)
    assert accepts(resource["id"], new_token)


def test_without_a_delay_the_old_secrets_are_revoked_at_once(client, vercel, resource):
    old_token = secret_value(resource["secrets"], "TOKEN")
    rotate(client, vercel, resource["id"], headers=vercel.system())
    [job] = jobs(REVOKE)
    assert job.run_at <= utcnow()
    run_jobs()
    assert not accepts(resource["id"], old_token)


def test_each_rotation_supersedes_the_latest_generation(client, vercel, resource):
    tokens = [secret_value(resource["secrets"], "TOKEN")]
    for _ in range(2):
        body = rotate(client, vercel, resource["id"], {"delayOldSecretsExpirationHours": 1})
        tokens.append(secret_value(body.get_json()["secrets"], "TOKEN"))
    assert [version.version for version in versions(resource["id"])] == [1, 2, 3]
    assert [job.payload["version"] for job in jobs(REVOKE)] == [1, 2]
    make_due(REVOKE)
    run_jobs()
    assert [accepts(resource["id"], token) for token in tokens] == [False, False, True]


def test_async_rotation_finishes_in_a_job_and_pushes_the_secrets_to_vercel(
    client, vercel, provision
):
    resource = provision(metadata={"region": "iad1", "provisioning": "async"})
    run_jobs()  # finish provisioning
    response = rotate(client, vercel, resource["id"], {"delayOldSecretsExpirationHours": 0.5})
    assert response.status_code == 202
    assert response.get_json() == {"sync": False}
    [job] = jobs("resources.finish_rotation")
    assert job.payload == {"resource_id": resource["id"], "delay_hours": 0.5, "partial": True}
    assert len(versions(resource["id"])) == 1

    before = utcnow()
    run_jobs()
    assert jobs("resources.finish_rotation")[0].state == "done"
    first, second = versions(resource["id"])
    new_token = secret_value(second.secrets, "TOKEN")
    assert new_token != secret_value(resource["secrets"], "TOKEN")
    assert first.expires_at >= before + timedelta(minutes=30)
    [push] = jobs("vercel.update_resource_secrets")
    assert push.payload == {
        "installation_id": INSTALLATION_ID,
        "resource_id": resource["id"],
        "secrets": [{"name": "TOKEN", "value": new_token, "prefix": "DEMO_STORE"}],
        "partial": True,
    }
    assert accepts(resource["id"], new_token)
    assert accepts(resource["id"], secret_value(resource["secrets"], "TOKEN"))


@pytest.mark.parametrize(
    "body",
    [
        {"delayOldSecretsExpirationHours": 721},
        {"delayOldSecretsExpirationHours": -1},
        {"delayOldSecretsExpirationHours": "soon"},
        {"delayOldSecretsExpirationHours": True},
    ],
)
def test_invalid_delay_is_400_and_changes_nothing(client, vercel, resource, body):
    before = snapshot()
    response = rotate(client, vercel, resource["id"], body)
    assert response.status_code == 400
    fields = response.get_json()["error"]["fields"]
    assert [field["key"] for field in fields] == ["delayOldSecretsExpirationHours"]
    assert snapshot() == before


def test_the_longest_delay_is_accepted(client, vercel, resource):
    response = rotate(client, vercel, resource["id"], {"delayOldSecretsExpirationHours": 720})
    assert response.status_code == 200
    first = versions(resource["id"])[0]
    assert first.expires_at > utcnow() + timedelta(days=29, hours=23)


def test_rotating_an_unknown_or_deleted_resource_is_404(client, vercel, resource):
    client.delete(resource_url(resource["id"]), headers=vercel.user())
    before = snapshot()
    for resource_id in (resource["id"], "res_unknown"):
        assert rotate(client, vercel, resource_id).status_code == 404
    assert snapshot() == before


def test_pending_revocations_of_a_deleted_resource_complete(client, vercel, resource):
    rotate(client, vercel, resource["id"], {"delayOldSecretsExpirationHours": 1})
    client.delete(resource_url(resource["id"]), headers=vercel.user())
    make_due(REVOKE)
    run_jobs()
    assert jobs(REVOKE)[0].state == "done"
    assert jobs("resources.deprovision")[0].state == "done"
    assert all(version.revoked_at is not None for version in versions(resource["id"]))
