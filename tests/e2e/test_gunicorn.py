"""The server as deployed: the Procfile's release command, then its web command (gunicorn).

The key set, issuer and audience point at keys only the test controls, so every token here
is verified by the real code in a real server process.
"""

from __future__ import annotations

import os
import subprocess
from collections.abc import Iterator

import pytest
import requests
from sqlalchemy import create_engine, func, select, table

from partner_api.auth import devkeys
from tests import serverproc
from tests.conftest import (
    CLIENT_ID,
    CLIENT_SECRET,
    ISSUER,
    temporary_postgres_database,
    upsert_body,
)
from tests.forgery import hs256_with_public_key, unsigned_token
from tests.serverproc import deployed

pytestmark = pytest.mark.e2e

INSTALLATION = "icfg_e2e000000000000000000001"
OTHER_INSTALLATION = "icfg_e2e000000000000000000002"


def settings(jwks_uri: str) -> dict[str, str]:
    return {
        "VERCEL_JWKS_URL": jwks_uri,
        "VERCEL_OIDC_ISSUER": ISSUER,
        "INTEGRATION_CLIENT_ID": CLIENT_ID,
        "INTEGRATION_CLIENT_SECRET": CLIENT_SECRET,
    }


@pytest.fixture(scope="module")
def database(tmp_path_factory) -> Iterator[str]:
    server_url = os.environ.get("TEST_DATABASE_URL")
    if not server_url:
        yield f"sqlite:///{tmp_path_factory.mktemp('e2e') / 'e2e.sqlite3'}"
        return
    with temporary_postgres_database(server_url) as url:
        # Deploy with the Heroku spelling, which the app must rewrite.
        yield "postgres://" + url.split("://", 1)[1]


@pytest.fixture(scope="module")
def server(database, jwks_file, tmp_path_factory) -> Iterator[str]:
    log = tmp_path_factory.mktemp("gunicorn") / "gunicorn.log"
    with deployed(database, settings(jwks_file.as_uri()), log) as base_url:
        yield base_url
    assert "vercel-access-token" not in log.read_text()


@pytest.fixture
def installations_count(database):
    url = database.replace("postgres://", "postgresql+psycopg://", 1)
    engine = create_engine(url)

    def count() -> int:
        statement = select(func.count()).select_from(table("installations"))
        with engine.connect() as connection:
            return connection.execute(statement).scalar_one()

    yield count
    engine.dispose()


def bearer(token: str, kind: str = "user") -> dict[str, str]:
    return {"Authorization": f"Bearer {token}", "X-Vercel-Auth": kind}


def test_lifecycle_through_gunicorn(server, vercel):
    url = f"{server}/v1/installations/{INSTALLATION}"
    upsert = requests.put(url, json=upsert_body(), headers=vercel.user(INSTALLATION), timeout=10)
    assert upsert.status_code == 200
    assert upsert.json()["billingPlan"]["id"] == "starter"
    assert upsert.headers["X-Request-Id"]

    got = requests.get(url, headers=vercel.system(INSTALLATION), timeout=10)
    assert got.status_code == 200
    assert got.json()["notification"] is None

    plans = requests.get(f"{url}/plans", headers=vercel.system(INSTALLATION), timeout=10)
    assert [plan["id"] for plan in plans.json()["plans"]] == ["starter", "team"]

    anonymous_system = vercel.system(None, account_id=None)
    product_plans = requests.get(f"{server}/v1/products/demo/plans", headers=anonymous_system,
                                 params={"metadata": "{not json"}, timeout=10)
    assert product_plans.status_code == 200
    assert "demo-pro" in [plan["id"] for plan in product_plans.json()["plans"]]

    changed = requests.patch(url, json={"billingPlanId": "team"},
                             headers=vercel.user(INSTALLATION), timeout=10)
    assert changed.json()["billingPlan"]["id"] == "team"

    deleted = requests.delete(url, headers=vercel.user(INSTALLATION), timeout=10)
    assert deleted.json() == {"finalized": False}
    assert requests.get(url, headers=vercel.system(INSTALLATION), timeout=10).status_code == 404
    again = requests.delete(url, headers=vercel.system(INSTALLATION), timeout=10)
    assert again.json() == {"finalized": False}


def forged_tokens(vercel, signing_key) -> dict[str, tuple[dict[str, str], int]]:
    """Name → (headers, expected status) for every token a mutation must refuse."""
    claims = devkeys.user_claims(installation_id=OTHER_INSTALLATION, issuer=ISSUER,
                                 audience=CLIENT_ID)
    stranger = devkeys.generate_signing_key(signing_key.kid)
    return {
        "alg none": (bearer(unsigned_token(claims, signing_key.kid)), 401),
        "HS256 with the public key": (bearer(hs256_with_public_key(claims, signing_key)), 401),
        "unknown key": (bearer(devkeys.sign_token(devkeys.generate_signing_key("nobody"),
                                                  claims)), 401),
        "same kid, other key": (bearer(devkeys.sign_token(stranger, claims)), 401),
        "expired": (vercel.user(OTHER_INSTALLATION, iat=1_700_000_000, exp=1_700_000_600), 401),
        "other audience": (vercel.user(OTHER_INSTALLATION, aud="oac_someone_else"), 401),
        "other issuer": (vercel.user(OTHER_INSTALLATION, iss="https://evil.example"), 401),
        "other installation": (vercel.user(INSTALLATION), 403),
        "USER role": (vercel.user(OTHER_INSTALLATION, role="USER"), 403),
        "no token": ({}, 401),
    }


def test_refused_tokens_change_nothing(server, vercel, signing_key, installations_count):
    url = f"{server}/v1/installations/{OTHER_INSTALLATION}"
    before = installations_count()
    for name, (headers, status) in forged_tokens(vercel, signing_key).items():
        for method in ("put", "patch", "delete"):
            response = requests.request(method, url, json=upsert_body(), headers=headers,
                                        timeout=10)
            assert response.status_code == status, (name, method, response.text)
            assert set(response.json()["error"]) >= {"code", "message"}, name
    for method in ("put", "patch"):  # user-only endpoints
        response = requests.request(method, url, json=upsert_body(),
                                    headers=vercel.system(OTHER_INSTALLATION), timeout=10)
        assert response.status_code == 403
    assert installations_count() == before
    missing = requests.get(url, headers=vercel.system(OTHER_INSTALLATION), timeout=10)
    assert missing.status_code == 404


def test_readiness_and_docs(server):
    assert requests.get(f"{server}/readyz", timeout=10).json() == {
        "status": "ok",
        "database": "ok",
        "signing_keys": "ok",
    }
    spec = requests.get(f"{server}/openapi.json", timeout=10).json()
    assert "/v1/installations/{installation_id}" in spec["paths"]


def test_production_start_up_names_missing_settings(jwks_file, tmp_path):
    environment = serverproc.environment(
        f"sqlite:///{tmp_path / 'x.sqlite3'}", serverproc.free_port(),
        settings(jwks_file.as_uri()),
    )
    for name in ("INTEGRATION_CLIENT_SECRET", "ENCRYPTION_KEYS"):
        del environment[name]
    result = subprocess.run(serverproc.procfile()["web"], env=environment, cwd=serverproc.ROOT,
                            capture_output=True, text=True, timeout=60)
    assert result.returncode != 0
    assert "INTEGRATION_CLIENT_SECRET" in result.stderr + result.stdout
    assert "ENCRYPTION_KEYS" in result.stderr + result.stdout
