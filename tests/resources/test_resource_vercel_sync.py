"""What the resource jobs ask of Vercel arrives there: Create Event (V4), Update Secrets (V10)."""

from __future__ import annotations

import json

import responses
from responses import matchers

from partner_api.jobs.queue import run_due
from tests.conftest import INSTALLATION_ID
from tests.resources.conftest import jobs, resource_url, secret_value, versions

VERCEL = f"https://api.vercel.com/v1/installations/{INSTALLATION_ID}"
AUTHORIZED = matchers.header_matcher({"Authorization": "Bearer vercel-access-token-1"})


@responses.activate
def test_async_provisioning_and_rotation_reach_vercel(client, vercel, provision):
    created = provision(metadata={"region": "iad1", "provisioning": "async"})
    event = responses.post(f"{VERCEL}/events", status=201, match=[AUTHORIZED])
    run_due()
    assert json.loads(event.calls[0].request.body) == {
        "event": {"type": "resource.updated", "productId": "demo", "resourceId": created["id"]}
    }

    url = resource_url(created["id"], "/secrets/rotate")
    assert client.post(url, json={}, headers=vercel.user()).status_code == 202
    push = responses.put(
        f"{VERCEL}/resources/{created['id']}/secrets", status=201, match=[AUTHORIZED]
    )
    run_due()
    new_token = secret_value(versions(created["id"])[-1].secrets, "TOKEN")
    assert json.loads(push.calls[0].request.body) == {
        "secrets": [{"name": "TOKEN", "value": new_token, "prefix": "DEMO_STORE"}],
        "partial": True,
    }
    assert {job.kind: job.state for job in jobs("vercel.update_resource_secrets")} == {
        "vercel.update_resource_secrets": "done"
    }
