"""Verify and Accept Resources Transfer Request (§3.4.16, §3.4.17, §7.26)."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from partner_api.extensions import db
from partner_api.resources.models import ResourcePlanChange, SecretVersion
from partner_api.timeutil import utcnow
from partner_api.transfers import service as transfer_service
from partner_api.transfers.models import ClaimStatus
from partner_api.webhooks.models import ProjectConnection
from tests.dbstate import snapshot
from tests.transfers.conftest import (
    OTHER_TARGET,
    SOURCE,
    STRANGER,
    TARGET,
    assert_refused,
    events,
    expire,
    owner_of,
    stored_claim,
    verified_targets,
)

# -- Verify -------------------------------------------------------------------------------


@pytest.mark.parametrize("method", ["GET", "POST"])
def test_verify_records_the_target_as_a_candidate(transfers, claim_id, method):
    response = transfers.verify(claim_id, method=method)

    assert response.status_code == 200
    assert response.get_json() == {"valid": True}
    assert stored_claim(claim_id).status is ClaimStatus.VERIFIED
    assert verified_targets(claim_id) == [TARGET]


@pytest.mark.parametrize("method", ["GET", "POST"])
def test_a_verify_that_fails_midway_changes_nothing(app, transfers, claim_id, method, monkeypatch):
    """Verify writes, so even as a GET it runs in one transaction that an error rolls back."""
    app.config["PROPAGATE_EXCEPTIONS"] = False
    before = stored_claim(claim_id).status

    def broken(claim):
        raise RuntimeError("the store went away")

    monkeypatch.setattr(transfer_service, "_verified_targets", broken)  # after the status change
    response = transfers.verify(claim_id, method=method)

    assert response.status_code == 500
    db.session.expire_all()
    assert stored_claim(claim_id).status is before
    assert verified_targets(claim_id) == []


def test_several_targets_may_verify_and_verifying_again_adds_nothing(transfers, claim_id):
    for target in (TARGET, OTHER_TARGET, TARGET):
        assert transfers.verify(claim_id, target).status_code == 200

    assert verified_targets(claim_id) == sorted([TARGET, OTHER_TARGET])
    assert stored_claim(claim_id).status is ClaimStatus.VERIFIED


def test_verify_moves_nothing(transfers, claim_id, resources):
    transfers.verified(claim_id)
    assert {owner_of(resource_id) for resource_id in resources} == {SOURCE}
    assert events() == []


def test_verify_of_an_unknown_claim_is_404(transfers, targets):
    assert_refused(transfers.verify("trc_unknown"), 404, "not_found")


def test_verify_for_an_unknown_target_is_404(transfers, claim_id):
    before = snapshot()
    assert_refused(transfers.verify(claim_id, STRANGER), 404, "not_found")
    assert snapshot() == before


def test_verify_of_an_expired_claim_is_409(transfers, claim_id):
    expire(claim_id)
    before = snapshot()

    assert_refused(transfers.verify(claim_id), 409, "claim_expired")
    assert snapshot() == before


def test_verify_of_a_completed_claim_is_409_for_everyone(transfers, claim_id):
    transfers.verified(claim_id)
    assert transfers.accept(claim_id).status_code == 204
    before = snapshot()

    for target in (TARGET, OTHER_TARGET):
        assert_refused(transfers.verify(claim_id, target), 409, "claim_completed")
    assert snapshot() == before


def test_the_source_cannot_be_the_target(transfers, claim_id):
    before = snapshot()
    assert_refused(transfers.verify(claim_id, SOURCE), 422, "same_installation")
    assert snapshot() == before


def test_verify_after_a_resource_was_deleted_is_422(transfers, client, vercel, claim_id, resources):
    url = f"/v1/installations/{SOURCE}/resources/{resources[0]}"
    assert client.delete(url, headers=vercel.user()).status_code == 204
    before = snapshot()

    response = transfers.verify(claim_id)

    assert_refused(response, 422, "resource_not_owned")
    assert resources[0] in response.get_json()["error"]["message"]
    assert snapshot() == before


# -- Accept -------------------------------------------------------------------------------


def test_accept_moves_the_resources_to_the_target(transfers, claim_id, resources):
    transfers.verified(claim_id)

    response = transfers.accept(claim_id)

    assert response.status_code == 204
    assert response.data == b""
    assert {owner_of(resource_id) for resource_id in resources} == {TARGET}
    claim = stored_claim(claim_id)
    assert claim.status is ClaimStatus.COMPLETE
    assert claim.claimed_by_installation_id == TARGET
    assert claim.completed_at is not None


def test_moved_resources_are_served_to_the_target_only(transfers, client, vercel, claim_id):
    transfers.verified(claim_id)
    transfers.accept(claim_id)
    resource_id = stored_claim(claim_id).resource_ids[0]

    as_target = client.get(
        f"/v1/installations/{TARGET}/resources/{resource_id}", headers=vercel.system(TARGET)
    )
    as_source = client.get(
        f"/v1/installations/{SOURCE}/resources/{resource_id}", headers=vercel.system(SOURCE)
    )

    assert as_target.status_code == 200
    assert as_target.get_json()["id"] == resource_id
    assert as_source.status_code == 404


def test_accept_keeps_secrets_and_plan_history(transfers, claim_id, resources):
    def kept() -> tuple[list, list]:
        db.session.expire_all()
        secrets = select(SecretVersion.resource_id, SecretVersion.version, SecretVersion.secrets)
        plans = select(ResourcePlanChange.resource_id, ResourcePlanChange.billing_plan_id)
        return (
            sorted(map(tuple, db.session.execute(secrets))),
            sorted(map(tuple, db.session.execute(plans))),
        )

    before = kept()
    transfers.verified(claim_id)
    transfers.accept(claim_id)

    assert kept() == before
    assert len(before[0]) == len(resources)


def test_accept_tells_vercel_on_the_target_installation(transfers, claim_id, resources):
    transfers.verified(claim_id)
    transfers.accept(claim_id)

    assert events() == [
        {
            "installation_id": TARGET,
            "event": {"type": "resource.updated", "productId": "demo", "resourceId": resource_id},
        }
        for resource_id in resources
    ]


def test_project_connections_follow_the_resources(transfers, claim_id, resources):
    kept = ProjectConnection(
        installation_id=SOURCE, resource_id="res_not_in_the_claim", project_id="prj_2"
    )
    moved = ProjectConnection(
        installation_id=SOURCE, resource_id=resources[0], project_id="prj_1", connected_at=utcnow()
    )
    db.session.add_all([kept, moved])
    db.session.commit()
    transfers.verified(claim_id)

    transfers.accept(claim_id)

    db.session.expire_all()
    assert (moved.installation_id, kept.installation_id) == (TARGET, SOURCE)


def test_an_optional_body_is_ignored(transfers, claim_id):
    transfers.verified(claim_id)
    body = {"targetInstallationId": OTHER_TARGET, "targetTeamId": "team_1"}

    assert transfers.accept(claim_id, json=body).status_code == 204
    assert stored_claim(claim_id).claimed_by_installation_id == TARGET


def test_a_repeat_accept_by_the_winner_is_204_and_changes_nothing(transfers, claim_id):
    transfers.verified(claim_id)
    assert transfers.accept(claim_id).status_code == 204
    before = snapshot()

    response = transfers.accept(claim_id)

    assert response.status_code == 204
    assert snapshot() == before


def test_a_repeat_accept_by_the_winner_succeeds_after_expiry_too(transfers, claim_id):
    transfers.verified(claim_id)
    transfers.accept(claim_id)
    expire(claim_id)
    before = snapshot()

    assert transfers.accept(claim_id).status_code == 204
    assert snapshot() == before


def test_accept_without_verify_is_409(transfers, claim_id, resources):
    transfers.verified(claim_id, OTHER_TARGET)
    before = snapshot()

    assert_refused(transfers.accept(claim_id), 409, "claim_not_verified")
    assert snapshot() == before


def test_accept_of_an_expired_claim_is_409(transfers, claim_id):
    transfers.verified(claim_id)
    expire(claim_id)
    before = snapshot()

    assert_refused(transfers.accept(claim_id), 409, "claim_expired")
    assert snapshot() == before


def test_a_claim_completed_by_one_target_is_refused_to_the_other(transfers, claim_id, resources):
    transfers.verified(claim_id, TARGET)
    transfers.verified(claim_id, OTHER_TARGET)
    assert transfers.accept(claim_id, TARGET).status_code == 204
    before = snapshot()

    assert_refused(transfers.accept(claim_id, OTHER_TARGET), 409, "claim_completed")
    assert snapshot() == before
    assert {owner_of(resource_id) for resource_id in resources} == {TARGET}


def test_accept_of_an_unknown_claim_is_404(transfers, targets):
    assert_refused(transfers.accept("trc_unknown"), 404, "not_found")


def test_accept_for_an_uninstalled_target_is_404(transfers, client, vercel, claim_id):
    transfers.verified(claim_id)
    uninstall = client.delete(f"/v1/installations/{TARGET}", headers=vercel.user(TARGET))
    assert uninstall.status_code == 200
    before = snapshot()

    assert_refused(transfers.accept(claim_id), 404, "not_found")
    assert snapshot() == before


def test_accept_after_a_resource_was_deleted_is_422(transfers, client, vercel, claim_id, resources):
    transfers.verified(claim_id)
    url = f"/v1/installations/{SOURCE}/resources/{resources[1]}"
    assert client.delete(url, headers=vercel.user()).status_code == 204
    before = snapshot()

    response = transfers.accept(claim_id)

    assert_refused(response, 422, "resource_not_owned")
    assert snapshot() == before
    assert stored_claim(claim_id).status is ClaimStatus.VERIFIED


def test_moved_resources_can_be_offered_by_their_new_owner_only(transfers, claim_id, resources):
    transfers.verified(claim_id)
    transfers.accept(claim_id)

    assert_refused(transfers.create(resources), 422, "resource_not_owned")
    assert transfers.create(resources, source=TARGET).status_code == 200
