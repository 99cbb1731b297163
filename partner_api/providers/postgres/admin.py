"""What the admin does on the cluster: create and drop a resource's database and roles.

Design: the database is owned by the admin; a NOLOGIN group role holds the resource's
privileges (CONNECT, TEMPORARY and CREATE on the database, USAGE and CREATE on `public`).
Login roles are INHERIT members of the group and start every session with `SET ROLE` to it
(`ALTER ROLE … SET role`), so whatever one credential creates is owned by the group and
stays usable by the next. Retiring a credential hands anything it still owns to the group.

Passwords reach the server only as SCRAM verifiers computed here, so the cleartext never
appears in a statement (or in the server's statement log). Needs PostgreSQL 13 or later.
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
        connection.execute("SELECT pg_advisory_xact_lock(hashtext(%s))", (names.group,))
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
    rows = connection.execute(
        "SELECT rolname FROM pg_roles WHERE starts_with(rolname, %s)", (names.member_prefix,)
    ).fetchall()
    generations = (names.login_generation(name) for (name,) in rows)
    return max((generation for generation in generations if generation), default=0) + 1


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


def drop_member_role(connection: psycopg.Connection, names: ResourceNames, role: str) -> None:
    """Retire one login or console role; `connection` is an admin's, in the resource's database.

    Its sessions end, whatever it still owns passes to the group, then it is dropped.
    Dropping a role that is already gone is fine.
    """
    if not names.is_member_role(role):
        raise ValueError("not a role of this resource")
    exists = connection.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", (role,)).fetchone()
    if not exists:
        return
    identifier = sql.Identifier(role)
    connection.execute(sql.SQL("ALTER ROLE {} NOLOGIN").format(identifier))
    _terminate_sessions(connection, [role])
    connection.execute(
        sql.SQL("REASSIGN OWNED BY {} TO {}").format(identifier, sql.Identifier(names.group))
    )
    connection.execute(sql.SQL("DROP OWNED BY {}").format(identifier))
    connection.execute(sql.SQL("DROP ROLE IF EXISTS {}").format(identifier))


def drop_resource(connection: psycopg.Connection, names: ResourceNames) -> None:
    """Drop the database, its member roles and its group; whatever is already gone is fine."""
    rows = connection.execute(
        "SELECT rolname FROM pg_roles WHERE starts_with(rolname, %s)", (names.member_prefix,)
    ).fetchall()
    members = [name for (name,) in rows if names.is_member_role(name)]
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
        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE usename = ANY(%s)",
        (roles,),
    )


def database_size(connection: psycopg.Connection, names: ResourceNames) -> int | None:
    """The database's size in bytes, None if it does not exist."""
    row = connection.execute(
        "SELECT pg_database_size(oid) FROM pg_database WHERE datname = %s", (names.database,)
    ).fetchone()
    return int(row[0]) if row else None
