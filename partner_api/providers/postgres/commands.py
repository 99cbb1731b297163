"""`flask --app wsgi postgres-provider …`: the provider's cluster, seen by its operator.

Registered only when the catalog offers the postgres provider (`providers/operations.py`).
"""

from __future__ import annotations

import click
from flask import current_app
from flask.cli import AppGroup

from partner_api.providers.base import ProviderError
from partner_api.providers.postgres import exposure
from partner_api.providers.postgres.cluster import Cluster

group = AppGroup("postgres-provider", help="The postgres provider's cluster.")


@group.command("revoke-public-connect")
@click.option(
    "--database",
    "databases",
    multiple=True,
    metavar="NAME",
    help="Only this database (repeatable); by default every exposed one.",
)
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
def revoke_public_connect(databases: tuple[str, ...], yes: bool) -> None:
    """Stop tenant roles connecting to the cluster's own databases.

    Lists the databases whose CONNECT is granted to PUBLIC and, once confirmed, revokes
    CONNECT and TEMPORARY from PUBLIC on each, after granting what PUBLIC gave to the admin
    role and (on the app's own database) to the role of DATABASE_URL. Exits non-zero if any
    database was left unchanged.
    """
    cluster = Cluster(current_app.config["POSTGRES_PROVIDER_ADMIN_URL"])
    app = exposure.AppLogin.of(current_app.config.get("SQLALCHEMY_DATABASE_URI"))
    try:
        with cluster.admin() as connection:
            exposed = exposure.exposed_databases(connection)
        targets = [name for name in exposed if not databases or name in databases]
        for name in databases:
            if name not in exposed:
                click.echo(f"{name}: CONNECT is not granted to PUBLIC; nothing to do")
        if not targets:
            click.echo("no database to close")
            return
        click.echo(f"CONNECT is granted to PUBLIC on: {', '.join(targets)}")
        if not yes:
            click.confirm("Revoke CONNECT and TEMPORARY from PUBLIC on these?", abort=True)
        failed = 0
        with cluster.admin() as connection:
            for name in targets:
                keep = exposure.kept_roles(connection, name, app)
                closing = exposure.close_database(connection, name, keep)
                click.echo(closing.describe())
                failed += closing.problem is not None
    except ProviderError as error:
        raise click.ClickException(error.message) from None
    if failed:
        raise click.ClickException(f"{failed} of {len(targets)} databases left unchanged")
