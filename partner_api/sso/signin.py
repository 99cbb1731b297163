"""Sign-in through Vercel's Redirect Login URL (§2.4): code → `id_token` → verified claims.

On `state`: Vercel starts this flow (from its dashboard, an `sso:` link or the
provider-initiated URL, §2.4.5) and generates `state` itself, so there is no value of ours
to compare it with. "Checking" it means handing it back in the code exchange, where Vercel
matches it with the code it issued. The `code` is one-time; Vercel enforces that, so it is
not stored here.
"""

from __future__ import annotations

import logging

from flask import current_app

from partner_api.auth.claims import USER, Claims
from partner_api.auth.verify import AuthenticationError, TokenVerifier
from partner_api.extensions import db
from partner_api.installations.models import Installation
from partner_api.vercel.errors import VercelApiError, VercelError
from partner_api.vercel.factory import integration_client

log = logging.getLogger(__name__)

UNAVAILABLE = "Vercel could not complete the sign-in. Try again in a moment."


class SignInRefused(Exception):
    """Sign-in failed; `message` is shown to the user and names no token or secret."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


def _id_token(code: str, state: str) -> str:
    config = current_app.config
    try:
        tokens = integration_client().exchange_sso_code(
            code=code,
            state=state,
            client_id=config["INTEGRATION_CLIENT_ID"],
            client_secret=config["INTEGRATION_CLIENT_SECRET"],
        )
    except VercelApiError as error:
        if error.status >= 500:
            log.warning("SSO code exchange answered %s %s", error.status, error.code or "")
            raise SignInRefused(502, UNAVAILABLE) from None
        # Anyone can bring a made-up code: Vercel's refusal is the caller's doing, not ours.
        log.info("SSO code exchange refused: %s %s", error.status, error.code or "")
        raise SignInRefused(
            401, "Vercel did not accept this sign-in link. Open the dashboard from Vercel again."
        ) from None
    except VercelError as error:
        log.warning("SSO code exchange failed: %s", type(error).__name__)
        raise SignInRefused(502, UNAVAILABLE) from None
    return tokens.id_token


def verified_user(code: str, state: str) -> Claims:
    """Exchange `code` (V17), verify the `id_token` like an inbound user token, and check
    that it names an installation we serve."""
    verifier: TokenVerifier = current_app.extensions["token_verifier"]
    try:
        claims = verifier.verify(_id_token(code, state), USER)
    except AuthenticationError as error:
        log.warning("SSO id_token refused: %s", error.code)
        raise SignInRefused(401, "The sign-in could not be verified.") from None
    installation = db.session.get(Installation, claims.installation_id)
    if installation is None or installation.is_deleted:
        log.info("SSO sign-in for unknown or uninstalled installation %s", claims.installation_id)
        raise SignInRefused(403, "This installation is not (or no longer) served here.")
    return claims
