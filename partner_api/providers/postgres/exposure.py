"""The cluster's own exposure: databases every tenant login role may connect to.

A database is *exposed* when it accepts connections (`datallowconn`) and its ACL grants
CONNECT to PUBLIC. A NULL `datacl` is the default ACL (`acldefault('d', owner)`), which grants
PUBLIC CONNECT and TEMPORARY: `postgres`, `template1` and any database created without a
`REVOKE` are exposed. The provider's own resource databases revoke ALL from PUBLIC when they
are created, so they never are.

Closing a database revokes CONNECT and TEMPORARY from PUBLIC, in one transaction per database:
first the roles this server logs in as (the admin, and the app's own role on the app's own
database) are granted explicitly what they held through PUBLIC, so that nothing locks them
out; then the catalog is read again, and unless PUBLIC holds neither privilege any more and
every kept role still has them, the transaction is rolled back. (A role that neither owns the
database nor holds grant options gets only server WARNINGs from GRANT and REVOKE, no error:
only the catalog tells whether anything changed.)

Every statement runs on an admin connection in the admin's own database (database ACLs are
cluster-wide), names catalog objects schema-qualified and takes database and role names only
as `sql.Identifier`s, though they come from the catalog.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import psycopg
from psycopg import sql
from sqlalchemy.engine import make_url

# What the default ACL grants PUBLIC on a database, and what closing one revokes.
PUBLIC_PRIVILEGES = ("CONNECT", "TEMPORARY")

# A NULL datacl is the default ACL of the owner's database, which grants PUBLIC.
_EXPOSED = """
SELECT d.datname FROM pg_catalog.pg_database AS d
WHERE d.datallowconn AND EXISTS (
    SELECT FROM pg_catalog.aclexplode(COALESCE(d.datacl, pg_catalog.acldefault('d', d.datdba))) AS a
    WHERE a.grantee = 0::pg_catalog.oid AND a.privilege_type = 'CONNECT'
)
ORDER BY d.datname
"""

_PUBLIC_PRIVILEGES_OF = """
SELECT a.privilege_type
FROM pg_catalog.pg_database AS d,
     pg_catalog.aclexplode(COALESCE(d.datacl, pg_catalog.acldefault('d', d.datdba))) AS a
WHERE d.datname = %s AND a.grantee = 0::pg_catalog.oid
"""

_MISSING_PRIVILEGES = """
SELECT r.role, p.privilege
FROM pg_catalog.pg_database AS d,
     pg_catalog.unnest(%s::pg_catalog.text[]) AS r(role),
     pg_catalog.unnest(%s::pg_catalog.text[]) AS p(privilege)
WHERE d.datname = %s AND NOT pg_catalog.has_database_privilege(r.role, d.oid, p.privilege)
"""


@dataclass(frozen=True)
class AppLogin:
    """The role and database of the app's own `DATABASE_URL`."""

    role: str
    database: str

    @classmethod
    def of(cls, database_url: str | None) -> AppLogin | None:
        """None unless `database_url` is a Postgres URL naming both its user and database."""
        if not database_url:
            return None
        url = make_url(database_url)
        if url.get_backend_name() != "postgresql" or not url.username or not url.database:
            return None
        return cls(role=url.username, database=url.database)


@dataclass(frozen=True)
class Closing:
    """What closing one database did: PUBLIC's revoked privileges and the roles kept in."""

    database: str
    revoked: tuple[str, ...] = ()
    kept: tuple[str, ...] = ()
    problem: str | None = None

    def describe(self) -> str:
        if self.problem:
            return f"{self.database}: unchanged: {self.problem}"
        if not self.revoked:
            return f"{self.database}: PUBLIC holds neither CONNECT nor TEMPORARY; nothing to do"
        return (
            f"{self.database}: revoked {', '.join(self.revoked)} from PUBLIC; "
            f"granted them first to {', '.join(self.kept)}"
        )


class _NotClosed(Exception):
    """The catalog, read again inside the transaction, shows the closing did not take."""


def exposed_databases(connection: psycopg.Connection) -> list[str]:
    """The cluster's databases that grant CONNECT to PUBLIC, by name."""
    return [name for (name,) in connection.execute(_EXPOSED).fetchall()]


def kept_roles(connection: psycopg.Connection, database: str, app: AppLogin | None) -> list[str]:
    """The admin's login role, and the app's role if `database` is the app's own one.

    The app's role is kept only if a role of that name exists on this cluster (the app's
    database may live elsewhere).
    """
    ((admin,),) = connection.execute("SELECT session_user").fetchall()
    roles = [admin]
    if (
        app
        and app.database == database
        and app.role != admin
        and _role_exists(connection, app.role)
    ):
        roles.append(app.role)
    return roles


def close_database(connection: psycopg.Connection, database: str, keep: Sequence[str]) -> Closing:
    """Revoke CONNECT and TEMPORARY from PUBLIC on `database`, keeping `keep` connected.

    `connection` is an autocommit admin connection. Failures are returned, not raised, except
    a lost connection.
    """
    try:
        with connection.transaction():
            public = _public_privileges(connection, database)
            revoked = tuple(p for p in PUBLIC_PRIVILEGES if p in public)
            if not revoked:
                return Closing(database)
            granted = tuple(p for p in PUBLIC_PRIVILEGES if p == "CONNECT" or p in revoked)
            _grant(connection, database, granted, keep)
            connection.execute(
                sql.SQL("REVOKE {} ON DATABASE {} FROM PUBLIC").format(
                    _privileges(PUBLIC_PRIVILEGES), sql.Identifier(database)
                )
            )
            _check_closed(connection, database, granted, keep)
    except _NotClosed as refusal:
        return Closing(database, problem=str(refusal))
    except psycopg.Error as error:
        if connection.broken:
            raise
        return Closing(database, problem=error.diag.message_primary or type(error).__name__)
    return Closing(database, revoked=revoked, kept=tuple(keep))


def _role_exists(connection: psycopg.Connection, role: str) -> bool:
    return bool(
        connection.execute("SELECT FROM pg_catalog.pg_roles WHERE rolname = %s", (role,)).fetchall()
    )


def _public_privileges(connection: psycopg.Connection, database: str) -> set[str]:
    rows = connection.execute(_PUBLIC_PRIVILEGES_OF, (database,)).fetchall()
    return {privilege for (privilege,) in rows}


def _privileges(names: Sequence[str]) -> sql.Composable:
    # `names` are constants of PUBLIC_PRIVILEGES, never data.
    return sql.SQL(", ").join(sql.SQL(name) for name in names)


def _grant(
    connection: psycopg.Connection, database: str, privileges: Sequence[str], roles: Sequence[str]
) -> None:
    connection.execute(
        sql.SQL("GRANT {} ON DATABASE {} TO {}").format(
            _privileges(privileges),
            sql.Identifier(database),
            sql.SQL(", ").join(sql.Identifier(role) for role in roles),
        )
    )


def _check_closed(
    connection: psycopg.Connection, database: str, granted: Sequence[str], kept: Sequence[str]
) -> None:
    if still := sorted(_public_privileges(connection, database) & set(PUBLIC_PRIVILEGES)):
        raise _NotClosed(
            f"PUBLIC still holds {', '.join(still)}: the admin role neither owns this database "
            "nor may revoke what its owner granted"
        )
    missing = connection.execute(
        _MISSING_PRIVILEGES, (list(kept), list(granted), database)
    ).fetchall()
    if missing:
        lacking = ", ".join(f"{role} {privilege}" for role, privilege in missing)
        raise _NotClosed(f"the grants to the kept roles did not take ({lacking})")
