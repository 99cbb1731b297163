"""`integration-configuration.*`: the installation itself changed on Vercel's side (§5.2)."""

from __future__ import annotations

from partner_api.catalog import current_catalog
from partner_api.extensions import db
from partner_api.installations import service as installations
from partner_api.timeutil import utcnow
from partner_api.webhooks.events import Event, MalformedEvent, handles, lookup, text

REMOVED_REASON = "configuration-removed"


@handles("integration-configuration.removed")
def configuration_removed(event: Event) -> str | None:
    """Uninstall, as Delete Installation would; usually that call came first (§F8)."""
    installation = event.installation
    if installation.is_deleted:
        return "already uninstalled"
    installations.uninstall(
        installation.id,
        cascade=installation.cascade_resource_deletion,
        reason=REMOVED_REASON,
        catalog=current_catalog(),
    )
    return None


@handles("integration-configuration.transferred")
def configuration_transferred(event: Event) -> str | None:
    """The installation moved to another Vercel account: re-key its owner."""
    account_id = text(event.payload, "newAccountId", required=False)
    if account_id is None:
        return "no new account id"
    event.installation.account_id = account_id
    event.installation.updated_at = utcnow()
    db.session.flush()
    return None


@handles("integration-configuration.scope-change-confirmed")
def scope_change_confirmed(event: Event) -> str | None:
    scopes = lookup(event.payload, "configuration", "scopes")
    if not isinstance(scopes, list) or not all(isinstance(scope, str) for scope in scopes):
        raise MalformedEvent("configuration.scopes must be a list of strings")
    event.installation.scopes = list(scopes)
    event.installation.updated_at = utcnow()
    db.session.flush()
    return None
