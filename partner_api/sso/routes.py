"""The SSO routes: the Redirect Login URL (`/sso/callback`, alias `/callback`), sign-out, and
`/sso/start`, which sends a browser through Vercel's provider-initiated SSO (§2.4.5)."""

from __future__ import annotations

import logging
import re
from urllib.parse import quote, urlencode

from flask import Blueprint, Response, current_app, redirect, render_template, request

from partner_api.errors import NotFound
from partner_api.resources import service
from partner_api.sso import session
from partner_api.sso.pages import error_page, serve_html
from partner_api.sso.redirects import SsoContext, allowed_origins, landing_url
from partner_api.sso.signin import SignInRefused, verified_user

log = logging.getLogger(__name__)

blueprint = Blueprint(
    "sso",
    __name__,
    template_folder="templates",
    static_folder="static",
    static_url_path="/sso/static",
)
serve_html(blueprint)

MAX_PARAMETER_LENGTH = 4096
VERCEL_SSO_URL = "https://vercel.com/sso/integrations/{slug}/{installation_id}"
_ID = re.compile(r"[A-Za-z0-9_-]{1,128}")


def _parameter(name: str) -> str:
    value = request.args.get(name, "")
    if not value or len(value) > MAX_PARAMETER_LENGTH:
        raise SignInRefused(400, f"The sign-in link has no valid {name!r}.")
    return value


def _owns_resource(installation_id: str, resource_id: str) -> bool:
    try:
        service.find(installation_id, resource_id)
    except NotFound:
        return False
    return True


@blueprint.get("/sso/callback")
@blueprint.get("/callback")
def callback() -> Response:
    """Vercel's Redirect Login URL: sign the user in, then open the page the link names."""
    try:
        if request.args.get("mode") != "sso":
            raise SignInRefused(400, "This is not a sign-in link (mode=sso is missing).")
        claims = verified_user(_parameter("code"), _parameter("state"))
    except SignInRefused as refusal:
        session.end()
        return error_page(refusal.status, refusal.message)
    session.start(claims)
    log.info(
        "dashboard sign-in: installation %s, user %s, role %s",
        claims.installation_id,
        claims.user_id,
        claims.user_role,
    )
    installation_id = claims.installation_id
    target = landing_url(
        SsoContext.from_query(request.args),
        owns_resource=lambda resource_id: _owns_resource(installation_id, resource_id),
        allowed_origins=allowed_origins(),
    )
    return redirect(target, 302)


@blueprint.get("/sso/start")
def start() -> Response:
    """Send the browser to Vercel, which signs the user in and comes back to the callback."""
    slug = current_app.config.get("VERCEL_INTEGRATION_SLUG")
    if not slug:
        return error_page(404, "Sign-in from here is not set up (VERCEL_INTEGRATION_SLUG).")
    installation_id = request.args.get("installation_id", "")
    resource_id = request.args.get("resource_id")
    if not _ID.fullmatch(installation_id) or (
        resource_id is not None and not _ID.fullmatch(resource_id)
    ):
        return error_page(400, "Name an installation (and optionally a resource) by its id.")
    url = VERCEL_SSO_URL.format(slug=quote(slug, safe=""), installation_id=installation_id)
    if resource_id:
        url += "?" + urlencode({"resource_id": resource_id})
    return redirect(url, 302)


@blueprint.route("/sso/logout", methods=["GET", "POST"])
def logout() -> Response:
    """GET asks to confirm; POST (with the session's CSRF token) signs out."""
    user = session.signed_in_user()
    if request.method == "POST" and user is not None:
        if not session.csrf_valid(user, request.form.get("csrf_token")):
            return error_page(403, "The form has expired. Reload the page and try again.")
        session.end()
        user = None
    return render_template("sso/logout.html", user=user)
