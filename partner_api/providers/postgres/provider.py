"""`PostgresProvider`: one database and its login roles per resource, on a cluster the
partner runs and reaches through an admin URL."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator, Mapping
from datetime import timedelta
from typing import Any

import psycopg

from partner_api.providers.base import (
    Credentials,
    Provisioned,
    ProvisioningStatus,
    ResourceContext,
    Rotation,
    UsageReading,
)
from partner_api.providers.postgres import admin, console_process
from partner_api.providers.postgres.cluster import (
    Cluster,
    DatabaseMissing,
    has_database,
    libpq_url,
)
from partner_api.providers.postgres.credentials import Endpoint, login_credentials
from partner_api.providers.postgres.names import ResourceNames

BYTES_PER_MB = 1024 * 1024


class PostgresProvider:
    """Provisions on the cluster of `admin_url`; hands out `public_url`'s host and port.

    The resource's provider state is `{"database": …}`; each credential set's state is
    `{"role": …}`, the login role that `revoke` drops. Admin work runs in the admin URL's
    database; see `admin` for the few statements that run inside a resource's database.
    """

    # How long one console command may run.
    console_statement_timeout = timedelta(seconds=5)

    def __init__(self, admin_url: str, public_url: str | None = None) -> None:
        self._cluster = Cluster(admin_url)
        self._endpoint = (
            Endpoint.from_url(libpq_url(public_url))
            if public_url
            else Endpoint.from_params(self._cluster.admin_params)
        )

    def provision(self, resource: ResourceContext) -> Provisioned:
        names = ResourceNames.generate()
        try:
            with self._cluster.admin() as connection:
                admin.create_database(connection, names)
                with self._cluster.admin(names.database) as inside:
                    admin.open_public_schema(inside, names)
                credentials = self._new_login(connection, names)
        except BaseException:
            # Leave nothing behind on the cluster; the original error is the one to report.
            with contextlib.suppress(Exception):
                self._drop(names)
            raise
        return Provisioned(
            credentials=credentials, status="ready", state={"database": names.database}
        )

    def finish_provisioning(self, resource: ResourceContext) -> ProvisioningStatus:
        """Provisioning is synchronous: the database is ready when `provision` returns."""
        return "ready"

    def update(self, resource: ResourceContext, previous: ResourceContext) -> Mapping[str, Any]:
        """Plans and metadata change nothing on the cluster."""
        return dict(resource.state)

    def deprovision(self, resource: ResourceContext) -> None:
        self._drop(ResourceNames.of(resource.state))

    def rotate_secrets(self, resource: ResourceContext, reason: str | None) -> Rotation:
        return Rotation(credentials=self.finish_rotation(resource))

    def finish_rotation(self, resource: ResourceContext) -> Credentials:
        """A new login role with the group's privileges; the previous one keeps working."""
        names = ResourceNames.of(resource.state)
        with self._admin_for(names) as connection:
            return self._new_login(connection, names)

    def revoke(self, resource: ResourceContext, credentials_state: Mapping[str, Any]) -> None:
        names = ResourceNames.of(resource.state)
        role = str(credentials_state.get("role", ""))
        if names.login_generation(role) is None:
            raise ValueError("the credentials do not name a login role of this resource")
        with self._cluster.admin() as connection:
            self._drop_member(connection, names, role)

    def repl(self, resource: ResourceContext, command: str, read_only: bool) -> list[dict]:
        """Runs `command` as a throwaway member of the resource's group, never as the admin,
        in a child process (`console_process`)."""
        names = ResourceNames.of(resource.state)
        with self._admin_for(names) as connection:
            role, password = admin.create_console_role(connection, names)
            try:
                return console_process.run(
                    self._cluster.member_conninfo(names.database, role, password),
                    command,
                    read_only,
                    self.console_statement_timeout,
                )
            finally:
                self._drop_member(connection, names, role)

    def usage(self, resource: ResourceContext) -> list[UsageReading]:
        names = ResourceNames.of(resource.state)
        with self._cluster.admin() as connection:
            size = admin.database_size(connection, names)
        if size is None:
            raise DatabaseMissing()
        megabytes = round(size / BYTES_PER_MB, 3)
        return [
            UsageReading(
                name="Database size",
                type="total",
                units="MB",
                day_value=megabytes,
                period_value=megabytes,
            )
        ]

    def _new_login(self, connection: psycopg.Connection, names: ResourceNames) -> Credentials:
        role, password = admin.create_login_role(connection, names)
        return login_credentials(self._endpoint, names.database, role, password)

    @contextlib.contextmanager
    def _admin_for(self, names: ResourceNames) -> Iterator[psycopg.Connection]:
        """An admin connection in the admin's database, for a resource whose database exists."""
        with self._cluster.admin() as connection:
            if not has_database(connection, names.database):
                raise DatabaseMissing()
            yield connection

    def _drop_member(self, connection: psycopg.Connection, names: ResourceNames, role: str) -> None:
        """Drops a login or console role; `connection` is an admin's, in the admin's database."""
        if not admin.retire_member_role(connection, names, role):
            return
        # Nothing can be owned in a database that is gone: then only the role is left.
        with contextlib.suppress(DatabaseMissing), self._cluster.admin(names.database) as inside:
            admin.hand_over_owned(inside, names, role)
        admin.drop_member_role(connection, role)

    def _drop(self, names: ResourceNames) -> None:
        with self._cluster.admin() as connection:
            admin.drop_resource(connection, names)
