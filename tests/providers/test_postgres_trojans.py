"""A hostile tenant against the admin sessions of the `postgres` provider, on a real cluster.

The tenant plants trojans: functions, operators and an aggregate in `public` that shadow the
catalog objects an admin statement could resolve by name. Each records its call in a table
and tries to make the tenant's group role SUPERUSER, which only works when the admin runs it.
They are planted in the resource's database and in the admin's own database, whose `public`
schema is open to everyone here as it was in `postgres` before PostgreSQL 15. Then a resource
lives its whole life; no trojan may have run and no role may have gained an attribute.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Iterator
from typing import Any, NamedTuple

import psycopg
import pytest
from psycopg import sql
from psycopg.conninfo import conninfo_to_dict, make_conninfo

from partner_api.providers.postgres import PostgresProvider, cluster
from partner_api.providers.postgres.cluster import APPLICATION_NAME, Cluster
from tests.databases import temporary_postgres_database
from tests.providers import pg_cluster
from tests.providers.test_postgres import context, secrets_of

pytestmark = pytest.mark.postgres

ATTRIBUTES = ("rolsuper", "rolcreaterole", "rolcreatedb", "rolreplication", "rolbypassrls")
PINNED_SEARCH_PATH = "pg_catalog, pg_temp"
NO_ATTRIBUTES = (False,) * len(ATTRIBUTES)


class Trojan(NamedTuple):
    """`public.<signature>`; `genuine` is what its body does after the mischief, so the
    caller notices nothing; `bait` is an expression that resolves to it on a search path
    naming `public` before `pg_catalog`."""

    signature: str
    result: str
    genuine: str
    bait: str


FUNCTIONS = [
    Trojan(
        "starts_with(name, text)",
        "boolean",
        "RETURN pg_catalog.starts_with($1::text, $2)",
        "starts_with('a'::name, 'a'::text)",
    ),
    Trojan("hashtext(text)", "integer", "RETURN pg_catalog.hashtext($1)", "hashtext('a')"),
    Trojan(
        "pg_advisory_xact_lock(integer)",
        "void",
        "PERFORM pg_catalog.pg_advisory_xact_lock($1)",
        "pg_advisory_xact_lock(1)",
    ),
    Trojan(
        "pg_terminate_backend(integer)",
        "boolean",
        "RETURN pg_catalog.pg_terminate_backend($1)",
        "pg_terminate_backend(-1)",
    ),
    Trojan(
        "pg_database_size(oid)",
        "bigint",
        "RETURN pg_catalog.pg_database_size($1)",
        "pg_database_size(1::oid)",
    ),
    Trojan(
        "pg_database_size(name)",
        "bigint",
        "RETURN pg_catalog.pg_database_size($1)",
        "pg_database_size(current_database())",
    ),
    Trojan(
        "trojan_larger(integer, integer)",
        "integer",
        "RETURN pg_catalog.int4larger($1, $2)",
        "max(1)",
    ),
]
# `public.=` on these operand types, each backed by `public.trojan_equal(left, right)`.
EQUALITIES = [("name", "text"), ("name", "name"), ("text", "text"), ("oid", "oid")]
TROJANS = FUNCTIONS + [
    Trojan(
        f"trojan_equal({left}, {right})",
        "boolean",
        "RETURN $1 OPERATOR(pg_catalog.=) $2",
        f"'1'::{left} = '1'::{right}",
    )
    for left, right in EQUALITIES
]


def plant(connection: psycopg.Connection, group: str) -> None:
    """Every trojan, in `public` of the database `connection` is in."""
    connection.execute("CREATE TABLE public.trojan_calls (trojan text, called_by name)")
    escalate = sql.SQL("ALTER ROLE {} SUPERUSER").format(sql.Identifier(group))
    for trojan in TROJANS:
        name, arguments = trojan.signature.split("(", 1)
        body = sql.SQL(
            "BEGIN INSERT INTO public.trojan_calls VALUES ({label}, session_user); "
            "BEGIN EXECUTE {escalate}; EXCEPTION WHEN insufficient_privilege THEN NULL; END; "
            "{genuine}; END"
        ).format(
            label=sql.Literal(trojan.signature),
            escalate=sql.Literal(escalate.as_string(connection)),
            genuine=sql.SQL(trojan.genuine),
        )
        connection.execute(
            sql.SQL("CREATE FUNCTION public.{}({} RETURNS {} LANGUAGE plpgsql AS {}").format(
                sql.Identifier(name),
                sql.SQL(arguments),
                sql.SQL(trojan.result),
                sql.Literal(body.as_string(connection)),
            )
        )
    connection.execute(
        "CREATE AGGREGATE public.max(integer) (SFUNC = public.trojan_larger, STYPE = integer)"
    )
    for left, right in EQUALITIES:
        connection.execute(
            sql.SQL(
                "CREATE OPERATOR public.= (LEFTARG = {left}, RIGHTARG = {right}, "
                "FUNCTION = public.trojan_equal)"
            ).format(left=sql.SQL(left), right=sql.SQL(right))
        )


def calls(url: str) -> list[str]:
    """Which trojans of `url`'s database ran, and as whom (read without evaluating anything)."""
    rows = pg_cluster.query(url, "SELECT trojan, called_by FROM public.trojan_calls")
    return sorted({f"{trojan} as {called_by}" for trojan, called_by in rows})


def attributes(database: str) -> dict[str, tuple[bool, ...]]:
    """The dangerous attributes of the resource's group and member roles, by role.

    Asked in the cluster's own admin database, where no trojan is planted.
    """
    url = pg_cluster.admin_url()
    columns = sql.SQL(", ").join(map(sql.Identifier, ATTRIBUTES))
    statement = sql.SQL("SELECT rolname, {} FROM pg_catalog.pg_roles").format(columns)
    roles = pg_cluster.roles_of(url, database)
    return {
        role: tuple(flags)
        for role, *flags in pg_cluster.query(url, statement.as_string(None))
        if role in roles
    }


@pytest.fixture(scope="module")
def server_url() -> str:
    url = pg_cluster.admin_url()
    if not pg_cluster.answers(url):
        pytest.skip(f"no PostgreSQL server answers at {pg_cluster.where(url)}")
    return url


@pytest.fixture
def accomplice(server_url) -> Iterator[str]:
    """A throwaway NOLOGIN role; it owns what the tenant plants in the admin database, so
    that dropping the tenant's roles is not blocked by objects they own in another database
    (a concern of its own, not this one's)."""
    role = f"trojan_accomplice_{secrets.token_hex(4)}"
    pg_cluster.execute(server_url, sql.SQL("CREATE ROLE {} NOLOGIN").format(sql.Identifier(role)))
    try:
        yield role
    finally:
        pg_cluster.execute(
            server_url, sql.SQL("DROP ROLE IF EXISTS {}").format(sql.Identifier(role))
        )


@pytest.fixture
def admin_database(server_url, accomplice) -> Iterator[str]:
    """A throwaway admin database whose `public` anyone may create in; yields its URL."""
    with temporary_postgres_database(server_url) as url:
        url = url.replace("postgresql+psycopg://", "postgresql://", 1)
        pg_cluster.execute(url, "GRANT CREATE ON SCHEMA public TO PUBLIC")
        yield url


@pytest.fixture
def hostile_resource(
    server_url, admin_database, accomplice
) -> Iterator[tuple[PostgresProvider, Any, Any]]:
    """A resource of a provider administering from `admin_database`, with trojans planted
    by its tenant in both databases; yields the provider, the resource and its credentials."""
    provider = PostgresProvider(admin_url=admin_database)
    provisioned = provider.provision(context())
    database = provisioned.state["database"]
    try:
        tenant_url = secrets_of(provisioned.credentials)["DATABASE_URL"]
        with psycopg.connect(tenant_url, autocommit=True) as tenant:
            plant(tenant, database)
            # Something the login role owns itself, for its revocation to hand over.
            tenant.execute("SET ROLE NONE")
            tenant.execute("CREATE TABLE public.login_owned (id int)")
        admin_dbname = conninfo_to_dict(admin_database)["dbname"]
        with psycopg.connect(
            make_conninfo(tenant_url, dbname=admin_dbname), autocommit=True
        ) as tenant:
            plant(tenant, database)
        pg_cluster.execute(
            admin_database,
            sql.SQL("REASSIGN OWNED BY {} TO {}").format(
                sql.Identifier(database), sql.Identifier(accomplice)
            ),
        )
        yield provider, context(provisioned.state), provisioned.credentials
    finally:
        pg_cluster.drop_everything(server_url, database)


@pytest.mark.parametrize("search_path", ["pinned", "not pinned"])
def test_the_admin_never_runs_what_a_tenant_planted(
    hostile_resource, server_url, admin_database, search_path, monkeypatch
):
    """Also with the pin removed: then the qualified names and running nothing inside the
    tenant's database are what keeps every trojan idle."""
    if search_path == "not pinned":
        monkeypatch.setattr(cluster, "ADMIN_SEARCH_PATH", None)
    provider, resource, first = hostile_resource
    database = resource.state["database"]
    tenant_database = make_conninfo(admin_database, dbname=database)
    before = attributes(database)
    assert before == {database: NO_ATTRIBUTES, f"{database}_1": NO_ATTRIBUTES}
    # Provisioned among the trojans of the admin database.
    neighbour = context(provider.provision(context()).state)
    try:
        rotated = provider.rotate_secrets(resource, "scheduled").credentials
        delayed = provider.finish_rotation(resource)
        provider.revoke(resource, first.state)
        provider.revoke(resource, rotated.state)
        provider.repl(resource, "SELECT count(*) FROM trojan_calls", True)
        provider.repl(resource, "CREATE TABLE made_in_console (id int)", False)
        provider.usage(resource)

        assert calls(tenant_database) == []
        assert calls(admin_database) == []
        assert attributes(database) == {
            database: NO_ATTRIBUTES,
            delayed.state["role"]: NO_ATTRIBUTES,
        }

        provider.deprovision(resource)
        provider.deprovision(neighbour)

        assert calls(admin_database) == []
        assert attributes(database) == {}
    finally:
        pg_cluster.drop_everything(server_url, neighbour.state["database"])


@pytest.mark.parametrize(
    "statement",
    [
        "CREATE EVENT TRIGGER trojan ON ddl_command_end EXECUTE FUNCTION public.trojan_hook()",
        "CREATE CAST (text AS name) WITH FUNCTION public.trojan_name(text)",
    ],
    ids=["event trigger", "cast between built-in types"],
)
def test_a_tenant_cannot_plant_what_would_fire_wherever_it_is_found(hostile_resource, statement):
    """What the audit in `admin` relies on: these are found without a search path, and a
    tenant may create neither."""
    _, _, credentials = hostile_resource
    with psycopg.connect(secrets_of(credentials)["DATABASE_URL"], autocommit=True) as tenant:
        tenant.execute(
            "CREATE FUNCTION public.trojan_hook() RETURNS event_trigger LANGUAGE plpgsql"
            " AS 'BEGIN END'"
        )
        tenant.execute(
            "CREATE FUNCTION public.trojan_name(text) RETURNS name LANGUAGE sql AS 'SELECT $1'"
        )
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            tenant.execute(statement)


def test_every_admin_connection_pins_the_search_path_at_startup(server_url):
    with temporary_postgres_database(server_url) as probe_url:
        probe = conninfo_to_dict(probe_url.replace("+psycopg", "", 1))["dbname"]
        # Not even a setting of the database itself gets around it.
        pg_cluster.execute(
            server_url,
            sql.SQL("ALTER DATABASE {} SET search_path = public, pg_catalog").format(
                sql.Identifier(probe)
            ),
        )
        for database in (None, probe):
            with Cluster(server_url).admin(database) as connection:
                assert connection.execute("SHOW search_path").fetchone() == (PINNED_SEARCH_PATH,)
                source = "SELECT source FROM pg_settings WHERE name = 'search_path'"
                assert connection.execute(source).fetchone() == ("client",)
                # RESET returns to what the session started with, not to the default.
                connection.execute("RESET search_path")
                assert connection.execute("SHOW search_path").fetchone() == (PINNED_SEARCH_PATH,)


def test_every_trojan_is_a_live_trap(server_url, admin_database, accomplice):
    """A session searching `public` before `pg_catalog` runs each, which then escalates."""
    with psycopg.connect(admin_database, autocommit=True) as session:
        ((admin,),) = session.execute("SELECT session_user").fetchall()
        plant(session, accomplice)
        session.execute("SET search_path = public, pg_catalog")
        for trojan in TROJANS:
            session.execute(sql.SQL("SELECT {}").format(sql.SQL(trojan.bait)))

    assert calls(admin_database) == sorted(f"{trojan.signature} as {admin}" for trojan in TROJANS)
    assert pg_cluster.query(
        server_url, "SELECT rolsuper FROM pg_catalog.pg_roles WHERE rolname = %s", (accomplice,)
    ) == [(True,)]


@pytest.fixture
def statements_inside(monkeypatch) -> list[tuple[str, str]]:
    """(database, statement) of every statement the provider runs as its admin, as run."""
    statements: list[tuple[str, str]] = []
    admin_user = conninfo_to_dict(pg_cluster.admin_url()).get("user")

    class Recording(psycopg.Cursor):
        def execute(self, query, params=None, **options):
            info = self.connection.info
            if info.user == admin_user and info.parameter_status("application_name") == (
                APPLICATION_NAME
            ):
                text = (
                    query.as_string(self.connection) if isinstance(query, sql.Composable) else query
                )
                statements.append((info.dbname, text))
            return super().execute(query, params, **options)

    opened = Cluster._open

    def recording_open(conninfo: str, options: str) -> psycopg.Connection:
        connection = opened(conninfo, options)
        connection.cursor_factory = Recording
        return connection

    monkeypatch.setattr(Cluster, "_open", staticmethod(recording_open))
    return statements


def test_inside_a_resource_database_the_admin_runs_only_fixed_statements(
    server_url, statements_inside
):
    provider = PostgresProvider(admin_url=server_url)
    provisioned = provider.provision(context())
    database = provisioned.state["database"]
    resource = context(provisioned.state)

    seen = 0

    def inside() -> list[str]:
        """The statements run inside the resource's database since the last look."""
        nonlocal seen
        new, seen = statements_inside[seen:], len(statements_inside)
        return [statement for where, statement in new if where == database]

    try:
        assert inside() == [
            "REVOKE CREATE ON SCHEMA public FROM PUBLIC",
            f'GRANT USAGE, CREATE ON SCHEMA public TO "{database}"',
        ]
        provider.rotate_secrets(resource, "scheduled")
        provider.finish_rotation(resource)
        provider.usage(resource)
        assert inside() == []
        provider.revoke(resource, provisioned.credentials.state)
        assert inside() == [
            f'REASSIGN OWNED BY "{database}_1" TO "{database}"',
            f'DROP OWNED BY "{database}_1"',
        ]
        provider.repl(resource, "SELECT 1", True)
        console = rf'"{database}_console_[0-9a-f]{{8}}"'
        reassign, drop = inside()
        assert re.fullmatch(rf'REASSIGN OWNED BY {console} TO "{database}"', reassign)
        assert re.fullmatch(rf"DROP OWNED BY {console}", drop)
        provider.deprovision(resource)
        assert inside() == []
        admin_database = conninfo_to_dict(server_url)["dbname"]
        assert (admin_database, f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)') in (
            statements_inside
        )
    finally:
        pg_cluster.drop_everything(server_url, database)
