"""The signed receiver (§2.3, §5.1): who may deliver, what is stored, and only once."""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import threading

import pytest
from sqlalchemy import text

from partner_api.extensions import db
from partner_api.jobs.models import Job
from partner_api.webhooks import receiver
from partner_api.webhooks.models import WebhookEvent
from partner_api.webhooks.signature import sign
from tests.conftest import CLIENT_SECRET
from tests.webhooks.delivery import counts, deliver, deliver_and_handle, event, post

UNKNOWN_TYPE = "domain.created"


def signed_post(client, body: bytes):
    return post(client, body, sign(body, CLIENT_SECRET))


def test_a_signed_event_is_stored_and_queued(client):
    document = event(UNKNOWN_TYPE, {"domain": {"name": "acme.test"}}, event_id="evt_stored")
    response = deliver(client, document)
    assert response.status_code == 200
    assert response.get_json() == {"received": True, "duplicate": False}
    stored = db.session.get(WebhookEvent, "evt_stored")
    assert stored.type == UNKNOWN_TYPE
    assert stored.body == document
    assert stored.occurred_at.timestamp() * 1000 == document["createdAt"]
    assert stored.processed_at is None
    [job] = db.session.scalars(db.select(Job)).all()
    assert (job.kind, job.payload) == ("webhooks.handle", {"event_id": "evt_stored"})


def test_the_signature_covers_the_exact_bytes_received(client):
    """Any layout is fine, as long as the signature is over those very bytes."""
    body = b'{ "type": "domain.created",\n  "id": "evt_layout", "payload": {} }'
    assert signed_post(client, body).status_code == 200
    assert counts() == (1, 1)


def test_uppercase_hex_spells_the_same_mac_and_is_accepted(client):
    body = json.dumps(event(UNKNOWN_TYPE)).encode()
    response = post(client, body, sign(body, CLIENT_SECRET).upper())
    assert response.status_code == 200
    assert counts() == (1, 1)


def _refusals():
    document = event(UNKNOWN_TYPE, {"note": "original"})
    body = json.dumps(document).encode()
    tampered = body.replace(b"original", b"tampered")
    spaced = json.dumps(document, indent=2).encode()
    return {
        "missing header": (body, None, 401, "missing_signature"),
        "empty header": (body, "", 401, "missing_signature"),
        "wrong secret": (body, sign(body, "not-the-client-secret"), 403, "invalid_signature"),
        "signature of other bytes": (tampered, sign(body, CLIENT_SECRET), 403, "invalid_signature"),
        "signature of the re-serialized JSON": (
            spaced,
            sign(json.dumps(json.loads(spaced)).encode(), CLIENT_SECRET),
            403,
            "invalid_signature",
        ),
        "sha256 instead of sha1": (
            body,
            hmac.new(CLIENT_SECRET.encode(), body, hashlib.sha256).hexdigest(),
            403,
            "invalid_signature",
        ),
        "sha1= prefix": (body, "sha1=" + sign(body, CLIENT_SECRET), 403, "invalid_signature"),
        "truncated": (body, sign(body, CLIENT_SECRET)[:-2], 403, "invalid_signature"),
        "not hex": (body, "z" * 40, 403, "invalid_signature"),
        "non-ascii": (body, "é" * 40, 403, "invalid_signature"),
    }


@pytest.mark.parametrize("case", list(_refusals()))
def test_a_bad_signature_is_refused_and_nothing_is_stored(client, case):
    body, signature, status, code = _refusals()[case]
    response = post(client, body, signature)
    assert response.status_code == status
    error = response.get_json()["error"]
    assert error["code"] == code
    assert b"original" not in response.data and b"tampered" not in response.data
    assert counts() == (0, 0)


@pytest.mark.parametrize(
    ("body", "code", "keys"),
    [
        (b"{not json", "invalid_json", None),
        (b'["a list"]', "validation_error", ["body"]),
        (b'{"type": "domain.created", "payload": {}}', "validation_error", ["id"]),
        (b'{"id": "evt_1", "payload": {}}', "validation_error", ["type"]),
        (b'{"id": "", "type": "  "}', "validation_error", ["id", "type"]),
        (b'{"id": 7, "type": "domain.created"}', "validation_error", ["id"]),
        (b'{"id": "evt_1", "type": "domain.created", "payload": []}', "validation_error",
         ["payload"]),
    ],
)
def test_a_signed_but_unusable_body_is_400_and_nothing_is_stored(client, body, code, keys):
    response = signed_post(client, body)
    assert response.status_code == 400
    error = response.get_json()["error"]
    assert error["code"] == code
    if keys is not None:
        assert [field["key"] for field in error["fields"]] == keys
    assert counts() == (0, 0)


def test_an_oversized_body_is_413_and_nothing_is_stored(app, client):
    app.config["MAX_CONTENT_LENGTH"] = 2048
    document = event(UNKNOWN_TYPE, {"padding": "x" * 4096})
    response = deliver(client, document)
    assert response.status_code == 413
    assert response.get_json()["error"]["code"] == "request_too_large"
    assert counts() == (0, 0)


def test_a_repeat_delivery_is_acknowledged_and_changes_nothing(client):
    document = event(UNKNOWN_TYPE, event_id="evt_twice")
    assert deliver(client, document).get_json()["duplicate"] is False
    again = deliver(client, {**document, "payload": {"changed": True}})
    assert again.status_code == 200
    assert again.get_json() == {"received": True, "duplicate": True}
    assert counts() == (1, 1)
    assert db.session.get(WebhookEvent, "evt_twice").body == document


def test_a_missing_or_odd_created_at_is_stored_as_unknown(client):
    for created in (None, "yesterday", True):
        document = event(UNKNOWN_TYPE, created_ms=None)
        if created is not None:
            document["createdAt"] = created
        assert deliver(client, document).status_code == 200
        assert db.session.get(WebhookEvent, document["id"]).occurred_at is None


def test_the_stored_event_is_encrypted_at_rest(client):
    document = event(
        "marketplace.member.changed",
        {"memberId": "user_1", "role": "ADMIN", "userEmail": "secret-person@acme.test"},
        event_id="evt_encrypted",
    )
    deliver(client, document)
    raw = db.session.execute(
        text("SELECT body FROM webhook_events WHERE id = 'evt_encrypted'")
    ).scalar_one()
    assert raw.startswith("gAAAAA")  # a Fernet token
    assert "secret-person" not in raw and "memberId" not in raw


def test_the_payload_never_reaches_the_logs(client, caplog):
    document = event(
        "marketplace.member.changed",
        {"memberId": "user_1", "role": "ADMIN", "userEmail": "secret-person@acme.test"},
    )
    with caplog.at_level(logging.DEBUG):
        deliver_and_handle(client, document)
        deliver(client, document)
        post(client, json.dumps(document).encode(), "0" * 40)
    assert document["id"] in caplog.text  # the handling was logged, by id
    assert "secret-person" not in caplog.text
    assert "user_1" not in caplog.text


def test_a_duplicate_that_slips_past_the_lookup_hits_the_unique_key(app, client, monkeypatch):
    """What a concurrent delivery sees: the row appeared after its lookup."""
    document = event(UNKNOWN_TYPE, event_id="evt_slipped")
    deliver(client, document)
    monkeypatch.setattr(receiver.db.session, "get", lambda *args, **kwargs: None)
    assert receiver.store(document) is False
    db.session.commit()
    monkeypatch.undo()
    assert counts() == (1, 1)


@pytest.fixture
def postgres(database_url):
    if not database_url.startswith("postgresql"):
        pytest.skip("needs Postgres (TEST_DATABASE_URL)")


@pytest.mark.postgres
def test_racing_deliveries_of_one_event_store_and_queue_it_once(app, postgres):
    body = json.dumps(event(UNKNOWN_TYPE, event_id="evt_race")).encode()
    signature = sign(body, CLIENT_SECRET)
    racers = 8
    barrier = threading.Barrier(racers)
    answers: list[tuple[int, bool]] = []

    def deliver_once():
        client = app.test_client()
        barrier.wait()
        response = post(client, body, signature)
        answers.append((response.status_code, response.get_json()["duplicate"]))

    threads = [threading.Thread(target=deliver_once) for _ in range(racers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(answers) == [(200, False)] + [(200, True)] * (racers - 1)
    assert counts() == (1, 1)
