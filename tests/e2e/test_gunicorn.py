"""The server as deployed: the Procfile's release command, then its web command (gunicorn).

The key set, issuer and audience point at keys only the test controls, so every token here
is verified by the real code in a real server process.
"""

from __future__ import annotations

import os
import shlex
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import ExitStack
from pathlib import Path

import pytest
import requests
from sqlalchemy import create_engine, func, select, table

from partner_api.auth import devkeys
from tests.conftest import (
    CLIENT_ID,
    CLIENT_SECRET,
    ENCRYPTION_KEY,
    ISSUER,
    temporary_postgres_database,
    upsert_body,
)
from tests.forgery import hs256_with_public_key, unsigned_token

pytestmark = pytest.mark.e2e

ROOT = Path(__file__).resolve().parents[2]
INSTALLATION = "icfg_e2e000000000000000000001"
OTHER_INSTALLATION = "icfg_e2e000000000000000000002"


def procfile() -> dict[str, list[str]]:
    """The Procfile's process types, each as an argument list."""
    entries = {}
    for line in (ROOT / "Procfile").read_text().splitlines():
        name, _, command = line.partition(":")
        if command.strip():
            entries[name.strip()] = shlex.split(command)
    return entries


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def server_environment(database_url: str, jwks_uri: str, port: int) -> dict[str, str]:
    environment = {
        key: value for key, value in os.environ.items() if not key.startswith("PARTNER_API")
    }
    environment.update(
        PATH=f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}",
        PARTNER_API_ENV="production",
        PORT=str(port),
        DATABASE_URL=database_url,
        VERCEL_JWKS_URL=jwks_uri,
        VERCEL_OIDC_ISSUER=ISSUER,
        INTEGRATION_CLIENT_ID=CLIENT_ID,
        INTEGRATION_CLIENT_SECRET=CLIENT_SECRET,
        SECRET_KEY="e2e-session-key",
        ENCRYPTION_KEYS=ENCRYPTION_KEY,
        WEB_CONCURRENCY="2",
    )
    return environment


def wait_until_up(base_url: str, process: subprocess.Popen, log: Path) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"gunicorn exited with {process.returncode}:\n{log.read_text()}")
        try:
            if requests.get(f"{base_url}/healthz", timeout=1).status_code == 200:
                return
        except requests.ConnectionError:
            time.sleep(0.2)
    pytest.fail(f"gunicorn did not answer within 30 s:\n{log.read_text()}")


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
    port = free_port()
    environment = server_environment(database, jwks_file.as_uri(), port)
    commands = procfile()
    subprocess.run(commands["release"], env=environment, cwd=ROOT, check=True,
                   capture_output=True)
    log = tmp_path_factory.mktemp("gunicorn") / "gunicorn.log"
    with ExitStack() as stack:
        output = stack.enter_context(log.open("w"))
        process = subprocess.Popen(commands["web"], env=environment, cwd=ROOT,
                                   stdout=output, stderr=subprocess.STDOUT,
                                   start_new_session=True)
        base_url = f"http://127.0.0.1:{port}"
        try:
            wait_until_up(base_url, process, log)
            yield base_url
        finally:
            os.killpg(process.pid, signal.SIGTERM)
            process.wait(timeout=30)
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
        "status": "ok", "database": "ok"
    }
    spec = requests.get(f"{server}/openapi.json", timeout=10).json()
    assert "/v1/installations/{installation_id}" in spec["paths"]


def test_production_start_up_names_missing_settings(jwks_file, tmp_path):
    environment = server_environment(f"sqlite:///{tmp_path / 'x.sqlite3'}",
                                     jwks_file.as_uri(), free_port())
    for name in ("INTEGRATION_CLIENT_SECRET", "ENCRYPTION_KEYS"):
        del environment[name]
    result = subprocess.run(procfile()["web"], env=environment, cwd=ROOT,
                            capture_output=True, text=True, timeout=60)
    assert result.returncode != 0
    assert "INTEGRATION_CLIENT_SECRET" in result.stderr + result.stdout
    assert "ENCRYPTION_KEYS" in result.stderr + result.stdout
