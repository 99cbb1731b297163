"""Rotating an installation's Vercel access token (§2.2, §7.27): V18, store, then V19.

The order keeps a working token at every step. Rotate Credential (V18) mints a new token
while the old one stays valid; the new token is stored (encrypted) and committed before
anything else; only then is the old one revoked (V19), authenticated by the new. If the
revoke fails, the installation already works with the new token and a job tries the revoke
again. The old token stays encrypted in `SupersededCredential` until it is revoked, then it
is erased.

Unlike request-path services each step here is a unit of work of its own: it must be
durable before the next call to Vercel.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from flask import current_app

from partner_api.extensions import db
from partner_api.installations.credential_models import SupersededCredential
from partner_api.installations.models import Installation
from partner_api.jobs import PermanentFailure, enqueue, job_handler
from partner_api.timeutil import utcnow
from partner_api.unit_of_work import unit_of_work
from partner_api.vercel.errors import VercelError
from partner_api.vercel.factory import client_for
from partner_api.vercel.outcomes import Outcome, outcome_of

REVOKE_CREDENTIAL = "installations.revoke_credential"


class RotationFailed(Exception):
    """No new token: the installation keeps the one it had. Never carries a token."""


class NotRevoked(VercelError):
    """Vercel answered the revoke without retiring the token."""


@dataclass(frozen=True)
class Rotation:
    """A rotation's outcome: the new token is in use; `revoked` says if the old one is gone."""

    superseded_id: int
    revoked: bool
    problem: str | None = None


def _integration() -> dict[str, str]:
    config = current_app.config
    return {
        "client_secret": config["INTEGRATION_CLIENT_SECRET"],
        "client_id": config["INTEGRATION_CLIENT_ID"],
    }


def revoke(credential: SupersededCredential) -> None:
    """V19 for a superseded token, authenticated by the installation's current one."""
    installation_id = credential.installation_id
    result = client_for(installation_id).revoke_credential(
        installation_id, token=credential.token, **_integration()
    )
    if not (result.revoked or result.already_revoked):
        raise NotRevoked(f"Vercel did not revoke the superseded token {credential.id}")
    credential.revoked_at = utcnow()
    credential.token = None


def _store_new_token(
    installation: Installation, token: str, token_type: str
) -> SupersededCredential:
    now = utcnow()
    superseded = SupersededCredential(
        installation_id=installation.id,
        token=installation.access_token,
        token_type=installation.token_type,
        superseded_at=now,
    )
    db.session.add(superseded)
    installation.access_token = token
    installation.token_type = token_type
    installation.updated_at = now
    return superseded


def rotate_access_token(installation_id: str) -> Rotation:
    """Replace the installation's access token, then revoke the old one (or have a job do it)."""
    installation = db.session.get(Installation, installation_id)
    if installation is None or installation.finalized_at is not None:
        raise RotationFailed(f"installation {installation_id} is unknown or finalized")
    try:
        rotated = client_for(installation_id).rotate_credentials(installation_id, **_integration())
    except VercelError as error:
        raise RotationFailed(f"Vercel did not rotate the token: {error}") from error
    with unit_of_work():
        superseded = _store_new_token(installation, rotated.access_token, rotated.token_type)
    try:
        with unit_of_work():
            revoke(superseded)
    except VercelError as error:  # rolled back by the unit of work
        with unit_of_work():
            enqueue(
                REVOKE_CREDENTIAL,
                {"credential": superseded.id},
                dedupe_key=f"{REVOKE_CREDENTIAL}:{superseded.id}",
            )
        return Rotation(superseded.id, revoked=False, problem=str(error))
    return Rotation(superseded.id, revoked=True)


@job_handler(REVOKE_CREDENTIAL)
def revoke_superseded(payload: dict[str, Any]) -> None:
    credential = db.session.get(SupersededCredential, payload.get("credential"))
    if credential is None or credential.revoked_at is not None:
        return
    installation = db.session.get(Installation, credential.installation_id)
    if installation.finalized_at is not None:
        # Finalization retired every token of the installation: nothing left to revoke.
        credential.revoked_at, credential.token = installation.finalized_at, None
        return
    try:
        revoke(credential)
    except VercelError as error:
        # Unlike other deliveries, a 410 while the installation is live is retried.
        outcome = outcome_of(error, uninstalled=installation.is_deleted, gone_anytime=())
        if outcome is Outcome.GONE:
            credential.revoked_at, credential.token = utcnow(), None
        elif outcome is Outcome.REJECTED:
            raise PermanentFailure(str(error)) from error
        else:
            raise
