"""`flask --app wsgi installations …`: rotate an access token, change a plan from our side."""

from __future__ import annotations

import click
from flask.cli import AppGroup

from partner_api.billing.plan_changes import (
    change_installation_plan_from_partner,
    change_resource_plan_from_partner,
)
from partner_api.catalog import current_catalog
from partner_api.errors import ApiError
from partner_api.installations.credentials import RotationFailed, rotate_access_token
from partner_api.unit_of_work import unit_of_work

installations = AppGroup("installations", help="Installations: access tokens and plans.")


@installations.command("rotate-token")
@click.argument("installation_id")
def rotate_token(installation_id: str) -> None:
    """Replace INSTALLATION_ID's Vercel access token, then revoke the old one."""
    try:
        rotation = rotate_access_token(installation_id)
    except RotationFailed as error:
        raise click.ClickException(str(error)) from None
    if rotation.revoked:
        click.echo(f"{installation_id}: new access token stored; the previous one is revoked")
    else:
        click.echo(
            f"{installation_id}: new access token stored; revoking the previous one failed "
            f"({rotation.problem}), a job will try again"
        )


@installations.command("change-plan")
@click.argument("installation_id")
@click.argument("plan_id")
@click.option("--resource", "resource_id", help="Change this resource's plan instead.")
def change_plan(installation_id: str, plan_id: str, resource_id: str | None) -> None:
    """Put INSTALLATION_ID (or one of its resources) on PLAN_ID and tell Vercel."""
    try:
        with unit_of_work():
            if resource_id:
                change_resource_plan_from_partner(
                    installation_id, resource_id, plan_id, current_catalog()
                )
            else:
                change_installation_plan_from_partner(installation_id, plan_id, current_catalog())
    except ApiError as error:  # rolled back by the unit of work
        reasons = "".join(f"; {field.key}: {field.message}" for field in error.fields)
        raise click.ClickException(error.message + reasons) from None
    click.echo(f"{resource_id or installation_id}: on plan {plan_id}; Vercel will be told")
