"""Two targets accept one claim at the same time: exactly one gets the resources (§3.4.17).

Each accept runs in its own thread, app context and test client, like two requests served
by two workers. A short pause between reading the claim and completing it makes the two
requests overlap: on Postgres the second waits on the claim's row lock; on SQLite both read
the claim, and the conditional completion lets only one of them through.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

import pytest

from partner_api.extensions import db
from partner_api.transfers import service
from tests.transfers.conftest import (
    OTHER_TARGET,
    TARGET,
    Transfers,
    events,
    owner_of,
    stored_claim,
)

PAUSE_SECONDS = 0.3


def at_once(app, sends: list[Callable[[Any], Any]]) -> list[Any]:
    """Each send in its own thread with its own app context and client, released together."""
    start = threading.Barrier(len(sends))
    answers: list[Any] = [None] * len(sends)

    def worker(index: int) -> None:
        with app.app_context():
            client = app.test_client()
            start.wait()
            try:
                answers[index] = sends[index](client)
            finally:
                db.session.remove()

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(len(sends))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert all(answer is not None for answer in answers)
    return answers


@pytest.fixture
def overlapping(monkeypatch):
    """Hold each accept between reading the claim and completing it."""
    read_targets = service._verified_targets

    def slow(claim):
        found = read_targets(claim)
        threading.Event().wait(PAUSE_SECONDS)
        return found

    monkeypatch.setattr(service, "_verified_targets", slow)


def test_two_concurrent_accepts_by_different_targets_have_one_winner(
    app, vercel, claim_id, resources, overlapping
):
    for target in (TARGET, OTHER_TARGET):
        Transfers(app.test_client(), vercel).verified(claim_id, target)

    def accept_as(target: str) -> Callable[[Any], Any]:
        return lambda client: Transfers(client, vercel).accept(claim_id, target)

    answers = at_once(app, [accept_as(TARGET), accept_as(OTHER_TARGET)])

    statuses = sorted(answer.status_code for answer in answers)
    assert statuses == [204, 409], [answer.get_json() for answer in answers]
    loser = next(answer for answer in answers if answer.status_code == 409)
    assert loser.get_json()["error"]["code"] == "claim_completed"
    winner = stored_claim(claim_id).claimed_by_installation_id
    assert winner in (TARGET, OTHER_TARGET)
    assert {owner_of(resource_id) for resource_id in resources} == {winner}
    assert [event["installation_id"] for event in events()] == [winner] * len(resources)


def test_concurrent_repeats_by_the_same_target_move_the_resources_once(
    app, vercel, claim_id, resources, overlapping
):
    Transfers(app.test_client(), vercel).verified(claim_id, TARGET)

    def accept(client):
        return Transfers(client, vercel).accept(claim_id, TARGET)

    answers = at_once(app, [accept, accept])

    assert [answer.status_code for answer in answers] == [204, 204]
    assert {owner_of(resource_id) for resource_id in resources} == {TARGET}
    assert len(events()) == len(resources)
