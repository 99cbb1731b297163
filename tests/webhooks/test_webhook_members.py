"""`marketplace.member.changed` (§5.2): member roles, newest report wins, removal keeps the row."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from partner_api.extensions import db
from partner_api.installations.member_models import Member
from tests.conftest import INSTALLATION_ID
from tests.webhooks.delivery import BASE_MS, deliver_and_handle, event


def member_event(role: str, seconds: int = 0, **fields) -> dict:
    payload = {"memberId": "user_7", "role": role, **fields}
    return event("marketplace.member.changed", payload, created_ms=BASE_MS + seconds * 1000)


def members() -> list[Member]:
    db.session.expire_all()
    return db.session.scalars(select(Member)).all()


def test_a_member_is_recorded_with_role_email_and_global_id(client, installed):
    changed = member_event("ADMIN", userEmail="ada@acme.test", globalUserId="guser_7")
    assert deliver_and_handle(client, changed) == ["handled"]
    [member] = members()
    assert (member.installation_id, member.user_id, member.role) == (
        INSTALLATION_ID,
        "user_7",
        "ADMIN",
    )
    assert (member.email, member.global_user_id) == ("ada@acme.test", "guser_7")


def test_a_role_change_without_email_keeps_the_stored_email(client, installed):
    deliver_and_handle(client, member_event("ADMIN", 0, userEmail="ada@acme.test"))
    deliver_and_handle(client, member_event("USER", 60))
    [member] = members()
    assert (member.role, member.email) == ("USER", "ada@acme.test")


def test_removal_keeps_the_row_with_role_none(client, installed):
    deliver_and_handle(client, member_event("ADMIN", 0), member_event("NONE", 60))
    [member] = members()
    assert member.role == "NONE"


def test_a_late_older_report_does_not_restore_a_removed_member(client, installed):
    deliver_and_handle(client, member_event("NONE", 60))
    assert deliver_and_handle(client, member_event("ADMIN", 0)) == ["stale"]
    assert members()[0].role == "NONE"


@pytest.mark.parametrize(
    ("fields", "problem"),
    [
        ({"role": "OWNER"}, "role must be one of ADMIN, USER, NONE"),
        ({"role": None}, "role must be a non-empty string"),
        ({"memberId": ""}, "memberId must be a non-empty string"),
    ],
)
def test_a_malformed_member_event_changes_nothing(client, installed, fields, problem):
    changed = event("marketplace.member.changed", {"memberId": "user_7", "role": "ADMIN", **fields})
    assert deliver_and_handle(client, changed) == [f"malformed: {problem}"]
    assert members() == []
