"""The `postgres` provider against a real cluster (TEST_DATABASE_URL's server, else the
machine's at 127.0.0.1:5432). Everything a test provisions is dropped afterwards, also when
the test fails."""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Iterator, Mapping
from concurrent.futures import ThreadPoolExecutor
from typing import Any
from urllib.parse import urlsplit

import psycopg
import pytest
from psycopg.conninfo import conninfo_to_dict

from partner_api.providers.base import (
    Credentials,
    Provider,
    ProviderError,
    Provisioned,
    ResourceContext,
)
from partner_api.providers.postgres import PostgresProvider, admin
from partner_api.providers.postgres.credentials import Endpoint
from partner_api.providers.postgres.names import ResourceNames
from tests.providers import pg_cluster

pytestmark = pytest.mark.postgres

SECRET_NAMES = ["DATABASE_URL", "PGHOST", "PGPORT", "PGUSER", "PGPASSWORD", "PGDATABASE"]
MALICIOUS_NAME = 'x"; DROP DATABASE postgres; --'

Provision = Callable[..., tuple[ResourceContext, Provisioned]]


@pytest.fixture
def provider(admin_url) -> PostgresProvider:
    return PostgresProvider(admin_url=admin_url, public_url=None)


def context(state: Mapping[str, Any] | None = None, **fields: Any) -> ResourceContext:
    values: dict[str, Any] = {
        "resource_id": "res_test",
        "installation_id": "icfg_test",
        "product_slug": "postgres",
        "name": "My database",
        "metadata": {"region": "iad1"},
        "billing_plan_id": "postgres-free",
        "state": dict(state or {}),
    }
    return ResourceContext(**{**values, **fields})


@pytest.fixture
def provision(provider, admin_url) -> Iterator[Provision]:
    """Provisions with `provider` (or another); drops what each resource left at teardown."""
    databases: list[str] = []

    def make(with_provider: PostgresProvider = provider, **fields: Any):
        provisioned = with_provider.provision(context(**fields))
        databases.append(provisioned.state["database"])
        return context(provisioned.state, **fields), provisioned

    yield make
    for database in databases:
        pg_cluster.drop_everything(admin_url, database)


def secrets_of(credentials: Credentials) -> dict[str, str]:
    return {secret.name: secret.value for secret in credentials.secrets}


def connect(credentials: Credentials) -> psycopg.Connection:
    return psycopg.connect(secrets_of(credentials)["DATABASE_URL"], autocommit=True)


def logs_in(credentials: Credentials) -> bool:
    try:
        connect(credentials).close()
    except psycopg.OperationalError:
        return False
    return True


def texts(blocks: list[dict]) -> list[str]:
    """The text of every paragraph, in order."""
    return [
        "".join(child["text"] for child in block["children"])
        for block in blocks
        if block["type"] == "paragraph"
    ]


def is_error(block: dict) -> bool:
    return block["type"] == "paragraph" and block["children"][0].get("color") == "red"


def table_rows(blocks: list[dict]) -> list[list[str]]:
    (table,) = [block for block in blocks if block["type"] == "table"]
    return [[cell["text"] for cell in row] for row in table["rows"]]


# --- provisioning -------------------------------------------------------------------------


def test_the_provider_implements_the_protocol(provider):
    assert isinstance(provider, Provider)


def test_provision_hands_out_credentials_that_create_tables(provision, admin_url):
    _, provisioned = provision()

    assert provisioned.status == "ready"
    database = provisioned.state["database"]
    assert re.fullmatch(r"vdb_[0-9a-f]{12}", database)
    assert provisioned.credentials.state == {"role": f"{database}_1"}
    secrets = secrets_of(provisioned.credentials)
    assert list(secrets) == SECRET_NAMES
    url = conninfo_to_dict(secrets["DATABASE_URL"])
    admin = conninfo_to_dict(admin_url)
    assert (url["host"], url["port"]) == (secrets["PGHOST"], secrets["PGPORT"])
    assert (secrets["PGHOST"], secrets["PGPORT"]) == (admin["host"], str(admin.get("port", 5432)))
    assert (url["user"], url["password"], url["dbname"]) == (
        secrets["PGUSER"],
        secrets["PGPASSWORD"],
        secrets["PGDATABASE"],
    )
    assert (secrets["PGUSER"], secrets["PGDATABASE"]) == (f"{database}_1", database)

    with connect(provisioned.credentials) as connection:
        connection.execute("CREATE TABLE notes (id serial PRIMARY KEY, body text)")
        connection.execute("INSERT INTO notes (body) VALUES ('hello')")
        assert connection.execute("SELECT body FROM notes").fetchall() == [("hello",)]
    assert pg_cluster.database_exists(admin_url, database)


def test_a_failed_provision_leaves_nothing_behind(provider, admin_url, monkeypatch):
    names = ResourceNames.generate()
    monkeypatch.setattr(ResourceNames, "generate", classmethod(lambda cls: names))

    def refuse(*args: Any) -> None:
        raise psycopg.errors.InsufficientPrivilege("permission denied to create role")

    monkeypatch.setattr(admin, "create_login_role", refuse)
    try:
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            provider.provision(context())

        assert not pg_cluster.database_exists(admin_url, names.database)
        assert pg_cluster.roles_of(admin_url, names.database) == set()
    finally:
        pg_cluster.drop_everything(admin_url, names.database)


def test_finish_provisioning_and_update_change_nothing(provider, provision):
    resource, provisioned = provision()
    moved = context(resource.state, billing_plan_id="postgres-pro", metadata={"region": "x"})

    assert provider.finish_provisioning(resource) == "ready"
    assert provider.update(moved, resource) == provisioned.state
    assert logs_in(provisioned.credentials)


def test_the_server_stores_a_scram_verifier_of_the_handed_out_password(provision, admin_url):
    _, provisioned = provision()
    secrets = secrets_of(provisioned.credentials)

    verifier = pg_cluster.stored_verifier(admin_url, secrets["PGUSER"])

    assert pg_cluster.scram_verifier_matches(verifier, secrets["PGPASSWORD"])
    assert not pg_cluster.scram_verifier_matches(verifier, secrets["PGPASSWORD"] + "x")


def test_a_wrong_password_is_refused(provision):
    _, provisioned = provision()
    secrets = secrets_of(provisioned.credentials)
    wrong = secrets["DATABASE_URL"].replace(secrets["PGPASSWORD"], "not-the-password")
    try:
        psycopg.connect(wrong).close()
    except psycopg.OperationalError as error:
        assert "password authentication failed" in str(error)
    else:
        pytest.skip("this cluster trusts every password on this host (pg_hba.conf `trust`)")


def test_a_resource_role_cannot_reach_another_resource_database(provision):
    _, first = provision()
    _, second = provision()
    url = secrets_of(first.credentials)["DATABASE_URL"].rsplit("/", 1)[0]
    other_database = second.state["database"]

    with pytest.raises(psycopg.OperationalError, match="permission denied for database"):
        psycopg.connect(f"{url}/{other_database}").close()


def test_public_url_decides_the_handed_out_host_port_and_sslmode(admin_url, provision):
    public = PostgresProvider(
        admin_url=admin_url, public_url="postgres://db.example.test:6543/ignored?sslmode=require"
    )
    _, provisioned = provision(public)
    secrets = secrets_of(provisioned.credentials)

    assert (secrets["PGHOST"], secrets["PGPORT"]) == ("db.example.test", "6543")
    assert secrets["DATABASE_URL"] == (
        f"postgresql://{secrets['PGUSER']}:{secrets['PGPASSWORD']}@db.example.test:6543/"
        f"{secrets['PGDATABASE']}?sslmode=require"
    )


def test_database_url_quotes_what_urls_cannot_carry_plainly():
    url = Endpoint("::1", 5433).url("user@x", "p@ss:w/rd?#%", "db/1")

    parts = urlsplit(url)
    assert parts.hostname == "::1" and parts.port == 5433
    params = conninfo_to_dict(url)
    assert (params["user"], params["password"], params["dbname"]) == (
        "user@x",
        "p@ss:w/rd?#%",
        "db/1",
    )


@pytest.mark.parametrize("scheme", ["postgres", "postgresql", "postgresql+psycopg"])
def test_admin_url_may_use_any_usual_scheme(admin_url, provision, scheme):
    resource, _ = provision()
    rest = admin_url.split("://", 1)[1]

    readings = PostgresProvider(admin_url=f"{scheme}://{rest}").usage(resource)

    assert readings[0].day_value > 0


@pytest.mark.parametrize("url", ["mysql://admin:s3cret-pw@db/postgres", "s3cret-pw"])
def test_an_admin_url_of_another_kind_is_refused_without_echoing_it(url):
    with pytest.raises(ValueError) as raised:
        PostgresProvider(admin_url=url)

    assert "s3cret-pw" not in str(raised.value)


def test_an_unreachable_cluster_is_a_provider_error_without_the_dsn():
    # Port 1 on the loopback interface refuses connections at once.
    provider = PostgresProvider(admin_url="postgresql://admin:s3cret-pw@127.0.0.1:1/postgres")

    with pytest.raises(ProviderError) as raised:
        provider.provision(context())

    assert (raised.value.status, raised.value.code) == (503, "provider_unavailable")
    assert "s3cret-pw" not in raised.value.message
    assert "127.0.0.1" not in raised.value.message


def test_identifiers_never_come_from_the_resource_name_or_metadata(provision, admin_url):
    admin_database = conninfo_to_dict(admin_url)["dbname"]
    metadata = {"database": admin_database, "role": "postgres", "region": MALICIOUS_NAME}

    _, provisioned = provision(name=MALICIOUS_NAME, metadata=metadata)

    database = provisioned.state["database"]
    assert re.fullmatch(r"vdb_[0-9a-f]{12}", database)
    assert all(
        MALICIOUS_NAME not in value for value in secrets_of(provisioned.credentials).values()
    )
    assert pg_cluster.database_exists(admin_url, admin_database)
    assert pg_cluster.database_exists(admin_url, database)
    assert logs_in(provisioned.credentials)


@pytest.mark.parametrize(
    "state", [{"database": "postgres"}, {"database": 'vdb_0"; DROP'}, {}], ids=repr
)
def test_state_not_made_by_the_provider_is_refused(provider, admin_url, state):
    admin_database = conninfo_to_dict(admin_url)["dbname"]

    with pytest.raises(ValueError, match="not a database name"):
        provider.deprovision(context(state))

    assert pg_cluster.database_exists(admin_url, admin_database)


# --- rotation -------------------------------------------------------------------------------


@pytest.mark.parametrize("path", ["sync", "async"])
def test_rotation_keeps_the_old_credentials_until_they_are_revoked(
    provider, provision, admin_url, path
):
    resource, provisioned = provision()
    old = provisioned.credentials
    with connect(old) as connection:
        connection.execute("CREATE TABLE items (name text)")
        connection.execute("INSERT INTO items VALUES ('made with the old credentials')")

    if path == "sync":
        rotation = provider.rotate_secrets(resource, "scheduled")
        assert rotation.partial is False
        new = rotation.credentials
    else:
        new = provider.finish_rotation(resource)

    database = resource.state["database"]
    assert new is not None and new.state == {"role": f"{database}_2"}
    assert secrets_of(new)["PGPASSWORD"] != secrets_of(old)["PGPASSWORD"]
    with connect(new) as connection:
        connection.execute("INSERT INTO items VALUES ('made with the new credentials')")
        connection.execute("ALTER TABLE items ADD COLUMN id serial")
        assert connection.execute("SELECT count(*) FROM items").fetchone() == (2,)
    assert pg_cluster.scram_verifier_matches(
        pg_cluster.stored_verifier(admin_url, f"{database}_2"), secrets_of(new)["PGPASSWORD"]
    )

    old_session = connect(old)
    assert old_session.execute("SELECT count(*) FROM items").fetchone() == (2,)

    provider.revoke(resource, old.state)

    with pytest.raises(psycopg.OperationalError):
        old_session.execute("SELECT 1")
    old_session.close()
    assert not logs_in(old)
    assert pg_cluster.roles_of(admin_url, database) == {database, f"{database}_2"}
    with connect(new) as connection:
        assert connection.execute("SELECT count(*) FROM items").fetchone() == (2,)


def test_objects_the_old_role_still_owns_pass_to_the_next_on_revoke(provider, provision):
    resource, provisioned = provision()
    old = provisioned.credentials
    with connect(old) as connection:
        # Leaving the group role on purpose: the table belongs to the login role itself.
        connection.execute("SET ROLE NONE")
        connection.execute("CREATE TABLE private_items (name text)")
        owner = "SELECT tableowner FROM pg_tables WHERE tablename = 'private_items'"
        assert connection.execute(owner).fetchone() == (secrets_of(old)["PGUSER"],)
    new = provider.finish_rotation(resource)

    provider.revoke(resource, old.state)

    with connect(new) as connection:
        connection.execute("INSERT INTO private_items VALUES ('still usable')")
        assert connection.execute("SELECT count(*) FROM private_items").fetchone() == (1,)


def test_concurrent_rotations_each_get_their_own_role(provider, provision):
    resource, _ = provision()

    with ThreadPoolExecutor(max_workers=4) as pool:
        rotated = list(pool.map(lambda _: provider.finish_rotation(resource), range(4)))

    database = resource.state["database"]
    assert sorted(credentials.state["role"] for credentials in rotated) == [
        f"{database}_{generation}" for generation in range(2, 6)
    ]
    assert all(logs_in(credentials) for credentials in rotated)


def test_revoking_twice_or_after_deprovisioning_is_fine(provider, provision, admin_url):
    resource, provisioned = provision()
    provider.finish_rotation(resource)

    provider.revoke(resource, provisioned.credentials.state)
    provider.revoke(resource, provisioned.credentials.state)
    provider.deprovision(resource)
    provider.revoke(resource, provisioned.credentials.state)

    assert pg_cluster.roles_of(admin_url, resource.state["database"]) == set()


@pytest.mark.parametrize("role", ["postgres", "other", "vdb_000000000000_1", "GROUP"])
def test_revoke_refuses_roles_that_are_not_the_resource_login_roles(
    provider, provision, admin_url, role
):
    resource, provisioned = provision()
    database = resource.state["database"]
    other = provision()[0].state["database"]
    role = {"other": f"{other}_1", "GROUP": database}.get(role, role)

    with pytest.raises(ValueError, match="not name a login role"):
        provider.revoke(resource, {"role": role})

    assert pg_cluster.query(admin_url, "SELECT 1 FROM pg_roles WHERE rolname = 'postgres'")
    assert f"{other}_1" in pg_cluster.roles_of(admin_url, other)
    assert database in pg_cluster.roles_of(admin_url, database)
    assert logs_in(provisioned.credentials)


# --- REPL -----------------------------------------------------------------------------------


def test_repl_creates_inserts_and_selects(provider, provision):
    resource, provisioned = provision()

    created = provider.repl(resource, "CREATE TABLE pets (name text, age int)", False)
    inserted = provider.repl(resource, "INSERT INTO pets VALUES ('Rex', 3), ('Tom', NULL)", False)
    selected = provider.repl(resource, "SELECT name, age FROM pets ORDER BY name", False)

    assert texts(created) == ["CREATE TABLE"]
    assert texts(inserted) == ["INSERT 0 2"]
    table = selected[0]
    assert table["type"] == "table"
    assert [cell["text"] for cell in table["header"]] == ["name", "age"]
    assert table["rows"] == [
        [{"type": "text", "text": "Rex"}, {"type": "text", "text": "3"}],
        [{"type": "text", "text": "Tom"}, {"type": "text", "text": "NULL", "italic": True}],
    ]
    assert texts(selected) == ["(2 rows)"]
    # The console's objects belong to the resource: its credentials can use them.
    with connect(provisioned.credentials) as connection:
        assert connection.execute("SELECT count(*) FROM pets").fetchone() == (2,)


@pytest.mark.parametrize(
    "command",
    [
        "INSERT INTO pets VALUES ('Eve')",
        "COMMIT; INSERT INTO pets VALUES ('Eve')",
        "SET TRANSACTION READ WRITE",
        "DO $$ BEGIN COMMIT; INSERT INTO pets VALUES ('Eve'); END $$",
        "DO $$ BEGIN SET LOCAL transaction_read_only = off; "
        "INSERT INTO pets VALUES ('Eve'); END $$",
        "CREATE TABLE other (id int)",
    ],
)
def test_read_only_repl_changes_nothing(provider, provision, command):
    resource, _ = provision()
    provider.repl(resource, "CREATE TABLE pets (name text)", False)

    blocks = provider.repl(resource, command, True)

    assert is_error(blocks[0]), blocks
    tables = provider.repl(resource, "SELECT count(*) FROM pets", True)
    assert table_rows(tables) == [["0"]]
    assert table_rows(
        provider.repl(resource, "SELECT count(*) FROM pg_tables WHERE tablename = 'other'", True)
    ) == [["0"]]


def test_read_only_repl_says_why_a_write_was_refused(provider, provision):
    resource, _ = provision()
    provider.repl(resource, "CREATE TABLE pets (name text)", False)

    blocks = provider.repl(resource, "INSERT INTO pets VALUES ('Eve')", True)

    assert texts(blocks) == [
        "ERROR: cannot execute INSERT in a read-only transaction",
        "This console is read-only: nothing was changed.",
    ]
    assert blocks[0]["children"][0]["color"] == "red"


@pytest.mark.parametrize(
    ("command", "message"),
    [
        ("SELEC 1", 'ERROR: syntax error at or near "SELEC"'),
        ("SELECT * FROM missing", 'ERROR: relation "missing" does not exist'),
        ("SELECT 1/0", "ERROR: division by zero"),
    ],
)
def test_repl_errors_are_red_paragraphs(provider, provision, command, message):
    resource, _ = provision()

    blocks = provider.repl(resource, command, False)

    assert blocks[0] == {
        "type": "paragraph",
        "children": [{"type": "text", "text": message, "color": "red"}],
    }


def test_repl_shows_the_first_hundred_rows_and_counts_the_rest(provider, provision):
    resource, _ = provision()

    blocks = provider.repl(resource, "SELECT n FROM generate_series(1, 250) AS n", True)

    assert table_rows(blocks) == [[str(n)] for n in range(1, 101)]
    assert texts(blocks) == ["Showing the first 100 of 250 rows.", "(250 rows)"]


def test_repl_statements_time_out(provider, provision):
    resource, _ = provision()
    provider.console_statement_timeout = provider.console_statement_timeout / 25  # 0.2 s
    started = time.monotonic()

    blocks = provider.repl(resource, "SELECT pg_sleep(5)", False)

    assert time.monotonic() - started < 4
    assert texts(blocks) == ["ERROR: canceling statement due to statement timeout"]


@pytest.mark.parametrize(
    ("command", "answer"),
    [
        ("", "Nothing to run: type an SQL statement."),
        ("-- just a comment", "Nothing to run: type an SQL statement."),
        (
            "COPY (SELECT 1) TO STDOUT",
            "COPY from or to the client is not supported in the console.",
        ),
        ("SELECT 1\x00; DROP TABLE pets", "The command contains a NUL character."),
    ],
    ids=["empty", "comment", "copy", "nul"],
)
def test_repl_answers_commands_it_cannot_run(provider, provision, command, answer):
    resource, _ = provision()

    assert texts(provider.repl(resource, command, False)) == [answer]


def test_repl_runs_with_the_resource_privileges_not_the_admin(provider, provision, admin_url):
    resource, _ = provision()
    database = resource.state["database"]

    whoami = provider.repl(resource, "SELECT current_user, session_user", True)
    refused = provider.repl(resource, "CREATE ROLE intruder SUPERUSER", False)

    ((current, session),) = table_rows(whoami)
    assert current == database
    assert re.fullmatch(rf"{database}_console_[0-9a-f]{{8}}", session)
    assert is_error(refused[0])
    assert not pg_cluster.query(admin_url, "SELECT 1 FROM pg_roles WHERE rolname = 'intruder'")
    # Each command's role is gone once it has answered.
    assert pg_cluster.roles_of(admin_url, database) == {database, f"{database}_1"}


# --- usage and deprovisioning ---------------------------------------------------------------


def test_usage_reports_the_database_size(provider, provision, admin_url):
    resource, _ = provision()
    database = resource.state["database"]

    (reading,) = provider.usage(resource)

    ((size,),) = pg_cluster.query(admin_url, "SELECT pg_database_size(%s)", (database,))
    assert (reading.name, reading.type, reading.units) == ("Database size", "total", "MB")
    assert reading.day_value == reading.period_value == pytest.approx(size / 2**20, abs=0.01)


def test_deprovision_drops_the_database_and_every_role_and_can_repeat(
    provider, provision, admin_url
):
    resource, provisioned = provision()
    database = resource.state["database"]
    provider.finish_rotation(resource)
    session = connect(provisioned.credentials)
    assert pg_cluster.roles_of(admin_url, database) == {database, f"{database}_1", f"{database}_2"}

    provider.deprovision(resource)
    provider.deprovision(resource)

    assert not pg_cluster.database_exists(admin_url, database)
    assert pg_cluster.roles_of(admin_url, database) == set()
    assert not logs_in(provisioned.credentials)
    with pytest.raises(psycopg.OperationalError):
        session.execute("SELECT 1")
    session.close()


def test_a_deprovisioned_resource_has_no_usage_or_console(provider, provision):
    resource, _ = provision()
    provider.deprovision(resource)

    for call in (
        lambda: provider.usage(resource),
        lambda: provider.repl(resource, "SELECT 1", True),
    ):
        with pytest.raises(ProviderError) as raised:
            call()
        assert (raised.value.status, raised.value.code) == (409, "database_missing")
