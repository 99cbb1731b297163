"""What the admin does on the cluster: create and drop a resource's database and roles.

Design: the database is owned by the admin; a NOLOGIN group role holds the resource's
privileges (CONNECT, TEMPORARY and CREATE on the database, USAGE and CREATE on `public`).
Login roles are INHERIT members of the group and start every session with `SET ROLE` to it
(`ALTER ROLE … SET role`), so whatever one credential creates is owned by the group and
stays usable by the next. Retiring a credential hands anything it still owns to the group.

Passwords reach the server only as SCRAM verifiers computed here, so the cleartext never
appears in a statement (or in the server's statement log). Needs PostgreSQL 13 or later.

The admin never runs tenant code. Tenants own objects in their database and may create in
`public` of any database open to PUBLIC (the admin's, on clusters from before PostgreSQL 15),
so the admin evaluates nothing a tenant could have created:

- every admin session pins `search_path` to `pg_catalog, pg_temp` at startup (`cluster`),
  and the statements below also name catalog functions and tables `pg_catalog.`-qualified;
  operators (`=`) are only evaluated in the admin's database, on catalog columns whose type
  has an exact catalog operator, which the catalog-first path picks;
- everything cluster-wide (roles, their sessions, the advisory lock, sizes, dropping the
  database) runs in the admin's database; a tenant database is entered only for the fixed
  statements marked *inside* below, which name roles and `public` and evaluate nothing.

Statement by statement:

- `create_database`, admin's database: `CREATE ROLE … NOLOGIN`, `CREATE DATABASE` (copies
  `template1`, the cluster admin's), `REVOKE`/`GRANT … ON DATABASE`: utility statements on
  shared catalogs, with generated identifiers only.
- `open_public_schema`, *inside*, while provisioning, before any credential exists:
  `REVOKE CREATE ON SCHEMA public FROM PUBLIC`, `GRANT USAGE, CREATE ON SCHEMA public TO
  <group>`. Grants fire no trigger (a tenant cannot create event triggers: that takes
  superuser), and nothing of the tenant's exists yet.
- `create_login_role` and `create_console_role`, admin's database: `pg_advisory_xact_lock(
  hashtext(<group>))` (the lock is per database, and every rotation takes it in this one),
  the member roles from `pg_roles` by `starts_with`, then `CREATE ROLE … LOGIN … PASSWORD
  <verifier> [VALID UNTIL <literal>] IN ROLE <group>` and `ALTER ROLE … SET role = <group>`:
  constants and generated identifiers, no lookup in a tenant's schema. The verifier is
  computed by libpq without asking the server anything.
- `retire_member_role`, admin's database: `pg_roles` by `rolname =`, `ALTER ROLE … NOLOGIN`
  and `pg_terminate_backend` over `pg_stat_activity` by `usename = ANY(…)`.
- `hand_over_owned`, *inside*: `REASSIGN OWNED BY <role> TO <group>` and `DROP OWNED BY
  <role>`. Changing an owner evaluates no expression (defaults, checks and triggers belong
  to rows, not to owners); dropping what is left (nothing, after the reassignment) and the
  role's grants fires no trigger either; only event triggers could, and tenants have none.
- `drop_member_role`, admin's database: `DROP ROLE IF EXISTS`.
- `drop_resource`, admin's database: the member roles as above, `ALTER ROLE … NOLOGIN`,
  their sessions terminated, `DROP DATABASE … WITH (FORCE)` (which ends the database's
  other sessions and runs nothing inside it), `DROP ROLE IF EXISTS`.
- `database_size`, admin's database: `pg_database_size(oid)` from `pg_database`; and
  `cluster.has_database`, there too, `pg_database` by `datname =` (before a rotation or a
  console command, and when an admin connection to a resource's database fails).

A tenant's role settings (`ALTER ROLE <self> SET …`, allowed to every role for itself) only
apply to the tenant's own sessions. Database settings (`ALTER DATABASE … SET`) take owning
the database, and a tenant owns neither its database (the admin does) nor the admin's; the
startup `search_path` would outrank them anyway. A tenant cannot create objects in another
session's temporary schema, nor casts between built-in types (that takes owning one of them).
"""

from __future__ import annotations

import secrets
from datetime import UTC, datetime, timedelta

import psycopg
from psycopg import sql

from partner_api.providers.postgres.names import ResourceNames

# Each credential may hold this many sessions at once.
LOGIN_CONNECTION_LIMIT = 20
# A console role is dropped right after its command; should that fail, it expires anyway.
CONSOLE_ROLE_LIFETIME = timedelta(minutes=10)


def _password() -> str:
    return secrets.token_urlsafe(32)


def create_database(connection: psycopg.Connection, names: ResourceNames) -> None:
    """The group role and the database only it (and the admin) may connect to."""
    group = sql.Identifier(names.group)
    database = sql.Identifier(names.database)
    connection.execute(sql.SQL("CREATE ROLE {} NOLOGIN").format(group))
    connection.execute(sql.SQL("CREATE DATABASE {}").format(database))
    connection.execute(sql.SQL("REVOKE ALL ON DATABASE {} FROM PUBLIC").format(database))
    connection.execute(
        sql.SQL("GRANT CONNECT, TEMPORARY, CREATE ON DATABASE {} TO {}").format(database, group)
    )


def open_public_schema(connection: psycopg.Connection, names: ResourceNames) -> None:
    """Inside the resource's database: the group may create in `public`, nobody else may."""
    connection.execute("REVOKE CREATE ON SCHEMA public FROM PUBLIC")
    connection.execute(
        sql.SQL("GRANT USAGE, CREATE ON SCHEMA public TO {}").format(sql.Identifier(names.group))
    )


def create_login_role(connection: psycopg.Connection, names: ResourceNames) -> tuple[str, str]:
    """The next credential generation of the resource; returns its role and password."""
    password = _password()
    with connection.transaction():
        # Two rotations at once must not pick the same generation.
        connection.execute(
            "SELECT pg_catalog.pg_advisory_xact_lock(pg_catalog.hashtext(%s))", (names.group,)
        )
        role = names.login_role(_next_generation(connection, names))
        _create_member(connection, names, role, password, LOGIN_CONNECTION_LIMIT)
    return role, password


def create_console_role(connection: psycopg.Connection, names: ResourceNames) -> tuple[str, str]:
    """A single-session role for one console command; returns its role and password."""
    role, password = names.console_role(), _password()
    valid_until = datetime.now(UTC) + CONSOLE_ROLE_LIFETIME
    with connection.transaction():
        _create_member(connection, names, role, password, 1, valid_until)
    return role, password


def _next_generation(connection: psycopg.Connection, names: ResourceNames) -> int:
    generations = (names.login_generation(role) for role in _member_roles(connection, names))
    return max((generation for generation in generations if generation), default=0) + 1


def _member_roles(connection: psycopg.Connection, names: ResourceNames) -> list[str]:
    """The resource's login and console roles that exist."""
    rows = connection.execute(
        "SELECT rolname FROM pg_catalog.pg_roles WHERE pg_catalog.starts_with(rolname, %s)",
        (names.member_prefix,),
    ).fetchall()
    return [name for (name,) in rows if names.is_member_role(name)]


def _create_member(
    connection: psycopg.Connection,
    names: ResourceNames,
    role: str,
    password: str,
    connection_limit: int,
    valid_until: datetime | None = None,
) -> None:
    verifier = connection.pgconn.encrypt_password(
        password.encode(), role.encode(), b"scram-sha-256"
    ).decode()
    expiry = (
        sql.SQL(" VALID UNTIL {}").format(sql.Literal(valid_until.isoformat()))
        if valid_until
        else sql.SQL("")
    )
    connection.execute(
        sql.SQL(
            "CREATE ROLE {role} LOGIN INHERIT CONNECTION LIMIT {limit} PASSWORD {verifier}"
            "{expiry} IN ROLE {group}"
        ).format(
            role=sql.Identifier(role),
            limit=sql.Literal(connection_limit),
            verifier=sql.Literal(verifier),
            expiry=expiry,
            group=sql.Identifier(names.group),
        )
    )
    connection.execute(
        sql.SQL("ALTER ROLE {} SET role = {}").format(
            sql.Identifier(role), sql.Literal(names.group)
        )
    )


def retire_member_role(connection: psycopg.Connection, names: ResourceNames, role: str) -> bool:
    """First step of dropping a login or console role, in the admin's database: it can no
    longer log in and its sessions end. False if it is gone already."""
    if not names.is_member_role(role):
        raise ValueError("not a role of this resource")
    exists = connection.execute(
        "SELECT 1 FROM pg_catalog.pg_roles WHERE rolname = %s", (role,)
    ).fetchone()
    if not exists:
        return False
    connection.execute(sql.SQL("ALTER ROLE {} NOLOGIN").format(sql.Identifier(role)))
    _terminate_sessions(connection, [role])
    return True


def hand_over_owned(connection: psycopg.Connection, names: ResourceNames, role: str) -> None:
    """Inside the resource's database: what a retired role owns passes to the group, and
    its own grants go."""
    identifier = sql.Identifier(role)
    connection.execute(
        sql.SQL("REASSIGN OWNED BY {} TO {}").format(identifier, sql.Identifier(names.group))
    )
    connection.execute(sql.SQL("DROP OWNED BY {}").format(identifier))


def drop_member_role(connection: psycopg.Connection, role: str) -> None:
    """Last step, after `retire_member_role`, in the admin's database; gone already is fine."""
    connection.execute(sql.SQL("DROP ROLE IF EXISTS {}").format(sql.Identifier(role)))


def drop_resource(connection: psycopg.Connection, names: ResourceNames) -> None:
    """Drop the database, its member roles and its group; whatever is already gone is fine."""
    members = _member_roles(connection, names)
    for role in members:
        connection.execute(sql.SQL("ALTER ROLE {} NOLOGIN").format(sql.Identifier(role)))
    _terminate_sessions(connection, members)
    connection.execute(
        sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(names.database))
    )
    for role in [*members, names.group]:
        connection.execute(sql.SQL("DROP ROLE IF EXISTS {}").format(sql.Identifier(role)))


def _terminate_sessions(connection: psycopg.Connection, roles: list[str]) -> None:
    connection.execute(
        "SELECT pg_catalog.pg_terminate_backend(pid) FROM pg_catalog.pg_stat_activity"
        " WHERE usename = ANY(%s)",
        (roles,),
    )


def database_size(connection: psycopg.Connection, names: ResourceNames) -> int | None:
    """The database's size in bytes, None if it does not exist."""
    row = connection.execute(
        "SELECT pg_catalog.pg_database_size(oid) FROM pg_catalog.pg_database WHERE datname = %s",
        (names.database,),
    ).fetchone()
    return int(row[0]) if row else None
