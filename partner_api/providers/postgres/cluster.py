"""Connections to the cluster: as its admin, or as one of a resource's roles.

Every connection is short-lived, autocommit and bounded by a connect timeout. A cluster
that cannot be reached (or drops the connection) becomes a `ProviderError` 503 the user can
retry; its message never carries the DSN.

Admin connections resolve unqualified names in the catalog only: `search_path` is
`pg_catalog, pg_temp` from the startup packet on, so no function, operator or table a tenant
created (in `public` or in a schema named after the admin) can stand in for a catalog one.
A startup option outranks the database's and the role's own settings, and `RESET` returns
to it. Listing `pg_temp` last keeps the session's temporary schema from coming first.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta

import psycopg
from psycopg.conninfo import conninfo_to_dict, make_conninfo

from partner_api.providers.base import ProviderError

logger = logging.getLogger(__name__)

CONNECT_TIMEOUT_SECONDS = 5
ADMIN_STATEMENT_TIMEOUT = timedelta(seconds=60)
APPLICATION_NAME = "partner-api-postgres-provider"
ADMIN_SEARCH_PATH = "pg_catalog, pg_temp"

# SQLAlchemy-style URLs (`postgresql+psycopg://`) and Heroku's `postgres://` are accepted.
_URL_SCHEME = re.compile(r"^postgres(?:ql)?(?:\+[a-z0-9]+)?://", re.IGNORECASE)


def libpq_url(url: str) -> str:
    """`url` with a scheme libpq understands."""
    if not _URL_SCHEME.match(url):
        raise ValueError("expected a postgres:// or postgresql:// URL")
    return _URL_SCHEME.sub("postgresql://", url, count=1)


class DatabaseMissing(ProviderError):
    """The resource's database is gone (dropped outside this server, or already deprovisioned)."""

    def __init__(self) -> None:
        super().__init__(
            "The database of this resource no longer exists.", status=409, code="database_missing"
        )


def _unavailable() -> ProviderError:
    return ProviderError(
        "The database cluster is unavailable right now; please try again shortly.",
        status=503,
        code="provider_unavailable",
    )


def _options(statement_timeout: timedelta, search_path: str | None = None) -> str:
    """libpq `options`: settings the server applies as the session starts."""
    options = f"-c statement_timeout={int(statement_timeout.total_seconds() * 1000)}"
    if search_path:
        # Spaces separate options unless escaped.
        options += " -c search_path=" + search_path.replace(" ", "\\ ")
    return options


def has_database(connection: psycopg.Connection, database: str) -> bool:
    """Whether `database` exists; `connection` is an admin's."""
    found = connection.execute(
        "SELECT 1 FROM pg_catalog.pg_database WHERE datname = %s", (database,)
    ).fetchone()
    return found is not None


class Cluster:
    """The cluster behind an admin URL."""

    def __init__(self, admin_url: str) -> None:
        self._admin_conninfo = libpq_url(admin_url)
        self.admin_params = conninfo_to_dict(self._admin_conninfo)

    @contextmanager
    def admin(self, database: str | None = None) -> Iterator[psycopg.Connection]:
        """An admin connection, to the admin URL's database or to `database`.

        Raises `DatabaseMissing` if `database` does not exist.
        """
        conninfo = self._admin_conninfo
        if database is not None:
            conninfo = make_conninfo(conninfo, dbname=database)
        try:
            connection = self._open(
                conninfo, _options(ADMIN_STATEMENT_TIMEOUT, search_path=ADMIN_SEARCH_PATH)
            )
        except ProviderError:
            if database is not None and not self.database_exists(database):
                raise DatabaseMissing() from None
            raise
        with self._guard(connection):
            yield connection

    def database_exists(self, database: str) -> bool:
        with self.admin() as connection:
            return has_database(connection, database)

    def member_conninfo(self, database: str, role: str, password: str) -> str:
        """libpq parameters of a connection as one of a resource's roles, through the admin
        URL's host: the admin's user and password replaced by the member's."""
        return make_conninfo(self._admin_conninfo, dbname=database, user=role, password=password)

    @staticmethod
    def _open(conninfo: str, options: str) -> psycopg.Connection:
        try:
            return psycopg.connect(
                conninfo,
                autocommit=True,
                connect_timeout=CONNECT_TIMEOUT_SECONDS,
                application_name=APPLICATION_NAME,
                client_encoding="UTF8",
                options=options,
            )
        except psycopg.OperationalError as error:
            # libpq's message names host and port, never the password.
            logger.warning("postgres provider: cannot connect to the cluster: %s", error)
            raise _unavailable() from None

    @staticmethod
    @contextmanager
    def _guard(connection: psycopg.Connection) -> Iterator[psycopg.Connection]:
        """Closes `connection` afterwards, without committing anything left open.

        A connection lost on the way becomes a 503.
        """
        try:
            yield connection
        except psycopg.OperationalError as error:
            if not connection.broken:
                raise
            logger.warning("postgres provider: lost the cluster connection: %s", error)
            raise _unavailable() from None
        finally:
            connection.close()


@contextmanager
def member_session(conninfo: str, statement_timeout: timedelta) -> Iterator[psycopg.Connection]:
    """A connection with `Cluster.member_conninfo`'s parameters, its statements bounded."""
    with Cluster._guard(Cluster._open(conninfo, _options(statement_timeout))) as connection:
        yield connection
