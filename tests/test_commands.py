"""`flask dev …` and `flask maintenance …` commands."""

from __future__ import annotations

import json
import stat
from datetime import timedelta

import pytest
from cryptography.fernet import Fernet
from sqlalchemy import text

from partner_api import create_app
from partner_api.extensions import db
from partner_api.idempotency.models import COMPLETED, IN_PROGRESS, IdempotencyRecord
from partner_api.jobs import enqueue
from partner_api.timeutil import utcnow
from tests.conftest import ENCRYPTION_KEY, upsert_body
from tests.dbstate import snapshot

PRIVATE_MEMBERS = {"d", "p", "q", "dp", "dq", "qi", "oth"}
DEV_INSTALLATION = "icfg_devcommand000000000001"


def invoke(app, *args: str):
    """Run a command against `app` (its own app context, not the test's)."""
    with app.app_context():
        result = app.test_cli_runner().invoke(args=list(args))
        db.engine.dispose()
    assert result.exception is None or isinstance(result.exception, SystemExit), result.output
    return result


# --- dev keys -----------------------------------------------------------------------------------


def test_dev_keys_writes_a_private_key_and_a_public_key_set(app, tmp_path):
    app.instance_path = str(tmp_path)
    result = invoke(app, "dev", "keys")
    assert result.exit_code == 0

    private = tmp_path / "dev-signing-key.json"
    public = tmp_path / "dev-jwks.json"
    assert stat.S_IMODE(private.stat().st_mode) == 0o600
    assert {"d", "p", "q"} <= set(json.loads(private.read_text()))
    (key,) = json.loads(public.read_text())["keys"]
    assert key["kty"] == "RSA" and key["alg"] == "RS256" and key["kid"]
    assert not PRIVATE_MEMBERS & set(key)
    assert str(private) in result.output and str(public) in result.output


def test_dev_keys_keeps_existing_keys(app, tmp_path):
    app.instance_path = str(tmp_path)
    invoke(app, "dev", "keys")
    files = ("dev-signing-key.json", "dev-jwks.json")
    first = {name: (tmp_path / name).read_text() for name in files}
    invoke(app, "dev", "keys")
    assert {name: (tmp_path / name).read_text() for name in files} == first


def test_dev_keys_warns_when_the_server_trusts_another_key_set(app, tmp_path):
    app.instance_path = str(tmp_path)  # the test app's VERCEL_JWKS_URL is set
    assert "VERCEL_JWKS_URL is set" in invoke(app, "dev", "keys").output


# --- dev token ---------------------------------------------------------------------------------


@pytest.fixture
def dev_app(app, app_settings, tmp_path):
    """An app that trusts the key set `flask dev keys` writes into its instance folder."""
    dev = create_app({**app_settings, "VERCEL_JWKS_URL": (tmp_path / "dev-jwks.json").as_uri()})
    dev.instance_path = str(tmp_path)
    invoke(dev, "dev", "keys")
    yield dev
    with dev.app_context():
        db.engine.dispose()


def dev_token(dev_app, *options: str) -> str:
    result = invoke(dev_app, "dev", "token", *options)
    assert result.exit_code == 0, result.output
    return result.output.strip()


def headers(token: str, kind: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}", "X-Vercel-Auth": kind}


def test_a_dev_token_installs_through_the_api(dev_app):
    token = dev_token(dev_app, "--installation", DEV_INSTALLATION)
    client = dev_app.test_client()

    response = client.put(
        f"/v1/installations/{DEV_INSTALLATION}", json=upsert_body(), headers=headers(token, "user")
    )

    assert response.status_code == 200
    assert snapshot()["installations"][0][0] == DEV_INSTALLATION


def test_dev_tokens_of_each_kind_are_accepted(dev_app):
    client = dev_app.test_client()
    user = dev_token(dev_app, "--installation", DEV_INSTALLATION)
    client.put(
        f"/v1/installations/{DEV_INSTALLATION}", json=upsert_body(), headers=headers(user, "user")
    )

    system = dev_token(dev_app, "--installation", DEV_INSTALLATION, "--kind", "system")
    response = client.get(
        f"/v1/installations/{DEV_INSTALLATION}", headers=headers(system, "system")
    )
    assert response.status_code == 200

    anonymous = dev_token(dev_app, "--kind", "system", "--no-installation")
    response = client.get("/v1/products/demo/plans", headers=headers(anonymous, "system"))
    assert response.status_code == 200

    viewer = dev_token(dev_app, "--installation", DEV_INSTALLATION, "--role", "USER")
    response = client.delete(
        f"/v1/installations/{DEV_INSTALLATION}", headers=headers(viewer, "user")
    )
    assert response.status_code == 403


def test_an_expired_dev_token_is_refused(dev_app):
    token = dev_token(dev_app, "--kind", "system", "--no-installation", "--ttl", "-600")
    response = dev_app.test_client().get(
        "/v1/products/demo/plans", headers=headers(token, "system")
    )
    assert response.status_code == 401


def test_dev_token_without_keys_says_what_to_run(app, tmp_path):
    app.instance_path = str(tmp_path)
    result = invoke(app, "dev", "token")
    assert result.exit_code != 0
    assert "dev keys" in result.output


# --- maintenance reencrypt ------------------------------------------------------------------


def with_keys(app_settings, keys: str):
    return create_app({**app_settings, "ENCRYPTION_KEYS": keys})


def read_everything(app) -> dict:
    with app.app_context():
        try:
            return snapshot()
        finally:
            db.engine.dispose()


def test_reencrypt_moves_every_secret_to_the_newest_key(app, client, vercel, app_settings):
    client.put(
        "/v1/installations/icfg_test0000000000000000001",
        json=upsert_body(),
        headers={**vercel.user(), "Idempotency-Key": "install-1"},
    )
    enqueue("test.job", {"secret": "job-secret-value"})
    db.session.commit()
    new_key = Fernet.generate_key().decode()
    rotating = with_keys(app_settings, f"{new_key},{ENCRYPTION_KEY}")
    only_new = with_keys(app_settings, new_key)
    before = read_everything(rotating)
    with pytest.raises(ValueError, match="cannot be decrypted"):
        read_everything(only_new)

    result = invoke(rotating, "maintenance", "reencrypt")

    assert result.exit_code == 0, result.output
    assert "re-encrypted 3 rows" in result.output  # installation, stored answer, job
    assert read_everything(only_new) == before
    raw = db.session.execute(text("SELECT access_token FROM installations")).scalar_one()
    assert Fernet(new_key.encode()).decrypt(raw.encode()) == b"vercel-access-token-1"


def test_reencrypt_with_nothing_stored(app):
    result = invoke(app, "maintenance", "reencrypt")
    assert result.exit_code == 0
    assert "re-encrypted 0 rows" in result.output


# --- maintenance purge-idempotency ----------------------------------------------------------


def record(key: str, age: timedelta, state: str = COMPLETED) -> IdempotencyRecord:
    created = utcnow() - age
    return IdempotencyRecord(
        scope="icfg_test0000000000000000001",
        method="PUT",
        path="/v1/installations/icfg_test0000000000000000001",
        key=key,
        fingerprint="0" * 64,
        state=state,
        lease_until=created + timedelta(minutes=5),
        response_status=200 if state == COMPLETED else None,
        response_body={} if state == COMPLETED else None,
        created_at=created,
    )


def test_purge_removes_only_records_past_the_retention_window(app):
    retention = timedelta(hours=app.config["IDEMPOTENCY_RETENTION_HOURS"])
    db.session.add_all(
        [
            record("old", retention + timedelta(minutes=1)),
            record("old-abandoned", retention + timedelta(days=3), state=IN_PROGRESS),
            record("recent", retention - timedelta(minutes=1)),
            record("new", timedelta(seconds=1), state=IN_PROGRESS),
        ]
    )
    db.session.commit()

    result = invoke(app, "maintenance", "purge-idempotency")

    assert result.exit_code == 0
    assert "removed 2 idempotency records" in result.output
    db.session.expire_all()
    assert sorted(r.key for r in db.session.query(IdempotencyRecord)) == ["new", "recent"]
