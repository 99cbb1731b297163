"""`Idempotency-Key` on mutating Partner API calls (§3.1, §7.5), through HTTP."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import func, select, text

from partner_api.extensions import db
from partner_api.idempotency import service as idempotency
from partner_api.idempotency.models import COMPLETED, IN_PROGRESS, IdempotencyRecord
from partner_api.installations import service as installations
from partner_api.timeutil import utcnow
from tests.conftest import INSTALLATION_ID, upsert_body
from tests.dbstate import row_count, snapshot

URL = f"/v1/installations/{INSTALLATION_ID}"
OTHER_INSTALLATION = "icfg_other000000000000000002"


def keyed(headers: dict[str, str], key: str) -> dict[str, str]:
    return {**headers, "Idempotency-Key": key}


def stored_access_token(installation_id: str = INSTALLATION_ID) -> str:
    db.session.expire_all()
    return db.session.get(installations.Installation, installation_id).access_token


def records() -> list[IdempotencyRecord]:
    db.session.expire_all()
    return list(db.session.scalars(select(IdempotencyRecord).order_by(IdempotencyRecord.id)))


# --- replay ---------------------------------------------------------------------------------


def test_same_key_and_body_replays_the_first_answer(client, vercel):
    headers = keyed(vercel.user(), "install-1")
    first = client.put(URL, json=upsert_body(), headers=headers)
    assert first.status_code == 200
    assert "Idempotent-Replayed" not in first.headers
    after_first = snapshot()

    again = client.put(URL, json=upsert_body(), headers=keyed(vercel.user(), "install-1"))

    assert again.status_code == first.status_code
    assert again.get_json() == first.get_json()
    assert again.headers["Idempotent-Replayed"] == "true"
    assert snapshot() == after_first  # nothing ran: not even updated_at moved


def test_the_body_is_compared_by_content_not_layout(client, vercel):
    headers = {**keyed(vercel.user(), "install-1"), "Content-Type": "application/json"}
    body = upsert_body()
    client.put(URL, data=json.dumps(body), headers=headers)
    after_first = snapshot()
    relaid = json.dumps(dict(reversed(list(body.items()))), indent=4)

    again = client.put(URL, data=relaid, headers=headers)

    assert again.headers["Idempotent-Replayed"] == "true"
    assert snapshot() == after_first


def test_an_empty_answer_is_replayed_empty(client, vercel):
    """Delete of an unknown installation answers 204; its replay is 204 too."""
    headers = keyed(vercel.user(), "delete-1")
    first = client.delete(URL, headers=headers)
    again = client.delete(URL, headers=headers)
    assert first.status_code == again.status_code == 204
    assert again.data == b""
    assert again.headers["Idempotent-Replayed"] == "true"


def test_same_key_with_another_body_is_422_and_changes_nothing(client, vercel):
    client.put(URL, json=upsert_body("token-1"), headers=keyed(vercel.user(), "install-1"))
    before = snapshot()

    response = client.put(
        URL, json=upsert_body("token-2"), headers=keyed(vercel.user(), "install-1")
    )

    assert response.status_code == 422
    assert response.get_json()["error"]["code"] == "idempotency_key_reused"
    assert "token-2" not in response.get_data(as_text=True)
    assert snapshot() == before
    assert stored_access_token() == "token-1"


def test_different_keys_run_separately(client, vercel):
    client.put(URL, json=upsert_body("token-1"), headers=keyed(vercel.user(), "install-1"))
    response = client.put(
        URL, json=upsert_body("token-2"), headers=keyed(vercel.user(), "install-2")
    )
    assert response.status_code == 200
    assert "Idempotent-Replayed" not in response.headers
    assert stored_access_token() == "token-2"
    assert row_count("idempotency_records") == 2


def test_without_a_key_every_call_runs(client, vercel):
    client.put(URL, json=upsert_body("token-1"), headers=vercel.user())
    client.put(URL, json=upsert_body("token-2"), headers=vercel.user())
    assert stored_access_token() == "token-2"
    assert row_count("idempotency_records") == 0


def test_reads_ignore_the_key(client, vercel, installed):
    response = client.get(URL, headers=keyed(vercel.system(), "read-1"))
    assert response.status_code == 200
    assert row_count("idempotency_records") == 0


# --- failures do not consume the key ---------------------------------------------------


def test_a_failed_call_frees_its_key(client, vercel):
    broken = upsert_body()
    del broken["credentials"]
    failed = client.put(URL, json=broken, headers=keyed(vercel.user(), "install-1"))
    assert failed.status_code == 400
    assert snapshot() == {name: [] for name in snapshot()}

    corrected = client.put(URL, json=upsert_body(), headers=keyed(vercel.user(), "install-1"))

    assert corrected.status_code == 200
    assert "Idempotent-Replayed" not in corrected.headers
    assert stored_access_token() == "vercel-access-token-1"
    assert [record.state for record in records()] == [COMPLETED]


def test_a_domain_error_frees_its_key_and_is_not_replayed(client, vercel, installed):
    headers = keyed(vercel.user(), "plan-1")
    refused = client.patch(URL, json={"billingPlanId": "no-such-plan"}, headers=headers)
    assert refused.status_code == 400
    assert row_count("idempotency_records") == 0

    retried = client.patch(URL, json={"billingPlanId": "no-such-plan"}, headers=headers)
    assert retried.status_code == 400
    assert "Idempotent-Replayed" not in retried.headers


def test_a_refused_token_never_reaches_the_store(client, vercel):
    client.put(URL, json=upsert_body(), headers=keyed(vercel.user(), "install-1"))
    before = snapshot()
    viewer = keyed(vercel.user(role="USER"), "install-1")
    response = client.put(URL, json=upsert_body(), headers=viewer)
    assert response.status_code == 403  # the guard runs first: no replay for a viewer
    assert "Idempotent-Replayed" not in response.headers
    assert snapshot() == before


def test_an_overlong_key_is_422(client, vercel):
    response = client.put(URL, json=upsert_body(), headers=keyed(vercel.user(), "k" * 256))
    assert response.status_code == 422
    assert response.get_json()["error"]["code"] == "invalid_idempotency_key"
    assert snapshot() == {name: [] for name in snapshot()}


def test_a_key_with_a_nul_character_is_422(client, vercel):
    """Postgres cannot store a NUL: such a key was a 500 there."""
    response = client.put(URL, json=upsert_body(), headers=keyed(vercel.user(), "k\x00"))
    assert response.status_code == 422
    assert response.get_json()["error"]["code"] == "invalid_idempotency_key"
    assert snapshot() == {name: [] for name in snapshot()}


# --- scope --------------------------------------------------------------------------------------


def test_keys_are_scoped_per_installation(client, vercel):
    for installation_id in (INSTALLATION_ID, OTHER_INSTALLATION):
        response = client.put(
            f"/v1/installations/{installation_id}",
            json=upsert_body(),
            headers=keyed(vercel.user(installation_id), "same-key"),
        )
        assert response.status_code == 200
        assert "Idempotent-Replayed" not in response.headers
    assert row_count("installations") == 2
    assert {record.scope for record in records()} == {INSTALLATION_ID, OTHER_INSTALLATION}


def test_keys_are_scoped_per_method(client, vercel):
    put = client.put(URL, json=upsert_body(), headers=keyed(vercel.user(), "same-key"))
    delete = client.delete(URL, headers=keyed(vercel.user(), "same-key"))
    assert put.status_code == delete.status_code == 200
    assert delete.get_json() == {"finalized": True}
    assert "Idempotent-Replayed" not in delete.headers


def test_keys_are_scoped_per_path(app):
    def call(path: str) -> idempotency.Request:
        body = b"{}"
        return idempotency.Request(
            scope=INSTALLATION_ID,
            method="POST",
            path=path,
            key="same-key",
            fingerprint=idempotency.fingerprint("POST", path, body),
        )

    first = idempotency.begin(call(f"{URL}/resources"), wait_seconds=0, lease_seconds=60)
    second = idempotency.begin(call(f"{URL}/billing/provision"), wait_seconds=0, lease_seconds=60)
    assert isinstance(first, int) and isinstance(second, int) and first != second
    for claim in (first, second):  # or this process would renew them after the test
        idempotency.release(claim)


def test_ids_longer_than_their_columns_are_404_before_any_key_is_claimed(client, vercel):
    """A path id past its column's length names nothing (partner_api/pathids.py)."""
    long_id = "icfg_" + "x" * 600
    headers = keyed(vercel.system(long_id), "delete-long")
    response = client.delete(f"/v1/installations/{long_id}", headers=headers)
    assert response.status_code == 404
    assert response.get_json()["error"]["code"] == "not_found"
    assert records() == []


# --- concurrency ------------------------------------------------------------------------------


def counting(monkeypatch, name: str) -> list[Any]:
    """Replace `installations.<name>` by a slow wrapper that records each run."""
    original: Callable = getattr(installations, name)
    runs: list[Any] = []
    lock = threading.Lock()

    def slow(*args, **kwargs):
        with lock:
            runs.append(args)
        threading.Event().wait(0.3)  # let the duplicates arrive while this one runs
        return original(*args, **kwargs)

    monkeypatch.setattr(installations, name, slow)
    return runs


def send_at_once(app, count: int, send: Callable[[Any], Any]) -> list[Any]:
    """`count` threads, each with its own app context and client, released together."""
    start = threading.Barrier(count)
    answers: list[Any] = [None] * count

    def worker(index: int) -> None:
        with app.app_context():
            client = app.test_client()
            start.wait()
            try:
                answers[index] = send(client)
            finally:
                db.session.remove()

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert all(answer is not None for answer in answers)
    return answers


def assert_one_answer(answers: list[Any]) -> Any:
    """All answers are the same 2xx, except duplicates told to retry (409)."""
    done = [a for a in answers if a.status_code != 409]
    busy = [a for a in answers if a.status_code == 409]
    assert done, [a.status_code for a in answers]
    assert {(a.status_code, a.get_data()) for a in done} == {
        (done[0].status_code, done[0].get_data())
    }
    assert 200 <= done[0].status_code < 300
    for answer in busy:
        assert answer.get_json()["error"]["code"] == "request_in_progress"
    return done[0]


def test_concurrent_duplicate_upserts_run_once(app, vercel, monkeypatch):
    runs = counting(monkeypatch, "upsert")
    headers = keyed(vercel.user(), "install-race")

    answers = send_at_once(
        app, 6, lambda client: client.put(URL, json=upsert_body(), headers=headers)
    )

    assert len(runs) == 1
    assert assert_one_answer(answers).status_code == 200
    assert row_count("installations") == 1
    assert [record.state for record in records()] == [COMPLETED]


def test_concurrent_duplicate_deletes_run_once(app, vercel, installed, monkeypatch):
    runs = counting(monkeypatch, "uninstall")
    headers = keyed(vercel.user(), "delete-race")

    answers = send_at_once(app, 6, lambda client: client.delete(URL, headers=headers))

    assert len(runs) == 1
    assert assert_one_answer(answers).get_json() == {"finalized": True}


def test_a_duplicate_that_waits_too_long_is_told_to_retry(app, client, vercel, monkeypatch):
    app.config["IDEMPOTENCY_WAIT_SECONDS"] = 0.05
    runs = counting(monkeypatch, "upsert")
    headers = keyed(vercel.user(), "install-slow")

    answers = send_at_once(app, 2, lambda c: c.put(URL, json=upsert_body(), headers=headers))

    assert len(runs) == 1
    assert sorted(a.status_code for a in answers) == [200, 409]
    assert assert_one_answer(answers).status_code == 200


# --- storage ------------------------------------------------------------------------------


def test_stored_answers_are_encrypted_at_rest(client, vercel):
    response = client.put(URL, json=upsert_body(), headers=keyed(vercel.user(), "install-1"))
    row = (
        db.session.execute(
            text("SELECT * FROM idempotency_records WHERE key = :key"), {"key": "install-1"}
        )
        .mappings()
        .one()
    )
    raw = " ".join(str(value) for value in row.values())
    assert "vercel-access-token-1" not in raw
    assert "starter" not in raw  # the plan in the stored answer is not readable either
    assert row["response_body"].startswith("gAAAAA")
    assert records()[0].response_body == response.get_json()


# --- leases -----------------------------------------------------------------------------------


def abandoned_claim(body: dict[str, Any], *, lease_left: timedelta) -> None:
    """A claim as a crashed process leaves it: in progress, lease ending at `lease_left`."""
    now = utcnow()
    db.session.add(
        IdempotencyRecord(
            scope=INSTALLATION_ID,
            method="PUT",
            path=URL,
            key="install-1",
            fingerprint=idempotency.fingerprint("PUT", URL, json.dumps(body).encode()),
            state=IN_PROGRESS,
            lease_until=now + lease_left,
            created_at=now - timedelta(minutes=10),
        )
    )
    db.session.commit()


def test_a_claim_with_an_expired_lease_is_taken_over(client, vercel):
    abandoned_claim(upsert_body(), lease_left=-timedelta(seconds=1))

    response = client.put(URL, json=upsert_body(), headers=keyed(vercel.user(), "install-1"))

    assert response.status_code == 200
    assert "Idempotent-Replayed" not in response.headers
    assert stored_access_token() == "vercel-access-token-1"
    (record,) = records()
    assert record.state == COMPLETED
    assert record.response_body == response.get_json()


def test_a_claim_with_a_live_lease_is_409_and_changes_nothing(app, client, vercel):
    app.config["IDEMPOTENCY_WAIT_SECONDS"] = 0.05
    abandoned_claim(upsert_body(), lease_left=timedelta(minutes=5))
    before = snapshot()

    response = client.put(URL, json=upsert_body(), headers=keyed(vercel.user(), "install-1"))

    assert response.status_code == 409
    assert response.get_json()["error"]["code"] == "request_in_progress"
    assert snapshot() == before
    assert db.session.scalar(select(func.count()).select_from(installations.Installation)) == 0


@pytest.mark.parametrize("lease_left", [timedelta(minutes=5), -timedelta(seconds=1)])
def test_an_abandoned_claim_for_another_body_is_422(client, vercel, lease_left):
    abandoned_claim(upsert_body("token-other"), lease_left=lease_left)
    before = snapshot()
    response = client.put(URL, json=upsert_body(), headers=keyed(vercel.user(), "install-1"))
    assert response.status_code == 422
    assert snapshot() == before
