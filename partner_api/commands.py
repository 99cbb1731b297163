"""`flask --app wsgi …` commands: local development helpers and maintenance."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import click
from flask import Flask, current_app
from flask.cli import AppGroup
from sqlalchemy import Column, MetaData, Table, Text, select, update

from partner_api.auth import devkeys
from partner_api.billing.commands import group as billing
from partner_api.billing.invoice_commands import invoices
from partner_api.crypto import secret_box
from partner_api.dbtypes import ENCRYPTED_TYPES
from partner_api.extensions import db
from partner_api.idempotency import service as idempotency
from partner_api.installations.commands import installations
from partner_api.jobs.commands import jobs
from partner_api.providers import operations
from partner_api.unit_of_work import unit_of_work

dev = AppGroup("dev", help="Local development without Vercel.")
maintenance = AppGroup("maintenance", help="Operations on stored data.")


def _instance() -> Path:
    return Path(current_app.instance_path)


@dev.command("keys")
def dev_keys() -> None:
    """Create a local signing key and its JWKS file in the instance folder (kept if present)."""
    private, public = devkeys.write_dev_keys(_instance())
    click.echo(f"signing key: {private}")
    click.echo(f"key set:     {public}")
    if current_app.config.get("VERCEL_JWKS_URL"):
        click.echo(
            "note: VERCEL_JWKS_URL is set, so this server does not trust the local key set; "
            f"unset it or point it at {public.resolve().as_uri()}"
        )


@dev.command("token")
@click.option("--installation", "installation_id", default="icfg_development", show_default=True)
@click.option("--kind", type=click.Choice(["user", "system"]), default="user", show_default=True)
@click.option("--role", type=click.Choice(["ADMIN", "USER"]), default="ADMIN", show_default=True)
@click.option("--no-installation", is_flag=True, help="A system token with no installation.")
@click.option("--ttl", default=3600, show_default=True, help="Seconds until it expires.")
def dev_token(installation_id: str, kind: str, role: str, no_installation: bool, ttl: int) -> None:
    """Print a token signed with the local key, as Vercel would send it."""
    key_path = _instance() / devkeys.SIGNING_KEY_FILENAME
    if not key_path.exists():
        raise click.ClickException("no local signing key: run `flask --app wsgi dev keys` first")
    issuer = current_app.config["VERCEL_OIDC_ISSUER"]
    audience = current_app.config["INTEGRATION_CLIENT_ID"]
    if kind == "user":
        claims = devkeys.user_claims(
            installation_id=installation_id, issuer=issuer, audience=audience, role=role, ttl=ttl
        )
    else:
        claims = devkeys.system_claims(
            installation_id=None if no_installation else installation_id,
            issuer=issuer,
            audience=audience,
            account_id=None if no_installation else devkeys.DEV_ACCOUNT_ID,
            ttl=ttl,
        )
    click.echo(devkeys.sign_token(devkeys.load_signing_key(key_path), claims))


def _ciphertext_view(table: Table) -> tuple[Table, list[str]] | None:
    """The table with its encrypted columns typed as plain text, to move ciphertext as is."""
    encrypted = [c.name for c in table.columns if isinstance(c.type, ENCRYPTED_TYPES)]
    if not encrypted:
        return None
    columns = [
        Column(c.name, Text() if c.name in encrypted else c.type, primary_key=c.primary_key)
        for c in table.columns
        if c.primary_key or c.name in encrypted
    ]
    return Table(table.name, MetaData(), *columns), encrypted


@maintenance.command("reencrypt")
def reencrypt() -> None:
    """Re-encrypt every stored secret with the newest key of ENCRYPTION_KEYS.

    Run after putting a new key first; then the old key can be dropped.
    """
    box = secret_box()
    total = 0
    with unit_of_work():
        for table in db.metadata.sorted_tables:
            view = _ciphertext_view(table)
            if view is None:
                continue
            plain, encrypted = view
            key = list(plain.primary_key.columns)
            for row in db.session.execute(select(plain)).mappings():
                values = {
                    name: box.rotate(row[name]) for name in encrypted if row[name] is not None
                }
                if values:
                    where = [column == row[column.name] for column in key]
                    db.session.execute(update(plain).where(*where).values(**values))
                    total += 1
    click.echo(f"re-encrypted {total} rows")


@maintenance.command("purge-idempotency")
def purge_idempotency() -> None:
    """Delete stored Idempotency-Key responses past the retention window."""
    hours = current_app.config["IDEMPOTENCY_RETENTION_HOURS"]
    with unit_of_work():
        removed = idempotency.purge(timedelta(hours=hours))
    click.echo(f"removed {removed} idempotency records older than {hours} h")


def register(app: Flask) -> None:
    app.cli.add_command(dev)
    app.cli.add_command(maintenance)
    app.cli.add_command(jobs)
    app.cli.add_command(billing)
    app.cli.add_command(invoices)
    app.cli.add_command(installations)
    operations.register_commands(app)
