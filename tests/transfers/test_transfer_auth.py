"""Who may call verify and accept: system tokens of the target or of the claim's source.

The path names the *target* installation (§3.4.16–3.4.17), so the usual path binding does
not apply; the guard binds the token to the target or to the claim's source instead (§7.1).
"""

from __future__ import annotations

import pytest

from tests.dbstate import snapshot
from tests.transfers.conftest import (
    OTHER_TARGET,
    SOURCE,
    STRANGER,
    TARGET,
    assert_refused,
    owner_of,
    verified_targets,
)

ACTIONS = ["verify", "accept"]


def call(transfers, action: str, claim_id: str, headers: dict[str, str]):
    return getattr(transfers, action)(claim_id, TARGET, headers=headers)


@pytest.mark.parametrize("action", ACTIONS)
@pytest.mark.parametrize("role", ["ADMIN", "USER"])
def test_a_user_token_is_403(transfers, vercel, claim_id, action, role):
    transfers.verified(claim_id)
    before = snapshot()

    response = call(transfers, action, claim_id, vercel.user(TARGET, role=role))

    assert_refused(response, 403, "auth_kind_not_allowed")
    assert snapshot() == before


@pytest.mark.parametrize("action", ACTIONS)
@pytest.mark.parametrize("token_installation", [STRANGER, OTHER_TARGET])
def test_a_token_of_an_unrelated_installation_is_403(
    transfers, vercel, claim_id, action, token_installation
):
    transfers.verified(claim_id)
    before = snapshot()

    response = call(transfers, action, claim_id, vercel.system(token_installation))

    assert_refused(response, 403, "installation_mismatch")
    assert snapshot() == before


@pytest.mark.parametrize("action", ACTIONS)
def test_an_unrelated_token_learns_nothing_about_unknown_claims(transfers, vercel, targets, action):
    response = call(transfers, action, "trc_unknown", vercel.system(STRANGER))
    assert_refused(response, 403, "installation_mismatch")


@pytest.mark.parametrize("token_installation", [SOURCE, None])
def test_the_sources_token_or_one_without_installation_may_verify_and_accept(
    transfers, vercel, claim_id, resources, token_installation
):
    headers = vercel.system(token_installation)

    assert call(transfers, "verify", claim_id, headers).status_code == 200
    assert call(transfers, "accept", claim_id, headers).status_code == 204

    assert verified_targets(claim_id) == [TARGET]
    assert {owner_of(resource_id) for resource_id in resources} == {TARGET}
