"""The partner dashboard: an installation's overview, its resources and its invoices.

Every page needs a signed-in session and shows only the session's installation (another
installation's resource is a 404). Forms are POSTs carrying the session's CSRF token.
"""

from __future__ import annotations

from dataclasses import dataclass

from flask import Blueprint, Response, g, make_response, redirect, render_template, request, url_for

from partner_api.errors import ApiError, NotFound
from partner_api.resources import service
from partner_api.sso import forms, queries, rotation
from partner_api.sso.access import current_user
from partner_api.sso.pages import error_page, serve_html
from partner_api.sso.session import DashboardUser, csrf_valid, end
from partner_api.unit_of_work import unit_of_work

blueprint = Blueprint("dashboard", __name__, url_prefix="/dashboard", template_folder="templates")
serve_html(blueprint)

ROTATION_NOTICES = {
    "done": "New secrets were issued and are on their way to Vercel.",
    "started": "The rotation has started; Vercel receives the new secrets when it completes.",
}


@dataclass(frozen=True)
class ConsoleRun:
    command: str
    blocks: list[dict]
    read_only: bool


@blueprint.before_request
def require_user() -> Response | None:
    user = current_user()
    if user is None:
        end()
        return error_page(
            401,
            "You are not signed in, or your session has ended. Open the dashboard again "
            "from your Vercel team's Integrations page.",
        )
    if request.method == "POST" and not csrf_valid(user, request.form.get("csrf_token")):
        return error_page(403, "The form has expired. Reload the page and try again.")
    g.dashboard_user = user
    return None


def _user() -> DashboardUser:
    return g.dashboard_user


def _page(template: str, **context) -> Response:
    return make_response(render_template(template, user=_user(), **context))


@blueprint.get("", strict_slashes=False)
def overview() -> Response:
    return _page("sso/overview.html", overview=queries.overview(_user().installation_id))


@blueprint.get("/resources/<resource_id>")
def resource(resource_id: str) -> Response:
    return _resource_page(resource_id)


def _resource_page(resource_id: str, console: ConsoleRun | None = None) -> Response:
    return _page(
        "sso/resource.html",
        details=queries.resource_details(_user().installation_id, resource_id),
        console=console,
        rotation_notice=ROTATION_NOTICES.get(request.args.get("rotation", "")),
    )


@blueprint.post("/resources/<resource_id>/rotate")
def rotate(resource_id: str) -> Response:
    with unit_of_work():
        done = rotation.rotate_secrets(_user(), resource_id, forms.delay_hours(request.form))
    notice = "done" if done else "started"
    target = url_for(".resource", resource_id=resource_id, rotation=notice, _anchor="secrets")
    return redirect(target, 303)


@blueprint.post("/resources/<resource_id>/repl")
def repl(resource_id: str) -> Response:
    user = _user()
    command = forms.command(request.form)
    # A USER's console is always read-only (§2.1.6); an ADMIN may ask for one.
    read_only = forms.checked(request.form, "read_only") or not user.is_admin
    try:
        with unit_of_work():
            blocks = service.run_repl(user.installation_id, resource_id, command, read_only)
    except NotFound:
        raise
    except ApiError as refusal:  # the provider's refusal belongs in the console (rolled back)
        blocks = [_paragraph(refusal.message, color="red")]
    return _resource_page(resource_id, ConsoleRun(command, blocks, read_only))


def _paragraph(text: str, **style) -> dict:
    return {"type": "paragraph", "children": [{"type": "text", "text": text, **style}]}


@blueprint.get("/invoices")
def invoices() -> Response:
    return _page("sso/invoices.html", invoices=queries.invoices(_user().installation_id))
