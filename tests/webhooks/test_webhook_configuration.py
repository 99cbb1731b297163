"""`integration-configuration.*` (§5.2): removal, transfer and scope changes."""

from __future__ import annotations

from partner_api.extensions import db
from partner_api.installations.models import Installation
from tests.conftest import INSTALLATION_ID
from tests.webhooks.delivery import deliver_and_handle, event


def installation() -> Installation:
    db.session.expire_all()
    return db.session.get(Installation, INSTALLATION_ID)


def removed() -> dict:
    return event(
        "integration-configuration.removed",
        {"configuration": {"id": INSTALLATION_ID, "projectSelection": "all", "projects": []}},
        installation_id=None,
    )


def test_removed_uninstalls_like_delete_installation(client, vercel, installed):
    assert deliver_and_handle(client, removed()) == ["handled"]
    record = installation()
    assert record.deleted_at is not None
    assert record.delete_reason == "configuration-removed"
    response = client.get(f"/v1/installations/{INSTALLATION_ID}", headers=vercel.system())
    assert response.status_code == 404


def test_removed_after_delete_installation_changes_nothing(client, vercel, installed):
    url = f"/v1/installations/{INSTALLATION_ID}"
    body = {"cascadeResourceDeletion": False, "reason": "user-request"}
    assert client.delete(url, json=body, headers=vercel.user()).status_code == 200
    before = installation()
    deleted_at, updated_at = before.deleted_at, before.updated_at
    assert deliver_and_handle(client, removed()) == ["already uninstalled"]
    after = installation()
    assert (after.deleted_at, after.updated_at) == (deleted_at, updated_at)
    assert (after.delete_reason, after.cascade_resource_deletion) == ("user-request", False)


def test_a_repeated_removal_is_handled_once_and_then_is_a_no_op(client, installed):
    assert deliver_and_handle(client, removed(), removed()) == [
        "handled",
        "already uninstalled",
    ]


def test_removed_for_an_unknown_installation_is_acknowledged(client):
    assert deliver_and_handle(client, removed()) == ["unknown installation"]


def test_transferred_re_keys_the_account(client, installed):
    transferred = event(
        "integration-configuration.transferred",
        {
            "previousTeamId": "team_old",
            "previousAccountId": "acc_old",
            "newTeamId": "team_new",
            "newAccountId": "acc_new",
        },
    )
    assert deliver_and_handle(client, transferred) == ["handled"]
    assert installation().account_id == "acc_new"


def test_transferred_without_a_new_account_changes_nothing(client, installed):
    account_id = installation().account_id
    transferred = event("integration-configuration.transferred", {"newTeamId": "team_new"})
    assert deliver_and_handle(client, transferred) == ["no new account id"]
    assert installation().account_id == account_id


def test_scope_change_confirmed_stores_the_scopes(client, installed):
    confirmed = event(
        "integration-configuration.scope-change-confirmed",
        {"configuration": {"id": INSTALLATION_ID, "scopes": ["read:resource", "read:project"]}},
        installation_id=None,
    )
    assert deliver_and_handle(client, confirmed) == ["handled"]
    assert installation().scopes == ["read:resource", "read:project"]


def test_a_malformed_scope_change_keeps_the_scopes(client, installed):
    confirmed = event(
        "integration-configuration.scope-change-confirmed",
        {"configuration": {"id": INSTALLATION_ID, "scopes": "read:resource"}},
        installation_id=None,
    )
    [result] = deliver_and_handle(client, confirmed)
    assert result == "malformed: configuration.scopes must be a list of strings"
    assert installation().scopes == ["read:resource", "write:resource"]
