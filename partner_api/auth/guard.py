"""The one place Partner API requests are authenticated and authorized (§2.1.4).

Runs before every view of a Partner API blueprint: bearer token → signature and claims
(`TokenVerifier`) → auth kind allowed by the endpoint's policy → installation binding →
`ADMIN` for mutations made with a user token. The verified claims land in `g.claims`.
"""

from __future__ import annotations

import logging
from pathlib import Path

from flask import Flask, current_app, g, request

from partner_api.auth import devkeys
from partner_api.auth.claims import Claims
from partner_api.auth.jwks import JwksCache
from partner_api.auth.policy import Binding, Policy, policy_of
from partner_api.auth.verify import AuthenticationError, TokenVerifier
from partner_api.errors import Forbidden, ServiceUnavailable, Unauthorized
from partner_api.transfers.lookup import source_installation

log = logging.getLogger(__name__)

KEYS_UNAVAILABLE = "jwks_unavailable"


def jwks_url(app: Flask) -> str:
    """The configured key set, or the local one `flask dev keys` writes (development)."""
    configured = app.config.get("VERCEL_JWKS_URL")
    if configured:
        return configured
    return (Path(app.instance_path) / devkeys.JWKS_FILENAME).resolve().as_uri()


def init_app(app: Flask) -> None:
    jwks = JwksCache(jwks_url(app))
    app.extensions["jwks"] = jwks
    app.extensions["token_verifier"] = TokenVerifier(
        jwks,
        issuer=app.config["VERCEL_OIDC_ISSUER"],
        audience=app.config["INTEGRATION_CLIENT_ID"],
        leeway=app.config["JWT_LEEWAY_SECONDS"],
    )


def signing_keys_available() -> bool:
    """Whether tokens can be verified: the key set is cached, or can be fetched now."""
    return current_app.extensions["jwks"].has_keys()


def current_claims() -> Claims:
    return g.claims


def current_policy() -> Policy | None:
    """The policy the guard enforced on this request (None before the guard ran)."""
    return g.get("auth_policy")


def _bearer_token() -> str:
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise Unauthorized("A bearer token is required.", code="missing_token")
    return token.strip()


def _current_policy() -> Policy:
    view = current_app.view_functions.get(request.endpoint or "")
    policy = policy_of(view, request.method) if view else None
    if policy is None:
        # Fail closed: a Partner API route without a declared policy is a programming error.
        log.error("no auth policy declared for endpoint %s", request.endpoint)
        raise Forbidden("This endpoint is not available.")
    return policy


def _mismatch() -> Forbidden:
    return Forbidden("The token was issued for another installation.", code="installation_mismatch")


def _check_target_binding(claims: Claims, target_installation: str | None) -> None:
    """Transfer verify/accept name the claim's *target* in the path (§3.4.16, §7.1).

    Vercel's token may carry the target or the claim's source; a token of any other
    installation is refused. A system token may carry no installation at all (§2.1.3):
    nothing to compare then, so it is logged and let through.
    """
    token_installation = claims.installation_id
    if token_installation == target_installation:
        return
    if token_installation is None:
        log.info("transfer call to target %s: the token names no installation", target_installation)
        return
    claim_id = (request.view_args or {}).get("provider_claim_id", "")
    if token_installation != source_installation(claim_id):
        raise _mismatch()
    log.info("transfer call to target %s made with the source's token", target_installation)


def _check_binding(policy: Policy, claims: Claims) -> None:
    if policy.binding is Binding.NONE:
        return
    path_installation = (request.view_args or {}).get("installation_id")
    if policy.binding is Binding.TARGET:
        _check_target_binding(claims, path_installation)
    elif claims.installation_id != path_installation:
        raise _mismatch()


def authenticate() -> None:
    """`before_request` hook of the Partner API blueprints."""
    if request.method == "OPTIONS":
        return
    policy = _current_policy()
    verifier: TokenVerifier = current_app.extensions["token_verifier"]
    try:
        claims = verifier.verify(
            _bearer_token(),
            request.headers.get("X-Vercel-Auth"),
            require_account=policy.require_account,
        )
    except AuthenticationError as error:
        if error.code == KEYS_UNAVAILABLE:
            # Our problem, not the caller's: no key set was ever loaded.
            raise ServiceUnavailable(error.message, code=error.code) from None
        raise Unauthorized(error.message, code=error.code) from None
    if claims.kind not in policy.kinds:
        raise Forbidden(
            f"This endpoint does not accept {claims.kind} authentication.",
            code="auth_kind_not_allowed",
        )
    _check_binding(policy, claims)
    if policy.mutation and claims.is_user and not claims.is_admin:
        raise Forbidden(
            "This operation requires the ADMIN role.",
            code="forbidden_role",
            user_message="Only team members with the Admin role can make this change.",
        )
    g.claims = claims
    g.auth_policy = policy
