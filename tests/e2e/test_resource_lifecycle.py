"""The whole resource lifecycle through the deployed server (gunicorn and the worker).

With the `demo` provider on every database, and with the `postgres` provider when the tests
run on Postgres: there the database must really exist, its secrets must log in, a rotated-out
credential must stop working after its grace period, a read-only console must not write, and
the database must be gone after delete.
"""

from __future__ import annotations

import os
import time
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import psycopg
import pytest
import requests

from tests.conftest import (
    CLIENT_ID,
    CLIENT_SECRET,
    ISSUER,
    temporary_postgres_database,
    upsert_body,
)
from tests.providers import pg_cluster
from tests.serverproc import deployed, run_worker

pytestmark = pytest.mark.e2e


class Deployment:
    def __init__(self, base_url: str, database: str, settings: dict[str, str], vercel) -> None:
        self.base_url, self.database, self.settings, self.vercel = (
            base_url, database, settings, vercel)
        self.installation = f"icfg_{uuid.uuid4().hex[:24]}"

    def call(self, method: str, path: str, *, kind: str = "user", role: str = "ADMIN",
             key: str | None = None, **kwargs) -> requests.Response:
        headers = (self.vercel.user(self.installation, role=role) if kind == "user"
                   else self.vercel.system(self.installation))
        headers["Idempotency-Key"] = key or uuid.uuid4().hex
        url = f"{self.base_url}/v1/installations/{self.installation}{path}"
        return requests.request(method, url, headers=headers, timeout=30, **kwargs)

    def work(self) -> None:
        run_worker(self.database, self.settings)


@pytest.fixture(scope="module")
def database(tmp_path_factory) -> Iterator[str]:
    server_url = os.environ.get("TEST_DATABASE_URL")
    if not server_url:
        yield f"sqlite:///{tmp_path_factory.mktemp('lifecycle') / 'db.sqlite3'}"
        return
    with temporary_postgres_database(server_url) as url:
        yield url


@pytest.fixture(scope="module")
def deployment_settings(jwks_file) -> dict[str, str]:
    settings = {
        "VERCEL_JWKS_URL": jwks_file.as_uri(),
        "VERCEL_OIDC_ISSUER": ISSUER,
        "INTEGRATION_CLIENT_ID": CLIENT_ID,
        "INTEGRATION_CLIENT_SECRET": CLIENT_SECRET,
        # Nothing answers here: calls to Vercel wait in the job queue, as in an outage.
        "VERCEL_API_URL": "http://127.0.0.1:9",
    }
    if os.environ.get("TEST_DATABASE_URL"):
        settings["POSTGRES_PROVIDER_ADMIN_URL"] = pg_cluster.admin_url()
    return settings


@pytest.fixture(scope="module")
def server(database, deployment_settings, tmp_path_factory) -> Iterator[str]:
    log = tmp_path_factory.mktemp("lifecycle") / "gunicorn.log"
    with deployed(database, deployment_settings, log) as base_url:
        yield base_url


@pytest.fixture
def deployment(server, database, deployment_settings, vercel) -> Deployment:
    deployment = Deployment(server, database, deployment_settings, vercel)
    assert deployment.call("PUT", "", json=upsert_body()).status_code == 200
    return deployment


def provision(deployment: Deployment, product: str, plan: str, metadata: dict, **kwargs):
    body = {"productId": product, "name": "e2e store", "metadata": metadata,
            "billingPlanId": plan}
    return deployment.call("POST", "/resources", json=body, **kwargs)


def test_demo_lifecycle_with_async_paths(deployment):
    created = provision(deployment, "demo", "demo-free",
                        {"region": "iad1", "provisioning": "async"})
    assert created.status_code == 200
    resource = created.json()
    assert resource["status"] == "pending" and resource["secrets"]
    path = f"/resources/{resource['id']}"

    deployment.work()
    assert deployment.call("GET", path, kind="system").json()["status"] == "ready"

    renamed = deployment.call("PATCH", path, json={"name": "renamed", "billingPlanId": "demo-pro"})
    assert (renamed.json()["name"], renamed.json()["billingPlan"]["id"]) == ("renamed", "demo-pro")

    rotated = deployment.call("POST", f"{path}/secrets/rotate",
                              json={"delayOldSecretsExpirationHours": 0})
    assert (rotated.status_code, rotated.json()) == (202, {"sync": False})
    deployment.work()

    written = deployment.call("POST", f"{path}/repl", json={"input": "SET greeting hello"})
    assert written.status_code == 200
    refused = deployment.call("POST", f"{path}/repl", role="USER",
                              json={"input": "SET greeting bye"})
    assert "read-only" in str(refused.json()).lower()
    read = deployment.call("POST", f"{path}/repl", json={"input": "GET greeting",
                                                         "readOnly": True})
    assert "hello" in str(read.json())

    assert deployment.call("DELETE", path).status_code == 204
    assert deployment.call("DELETE", path).status_code == 204
    assert deployment.call("GET", path, kind="system").status_code == 404
    deleted = deployment.call("DELETE", "", json={"cascadeResourceDeletion": True})
    assert deleted.json() == {"finalized": True}


@pytest.fixture
def cluster() -> str:
    if not os.environ.get("TEST_DATABASE_URL"):
        pytest.skip("the postgres product needs a Postgres server (TEST_DATABASE_URL)")
    return pg_cluster.admin_url()


def logs_in(database_url: str) -> bool:
    try:
        psycopg.connect(database_url, connect_timeout=5).close()
    except psycopg.OperationalError:
        return False
    return True


def test_postgres_lifecycle(deployment, cluster):
    created = provision(deployment, "postgres", "postgres-free", {"region": "iad1"})
    assert created.status_code == 200, created.text
    resource = created.json()
    secrets = {secret["name"]: secret["value"] for secret in resource["secrets"]}
    database = secrets["PGDATABASE"]
    assert pg_cluster.database_exists(cluster, database)
    with psycopg.connect(secrets["DATABASE_URL"], autocommit=True) as connection:
        connection.execute("CREATE TABLE notes (body text)")
    path = f"/resources/{resource['id']}"

    changed = deployment.call("PATCH", path, json={"billingPlanId": "postgres-pro"})
    assert changed.json()["billingPlan"]["id"] == "postgres-pro"

    rotated = deployment.call("POST", f"{path}/secrets/rotate",
                              json={"delayOldSecretsExpirationHours": 0.0005})  # 1.8 s
    assert rotated.status_code == 200 and rotated.json()["sync"] is True
    fresh = {secret["name"]: secret["value"] for secret in rotated.json()["secrets"]}
    assert logs_in(fresh["DATABASE_URL"]) and logs_in(secrets["DATABASE_URL"])
    time.sleep(2)
    deployment.work()
    assert not logs_in(secrets["DATABASE_URL"])
    assert logs_in(fresh["DATABASE_URL"])

    inserted = deployment.call("POST", f"{path}/repl",
                               json={"input": "INSERT INTO notes VALUES ('kept')"})
    assert "INSERT 0 1" in str(inserted.json())
    refused = deployment.call("POST", f"{path}/repl", role="USER",
                              json={"input": "INSERT INTO notes VALUES ('lost')"})
    assert refused.status_code == 200
    with psycopg.connect(fresh["DATABASE_URL"]) as connection:
        rows = connection.execute("SELECT body FROM notes").fetchall()
    assert rows == [("kept",)]

    assert deployment.call("DELETE", path).status_code == 204
    deployment.work()
    assert not pg_cluster.database_exists(cluster, database)


def test_racing_provisions_with_one_key_create_one_database(deployment, cluster):
    def databases() -> set[str]:
        return {row[0] for row in pg_cluster.query(
            cluster, "SELECT datname FROM pg_database WHERE datname LIKE 'vdb_%%'")}

    before = databases()
    with ThreadPoolExecutor(max_workers=20) as pool:
        answers = list(pool.map(
            lambda _: provision(deployment, "postgres", "postgres-free", {"region": "iad1"},
                                key="one-key-for-all"),
            range(20),
        ))
    created = [answer.json()["id"] for answer in answers if answer.status_code == 200]
    assert created and set(created) == {created[0]}
    assert {answer.status_code for answer in answers} <= {200, 409}
    listed = deployment.call("GET", "/resources", kind="system").json()["resources"]
    assert [item["id"] for item in listed] == [created[0]]
    assert len(databases() - before) == 1

    deployment.call("DELETE", "", json={"cascadeResourceDeletion": True})
    deployment.work()
    assert databases() == before
