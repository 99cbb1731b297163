"""The test cluster for the postgres provider, seen from outside the provider.

Assertions and clean-up talk to the cluster directly (not through the code under test), so a
broken provider cannot hide what it left behind.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
from typing import Any

import psycopg
from psycopg import sql
from psycopg.conninfo import conninfo_to_dict

DEFAULT_ADMIN_URL = "postgresql://postgres@127.0.0.1:5432/postgres"


def admin_url() -> str:
    """TEST_DATABASE_URL's server (SQLAlchemy's `+psycopg` dropped), else the machine's."""
    url = os.environ.get("TEST_DATABASE_URL") or DEFAULT_ADMIN_URL
    return url.replace("postgresql+psycopg://", "postgresql://", 1)


def where(url: str) -> str:
    params = conninfo_to_dict(url)
    return f"{params.get('host', 'localhost')}:{params.get('port', 5432)}"


def answers(url: str) -> bool:
    try:
        psycopg.connect(url, connect_timeout=3).close()
    except psycopg.OperationalError:
        return False
    return True


def query(url: str, statement: str, params: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    with psycopg.connect(url, autocommit=True, connect_timeout=5) as connection:
        return connection.execute(statement, params).fetchall()


def execute(url: str, statement: str | sql.Composable, params: tuple[Any, ...] = ()) -> None:
    with psycopg.connect(url, autocommit=True, connect_timeout=5) as connection:
        connection.execute(statement, params)


def database_exists(url: str, database: str) -> bool:
    return bool(query(url, "SELECT 1 FROM pg_database WHERE datname = %s", (database,)))


def roles_of(url: str, database: str) -> set[str]:
    """The resource's group role (named like its database) and every `<database>_…` role."""
    rows = query(
        url,
        "SELECT rolname FROM pg_roles WHERE rolname = %s OR starts_with(rolname, %s)",
        (database, f"{database}_"),
    )
    return {name for (name,) in rows}


def drop_everything(url: str, database: str) -> None:
    """Clean-up after a test: the database and all its roles, whatever state they are in."""
    roles = roles_of(url, database)
    with psycopg.connect(url, autocommit=True, connect_timeout=5) as connection:
        connection.execute(
            sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(database))
        )
        # Members before the group they belong to.
        for role in sorted(roles, key=len, reverse=True):
            connection.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE usename = %s",
                (role,),
            )
            connection.execute(sql.SQL("DROP ROLE IF EXISTS {}").format(sql.Identifier(role)))


def scram_verifier_matches(verifier: str, password: str) -> bool:
    """Whether a `SCRAM-SHA-256$<iterations>:<salt>$<StoredKey>:<ServerKey>` is `password`'s.

    (RFC 5802/7677; the passwords here are ASCII, so SASLprep leaves them unchanged.)
    """
    mechanism, iterations_salt, keys = verifier.split("$")
    if mechanism != "SCRAM-SHA-256":
        return False
    iterations, salt = iterations_salt.split(":")
    stored_key, _server_key = keys.split(":")
    salted = hashlib.pbkdf2_hmac(
        "sha256", password.encode(), base64.b64decode(salt), int(iterations)
    )
    client_key = hmac.digest(salted, b"Client Key", "sha256")
    return hmac.compare_digest(hashlib.sha256(client_key).digest(), base64.b64decode(stored_key))


def stored_verifier(url: str, role: str) -> str:
    ((verifier,),) = query(url, "SELECT rolpassword FROM pg_authid WHERE rolname = %s", (role,))
    return verifier
