"""The cluster's own exposure: which databases tenant roles may connect to, how `/readyz` and
the start-up check name them, and the command that closes them.

Against the real cluster (TEST_DATABASE_URL's server, else the machine's). The command only
ever runs with `--database` naming throwaway databases made here: the cluster's own
databases are shared. Everything made here is dropped afterwards, also when a test fails.
"""

from __future__ import annotations

import io
import signal
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import flask
import psycopg
import pytest
from psycopg import sql
from psycopg.conninfo import conninfo_to_dict, make_conninfo
from sqlalchemy.engine import URL

from partner_api import create_app
from partner_api.providers import operations
from partner_api.providers.postgres import PostgresProvider, exposure_watch
from partner_api.providers.postgres.cluster import Cluster
from partner_api.providers.postgres.exposure import exposed_databases
from partner_api.providers.postgres.exposure_watch import UNREACHABLE
from tests.conftest import running_app
from tests.providers import pg_cluster
from tests.providers.test_postgres import context
from tests.serverproc import deployed
from tests.test_health_and_logs import dispose, json_handler, lines

PASSWORD = "pw-exposure-test-7Qe2"
UNREACHABLE_ADMIN_URL = f"postgresql://admin:{PASSWORD}@127.0.0.1:1/postgres"
COMMAND = ["postgres-provider", "revoke-public-connect"]


@dataclass
class Throwaways:
    """Databases and roles made for one test, all named `partner_api_test_…`."""

    admin_url: str
    databases: list[str] = field(default_factory=list)
    roles: list[str] = field(default_factory=list)

    def _name(self, kind: str) -> str:
        return f"partner_api_test_{kind}_{uuid.uuid4().hex[:8]}"

    def run(self, statement: sql.Composable) -> None:
        """As the superuser, in the admin URL's database: only statements on our own objects."""
        with psycopg.connect(self.admin_url, autocommit=True, connect_timeout=5) as connection:
            connection.execute(statement)

    def inside(self, database: str, statement: str) -> None:
        """As the superuser, in `database`, which must be one made here."""
        assert database in self.databases
        conninfo = make_conninfo(self.admin_url, dbname=database)
        with psycopg.connect(conninfo, autocommit=True, connect_timeout=5) as connection:
            connection.execute(statement)

    def role(self, kind: str, options: str = "") -> str:
        name = self._name(kind)
        self.roles.append(name)
        self.run(
            sql.SQL("CREATE ROLE {} LOGIN PASSWORD {} " + options).format(
                sql.Identifier(name), sql.Literal(PASSWORD)
            )
        )
        return name

    def database(self, kind: str, owner: str | None = None) -> str:
        """A database with the default ACL (PUBLIC may connect), unless changed afterwards."""
        name = self._name(kind)
        self.databases.append(name)
        owned = sql.SQL(" OWNER {}").format(sql.Identifier(owner)) if owner else sql.SQL("")
        self.run(sql.SQL("CREATE DATABASE {}{}").format(sql.Identifier(name), owned))
        return name

    def on(self, database: str, template: str, *roles: str) -> None:
        """Run `template` with `{db}` the database and `{0}`, `{1}`… the roles."""
        self.run(sql.SQL(template).format(*map(sql.Identifier, roles), db=sql.Identifier(database)))

    def drop(self) -> None:
        with psycopg.connect(self.admin_url, autocommit=True, connect_timeout=5) as connection:
            for name in self.databases:
                connection.execute(
                    sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
                )
            for name in self.roles:
                connection.execute(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE usename = %s",
                    (name,),
                )
                connection.execute(sql.SQL("DROP ROLE IF EXISTS {}").format(sql.Identifier(name)))


@pytest.fixture
def made(admin_url) -> Iterator[Throwaways]:
    throwaways = Throwaways(admin_url)
    yield throwaways
    throwaways.drop()


def connects(admin_url: str, role: str, database: str) -> bool:
    """Whether `role` may log in to `database`; False only on a privilege refusal."""
    conninfo = make_conninfo(admin_url, user=role, password=PASSWORD, dbname=database)
    try:
        psycopg.connect(conninfo, connect_timeout=5).close()
    except psycopg.OperationalError as error:
        if "permission denied" not in str(error):
            raise
        return False
    return True


def acl(admin_url: str, database: str) -> list[str] | None:
    ((datacl,),) = pg_cluster.query(
        admin_url, "SELECT datacl::text[] FROM pg_database WHERE datname = %s", (database,)
    )
    return datacl


def exposed_now(admin_url: str) -> list[str]:
    with Cluster(admin_url).admin() as connection:
        return exposed_databases(connection)


def url_as(admin_url: str, role: str, database: str) -> str:
    """A URL of the admin URL's server, for another role and database."""
    params = conninfo_to_dict(admin_url)
    return URL.create(
        "postgresql",
        username=role,
        password=PASSWORD,
        host=params.get("host", "localhost"),
        port=int(params.get("port", 5432)),
        database=database,
    ).render_as_string(hide_password=False)


@contextmanager
def served(settings: dict[str, Any]) -> Iterator[tuple[Any, io.StringIO]]:
    """An app whose JSON log goes to a buffer (callers that read /readyz need `migrated`)."""
    app = create_app(settings)
    stream = io.StringIO()
    previous = json_handler().setStream(stream)
    try:
        yield app, stream
    finally:
        json_handler().setStream(previous)
        dispose(app)


@pytest.fixture
def provider_app(app_settings, admin_url, migrated) -> Iterator[tuple[Any, io.StringIO]]:
    with served({**app_settings, "POSTGRES_PROVIDER_ADMIN_URL": admin_url}) as app_and_log:
        yield app_and_log


@pytest.fixture
def unreachable_app(app_settings, migrated) -> Iterator[tuple[Any, io.StringIO]]:
    """The postgres provider offered on a cluster that does not answer (a closed port)."""
    with served(
        {**app_settings, "POSTGRES_PROVIDER_ADMIN_URL": UNREACHABLE_ADMIN_URL}
    ) as app_and_log:
        yield app_and_log


def revoke(app, *arguments: str, answer: str | None = None):
    return app.test_cli_runner().invoke(args=[*COMMAND, *arguments], input=answer)


def warnings_in(stream: io.StringIO) -> list[str]:
    return [line["message"] for line in lines(stream) if line["level"] == "WARNING"]


# --- the check ---------------------------------------------------------------------------------


@pytest.mark.postgres
def test_the_check_names_exactly_the_databases_whose_connect_public_holds(admin_url, made):
    tenant = made.role("tenant")
    default_acl = made.database("default")
    granted_acl = made.database("granted")
    made.on(granted_acl, "GRANT CREATE ON DATABASE {db} TO {0}", tenant)
    closed = made.database("closed")
    made.on(closed, "REVOKE ALL ON DATABASE {db} FROM PUBLIC")
    temporary_only = made.database("temponly")
    made.on(temporary_only, "REVOKE CONNECT ON DATABASE {db} FROM PUBLIC")
    no_connections = made.database("noconn")
    made.on(no_connections, "ALTER DATABASE {db} ALLOW_CONNECTIONS false")

    exposed = exposed_now(admin_url)

    assert acl(admin_url, default_acl) is None  # the default ACL, read through acldefault
    assert default_acl in exposed and granted_acl in exposed
    for database in (closed, temporary_only, no_connections, "template0"):
        assert database not in exposed


@pytest.mark.postgres
def test_the_provider_s_own_resource_databases_are_never_named(admin_url):
    provisioned = PostgresProvider(admin_url=admin_url).provision(context())
    database = provisioned.state["database"]
    try:
        assert database not in exposed_now(admin_url)
    finally:
        pg_cluster.drop_everything(admin_url, database)


# --- the command -------------------------------------------------------------------------------


@pytest.mark.postgres
def test_the_command_closes_the_named_database_to_tenant_roles(admin_url, made, provider_app):
    app, _ = provider_app
    tenant = made.role("tenant")
    # Names come from the catalog, yet only ever reach SQL as identifiers.
    target = made.database('"quoted"; target')
    bystander = made.database("bystander")
    assert connects(admin_url, tenant, target) and connects(admin_url, tenant, bystander)

    result = revoke(app, "--database", target, "--yes")

    assert result.exit_code == 0, result.output
    assert f"{target}: revoked CONNECT, TEMPORARY from PUBLIC" in result.output
    assert bystander not in result.output
    assert not connects(admin_url, tenant, target)
    assert connects(admin_url, tenant, bystander)
    exposed = exposed_now(admin_url)
    assert target not in exposed and bystander in exposed


@pytest.mark.postgres
def test_answering_no_changes_nothing(admin_url, made, provider_app):
    app, _ = provider_app
    tenant = made.role("tenant")
    target = made.database("target")

    result = revoke(app, "--database", target, answer="n\n")

    assert result.exit_code != 0
    assert f"CONNECT is granted to PUBLIC on: {target}" in result.output
    assert "Aborted" in result.output
    assert acl(admin_url, target) is None
    assert connects(admin_url, tenant, target)


@pytest.mark.postgres
def test_the_app_s_own_role_keeps_what_it_had_through_public(admin_url, made, app_settings):
    app_role = made.role("app")
    tenant = made.role("tenant")
    app_database = made.database("appdb")
    assert connects(admin_url, app_role, app_database)  # only through PUBLIC
    app_url = url_as(admin_url, app_role, app_database).replace(
        "postgresql", "postgresql+psycopg", 1
    )
    settings = {"POSTGRES_PROVIDER_ADMIN_URL": admin_url, "SQLALCHEMY_DATABASE_URI": app_url}
    with served({**app_settings, **settings}) as (app, _):
        result = revoke(app, "--database", app_database, "--yes")

    conninfo = make_conninfo(admin_url, user=app_role, password=PASSWORD, dbname=app_database)
    with psycopg.connect(conninfo, connect_timeout=5) as connection:
        connection.execute("CREATE TEMPORARY TABLE scratch (n int)")  # TEMPORARY kept too
    assert not connects(admin_url, tenant, app_database)
    assert result.exit_code == 0, result.output
    assert app_role in result.output


@pytest.mark.postgres
def test_a_non_superuser_admin_closes_what_it_owns_and_reports_what_it_cannot(
    admin_url, made, app_settings
):
    admin = made.role("admin")
    tenant = made.role("tenant")
    owned = made.database("owned", owner=admin)
    # The owner gave up its own privileges: it connects only through PUBLIC now.
    made.on(owned, "REVOKE ALL ON DATABASE {db} FROM {0}", admin)
    foreign = made.database("foreign")
    settings = {**app_settings, "POSTGRES_PROVIDER_ADMIN_URL": url_as(admin_url, admin, owned)}
    with served(settings) as (app, _):
        result = revoke(app, "--database", owned, "--database", foreign, "--yes")

    assert connects(admin_url, admin, owned) and not connects(admin_url, tenant, owned)
    assert acl(admin_url, foreign) is None and connects(admin_url, tenant, foreign)
    assert result.exit_code == 1
    assert f"{owned}: revoked CONNECT, TEMPORARY from PUBLIC; granted them first to {admin}" in (
        result.output
    )
    assert f"{foreign}: unchanged: PUBLIC still holds CONNECT, TEMPORARY" in result.output
    assert "1 of 2 databases left unchanged" in result.output


@pytest.mark.postgres
def test_a_database_not_exposed_is_left_alone(admin_url, made, provider_app):
    app, _ = provider_app
    closed = made.database("closed")
    made.on(closed, "REVOKE ALL ON DATABASE {db} FROM PUBLIC")
    before = acl(admin_url, closed)

    result = revoke(app, "--database", closed, "--yes")

    assert result.exit_code == 0, result.output
    assert f"{closed}: CONNECT is not granted to PUBLIC; nothing to do" in result.output
    assert acl(admin_url, closed) == before


def test_the_command_exists_only_where_the_postgres_provider_is_offered(app_settings):
    with served(app_settings) as (app, _):
        assert revoke(app, "--yes").exit_code == 2  # click: no such command


def test_an_unreachable_cluster_is_an_error_without_the_dsn(unreachable_app):
    app, stream = unreachable_app
    result = revoke(app, "--database", "partner_api_test_none", "--yes")
    assert result.exit_code == 1
    assert "unavailable" in result.output
    assert PASSWORD not in result.output + stream.getvalue()


# --- /readyz -----------------------------------------------------------------------------------


@pytest.mark.postgres
def test_readyz_names_the_exposed_databases_and_stays_ready(admin_url, made, provider_app):
    app, _ = provider_app
    exposed = made.database("exposed")
    closed = made.database("closed")
    made.on(closed, "REVOKE ALL ON DATABASE {db} FROM PUBLIC")

    response = app.test_client().get("/readyz")

    assert response.status_code == 200
    body = response.get_json()
    assert (body["status"], body["database"]) == ("ok", "ok")
    public_connect = body["postgres_provider"]["public_connect"]
    assert exposed in public_connect and closed not in public_connect


@pytest.mark.postgres
def test_readyz_asks_the_cluster_once_per_finding_lifetime(
    admin_url, made, provider_app, monkeypatch
):
    app, _ = provider_app
    exposed = made.database("exposed")
    asked = []
    admin = Cluster.admin
    monkeypatch.setattr(Cluster, "admin", lambda self, *a: asked.append(a) or admin(self, *a))
    now = [1000.0]
    monkeypatch.setattr(exposure_watch, "monotonic", lambda: now[0])
    client = app.test_client()

    first = [client.get("/readyz").get_json() for _ in range(3)]
    now[0] += exposure_watch.FINDING_LIFETIME.total_seconds() - 1
    made.on(exposed, "REVOKE ALL ON DATABASE {db} FROM PUBLIC")
    still_cached = client.get("/readyz").get_json()
    now[0] += 1
    refreshed = client.get("/readyz").get_json()

    assert len(asked) == 2
    assert all(exposed in body["postgres_provider"]["public_connect"] for body in first)
    assert exposed in still_cached["postgres_provider"]["public_connect"]
    assert exposed not in refreshed["postgres_provider"]["public_connect"]


def test_readyz_says_the_cluster_is_unreachable_without_its_dsn(unreachable_app):
    app, stream = unreachable_app
    response = app.test_client().get("/readyz")
    assert response.status_code == 200
    assert response.get_json() == {
        "status": "ok",
        "database": "ok",
        "signing_keys": "ok",
        "postgres_provider": {"public_connect": None, "unknown_because": UNREACHABLE},
    }
    assert PASSWORD not in response.get_data(as_text=True) + stream.getvalue()


@pytest.mark.postgres
def test_a_check_that_fails_is_named_by_its_error_class_and_readiness_stays(
    admin_url, made, app_settings, migrated
):
    checker = made.role("checker")
    database = made.database("nocheck")
    # In this database only, the check's catalog function is out of the checker's reach.
    made.inside(
        database,
        "REVOKE EXECUTE ON FUNCTION pg_catalog.aclexplode(pg_catalog.aclitem[]) FROM PUBLIC",
    )
    settings = {**app_settings, "POSTGRES_PROVIDER_ADMIN_URL": url_as(admin_url, checker, database)}
    with served(settings) as (app, stream):
        response = app.test_client().get("/readyz")
        polled = lines(stream)
        operations.check_at_start(app)

    assert response.status_code == 200 and response.get_json()["status"] == "ok"
    unknown = {
        "public_connect": None,
        "unknown_because": "the check failed (InsufficientPrivilege)",
    }
    assert response.get_json()["postgres_provider"] == unknown
    assert [line for line in polled if line["level"] != "INFO"] == []
    assert warnings_in(stream) == [
        f"postgres provider: exposure unknown: {unknown['unknown_because']}"
    ]
    assert PASSWORD not in stream.getvalue()


# --- the start-up check ------------------------------------------------------------------------


@pytest.mark.postgres
def test_the_start_up_check_warns_once_naming_the_exposed_databases(made, provider_app):
    app, stream = provider_app
    exposed = made.database("exposed")
    closed = made.database("closed")
    made.on(closed, "REVOKE ALL ON DATABASE {db} FROM PUBLIC")

    operations.check_at_start(app)

    (warning,) = warnings_in(stream)
    assert exposed in warning and closed not in warning
    assert exposure_watch.CLOSING_COMMAND in warning


def test_the_start_up_check_on_an_unreachable_cluster_is_one_warning(unreachable_app):
    app, stream = unreachable_app
    operations.check_at_start(app)
    (warning,) = warnings_in(stream)
    assert "cannot connect to the cluster" in warning
    assert PASSWORD not in stream.getvalue()


def test_the_start_up_check_does_nothing_without_the_postgres_provider(app_settings):
    with served(app_settings) as (app, stream):
        operations.check_at_start(app)
    assert lines(stream) == []


@pytest.mark.postgres
def test_the_worker_checks_at_start(app_settings, admin_url, made, migrated):
    exposed = made.database("exposed")
    handlers = {number: signal.getsignal(number) for number in (signal.SIGINT, signal.SIGTERM)}
    with running_app({**app_settings, "POSTGRES_PROVIDER_ADMIN_URL": admin_url}) as app:
        stream = io.StringIO()
        json_handler().setStream(stream)
        try:
            result = app.test_cli_runner().invoke(args=["jobs", "work", "--burst"])
        finally:
            for number, handler in handlers.items():
                signal.signal(number, handler)
    assert result.exit_code == 0, result.output
    assert any(exposed in warning for warning in warnings_in(stream))


@pytest.mark.postgres
@pytest.mark.e2e
def test_gunicorn_warns_once_when_it_is_ready_not_once_per_worker(
    admin_url, made, jwks_file, tmp_path
):
    exposed = made.database("exposed")
    settings = {
        "VERCEL_JWKS_URL": jwks_file.as_uri(),
        "INTEGRATION_CLIENT_ID": "oac_ExposureCheck",
        "INTEGRATION_CLIENT_SECRET": "exposure-check-secret",
        "POSTGRES_PROVIDER_ADMIN_URL": admin_url,
    }
    log = tmp_path / "gunicorn.log"
    with deployed(f"sqlite:///{tmp_path / 'app.sqlite3'}", settings, log) as base_url:
        assert base_url
    warnings = [line for line in log.read_text().splitlines() if exposed in line]
    assert len(warnings) == 1
    assert '"level": "WARNING"' in warnings[0]


def test_the_start_up_check_ignores_an_app_without_providers(caplog):
    bare = flask.Flask("another_app")  # what the shipped gunicorn configuration may serve too

    operations.check_at_start(bare)

    assert operations.readiness_details(bare) == {}
    assert caplog.records == []
