"""Create Resources Transfer Request (§3.4.15): the source offers some of its resources."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from partner_api.transfers.models import ClaimStatus
from tests.dbstate import snapshot
from tests.transfers.conftest import (
    SOURCE,
    STRANGER,
    TARGET,
    assert_refused,
    expire,
    in_ms,
    stored_claim,
    transfers_url,
)

HOUR = timedelta(hours=1)


def test_create_stores_an_unclaimed_claim(transfers, resources):
    expires_at = in_ms(HOUR)

    response = transfers.create(resources, expiresAt=expires_at)

    assert response.status_code == 200
    body = response.get_json()
    assert set(body) == {"providerClaimId"}
    claim = stored_claim(body["providerClaimId"])
    assert claim.source_installation_id == SOURCE
    assert claim.resource_ids == resources
    assert claim.status is ClaimStatus.UNCLAIMED
    assert claim.claimed_by_installation_id is None
    assert claim.expires_at == datetime.fromtimestamp(expires_at / 1000, UTC)


def test_claim_ids_are_long_random_and_distinct(transfers, resources):
    first, second = transfers.claim(resources[:1]), transfers.claim(resources[1:])
    assert first != second
    assert len(first) >= 32


def test_a_resource_listed_twice_is_offered_once(transfers, resources):
    claim_id = transfers.claim([resources[0], resources[0], resources[1]])
    assert stored_claim(claim_id).resource_ids == resources


def test_a_retry_with_the_same_idempotency_key_gets_the_same_claim(client, vercel, resources):
    body = {"resourceIds": resources, "expiresAt": in_ms(HOUR)}
    headers = {**vercel.system(), "Idempotency-Key": "transfer-1"}

    first = client.post(transfers_url(), json=body, headers=headers)
    second = client.post(transfers_url(), json=body, headers=headers)

    assert first.status_code == second.status_code == 200
    assert first.get_json() == second.get_json()


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({}, "resourceIds"),
        ({"resourceIds": [], "expiresAt": in_ms(HOUR)}, "resourceIds"),
        ({"resourceIds": "res_1", "expiresAt": in_ms(HOUR)}, "resourceIds"),
        ({"resourceIds": [""], "expiresAt": in_ms(HOUR)}, "resourceIds.0"),
        ({"resourceIds": [7], "expiresAt": in_ms(HOUR)}, "resourceIds.0"),
        ({"resourceIds": ["res_1"]}, "expiresAt"),
        ({"resourceIds": ["res_1"], "expiresAt": None}, "expiresAt"),
        ({"resourceIds": ["res_1"], "expiresAt": "tomorrow"}, "expiresAt"),
        ({"resourceIds": ["res_1"], "expiresAt": True}, "expiresAt"),
        ({"resourceIds": ["res_1"], "expiresAt": in_ms(-HOUR)}, "expiresAt"),
        ({"resourceIds": ["res_1"], "expiresAt": 1e30}, "expiresAt"),
    ],
)
def test_an_invalid_body_is_400_and_changes_nothing(client, vercel, resources, body, field):
    before = snapshot()

    response = client.post(transfers_url(), json=body, headers=vercel.system())

    assert_refused(response, 400, "validation_error")
    assert field in {entry["key"] for entry in response.get_json()["error"]["fields"]}
    assert snapshot() == before


def test_a_body_that_is_not_json_is_400(client, vercel, resources):
    before = snapshot()
    headers = {**vercel.system(), "Content-Type": "application/json"}

    response = client.post(transfers_url(), data="{not json", headers=headers)

    assert_refused(response, 400, "invalid_json")
    assert snapshot() == before


def test_an_unknown_installation_is_404(transfers):
    response = transfers.create(["res_1"], source=STRANGER)
    assert_refused(response, 404, "not_found")


def test_an_uninstalled_installation_is_404(transfers, client, vercel, resources):
    assert client.delete(f"/v1/installations/{SOURCE}", headers=vercel.user()).status_code == 200
    before = snapshot()

    assert_refused(transfers.create(resources), 404, "not_found")
    assert snapshot() == before


@pytest.mark.parametrize("which", ["unknown", "foreign", "deleted"])
def test_a_resource_the_source_does_not_own_live_is_422(
    transfers, client, vercel, install, provision, resources, which
):
    install(TARGET)
    offered = {
        "unknown": lambda: "res_unknown",
        "foreign": lambda: provision(TARGET)["id"],
        "deleted": lambda: resources[1],
    }[which]()
    if which == "deleted":
        url = f"/v1/installations/{SOURCE}/resources/{offered}"
        assert client.delete(url, headers=vercel.user()).status_code == 204
    before = snapshot()

    response = transfers.create([resources[0], offered])

    assert_refused(response, 422, "resource_not_owned")
    assert offered in response.get_json()["error"]["message"]
    assert snapshot() == before


def test_a_resource_in_another_open_claim_is_409(transfers, resources):
    transfers.claim(resources[:1])
    before = snapshot()

    response = transfers.create(resources)

    assert_refused(response, 409, "resource_in_open_claim")
    assert resources[0] in response.get_json()["error"]["message"]
    assert snapshot() == before


def test_an_expired_claim_no_longer_holds_its_resources(transfers, resources):
    expire(transfers.claim(resources))
    assert transfers.create(resources).status_code == 200


def test_claims_of_other_installations_do_not_hold_the_sources_resources(
    transfers, install, provision, resources
):
    install(TARGET)
    transfers.create([provision(TARGET)["id"]], source=TARGET)
    assert transfers.create(resources).status_code == 200


def test_a_user_token_is_403(client, vercel, resources):
    before = snapshot()
    body = {"resourceIds": resources, "expiresAt": in_ms(HOUR)}

    response = client.post(transfers_url(), json=body, headers=vercel.user())

    assert_refused(response, 403, "auth_kind_not_allowed")
    assert snapshot() == before


def test_a_token_of_another_installation_is_403(client, vercel, install, resources):
    install(TARGET)
    before = snapshot()
    body = {"resourceIds": resources, "expiresAt": in_ms(HOUR)}

    response = client.post(transfers_url(), json=body, headers=vercel.system(TARGET))

    assert_refused(response, 403, "installation_mismatch")
    assert snapshot() == before
