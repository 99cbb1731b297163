"""Shared fixtures: an app on a migrated database, and a `vercel` that signs tokens.

The database is SQLite unless `TEST_DATABASE_URL` names a Postgres server; then a fresh
database is created on it for the session and dropped afterwards.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from flask_migrate import upgrade

from partner_api import create_app
from partner_api.auth import devkeys
from partner_api.extensions import db
from tests.databases import temporary_postgres_database

os.environ["PARTNER_API_ENV"] = "testing"

ISSUER = "https://marketplace.vercel.com"
CLIENT_ID = "oac_TestIntegration0001"
CLIENT_SECRET = "test-client-secret"
ENCRYPTION_KEY = "cGFydG5lci1hcGktdGVzdC1rZXktMzItYnl0ZXMtb2s="
INSTALLATION_ID = "icfg_test0000000000000000001"


@pytest.fixture(scope="session")
def database_url(tmp_path_factory) -> Iterator[str]:
    server_url = os.environ.get("TEST_DATABASE_URL")
    if server_url:
        with temporary_postgres_database(server_url) as url:
            yield url
    else:
        yield f"sqlite:///{tmp_path_factory.mktemp('db') / 'partner-api.sqlite3'}"


@pytest.fixture(scope="session")
def signing_key():
    return devkeys.generate_signing_key("test-key-1")


@pytest.fixture(scope="session")
def jwks_file(tmp_path_factory, signing_key) -> Path:
    path = tmp_path_factory.mktemp("jwks") / "jwks.json"
    path.write_text(json.dumps(devkeys.public_jwks(signing_key)))
    return path


@pytest.fixture(scope="session")
def app_settings(database_url, jwks_file, tmp_path_factory) -> dict[str, Any]:
    return {
        "SQLALCHEMY_DATABASE_URI": database_url,
        "VERCEL_JWKS_URL": jwks_file.as_uri(),
        "VERCEL_OIDC_ISSUER": ISSUER,
        "INTEGRATION_CLIENT_ID": CLIENT_ID,
        "INTEGRATION_CLIENT_SECRET": CLIENT_SECRET,
        "ENCRYPTION_KEYS": ENCRYPTION_KEY,
        "SECRET_KEY": "test-session-key",
        "IDEMPOTENCY_WAIT_SECONDS": 5.0,
    }


@pytest.fixture(scope="session")
def migrated(app_settings) -> None:
    """Build the schema once per session through the real migrations."""
    app = create_app(app_settings)
    with app.app_context():
        upgrade(revision="heads")
        db.engine.dispose()


def _empty_tables() -> None:
    with db.engine.begin() as connection:
        for table in reversed(db.metadata.sorted_tables):
            connection.execute(table.delete())


@contextmanager
def running_app(settings: dict[str, Any]) -> Iterator[Any]:
    """An app on the migrated test database, inside its app context; emptied afterwards."""
    app = create_app(settings)
    with app.app_context():
        yield app
        db.session.remove()
        _empty_tables()
        db.engine.dispose()


@pytest.fixture
def app(app_settings, migrated):
    with running_app(app_settings) as app:
        yield app


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


@dataclass
class Vercel:
    """Plays Vercel: signs tokens with the test key and builds Partner API headers."""

    key: Any
    issuer: str = ISSUER
    audience: str = CLIENT_ID
    idempotency_keys: list[str] = field(default_factory=list)

    def user_token(self, installation_id: str = INSTALLATION_ID, role: str = "ADMIN", **claims):
        return devkeys.sign_token(
            self.key,
            devkeys.user_claims(
                installation_id=installation_id,
                issuer=self.issuer,
                audience=self.audience,
                role=role,
                **claims,
            ),
        )

    def system_token(self, installation_id: str | None = INSTALLATION_ID, **claims):
        return devkeys.sign_token(
            self.key,
            devkeys.system_claims(
                installation_id=installation_id,
                issuer=self.issuer,
                audience=self.audience,
                **claims,
            ),
        )

    def user(self, installation_id: str = INSTALLATION_ID, role: str = "ADMIN", **claims):
        token = self.user_token(installation_id, role, **claims)
        return {"Authorization": f"Bearer {token}", "X-Vercel-Auth": "user"}

    def system(self, installation_id: str | None = INSTALLATION_ID, **claims):
        token = self.system_token(installation_id, **claims)
        return {"Authorization": f"Bearer {token}", "X-Vercel-Auth": "system"}


@pytest.fixture
def vercel(signing_key) -> Vercel:
    return Vercel(signing_key)


def upsert_body(token: str = "vercel-access-token-1") -> dict[str, Any]:
    return {
        "scopes": ["read:resource", "write:resource"],
        "acceptedPolicies": {"toc": "2026-01-01T00:00:00Z"},
        "credentials": {"access_token": token, "token_type": "Bearer"},
        "account": {
            "name": "Acme",
            "url": "https://vercel.com/acme",
            "contact": {"email": "owner@acme.test", "name": "Owner"},
        },
    }


@pytest.fixture
def installed(client, vercel) -> str:
    """An installation made through Upsert Installation; returns its id."""
    response = client.put(
        f"/v1/installations/{INSTALLATION_ID}", json=upsert_body(), headers=vercel.user()
    )
    assert response.status_code == 200, response.get_json()
    return INSTALLATION_ID
