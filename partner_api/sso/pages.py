"""HTML answers of the SSO routes and the dashboard: security headers and error pages.

The pages carry no script at all (secrets are revealed with `<details>`), so the policy
forbids every script; styles come from this server's one stylesheet.
"""

from __future__ import annotations

import logging

from flask import Blueprint, Response, make_response, render_template
from werkzeug.exceptions import HTTPException, InternalServerError

from partner_api.errors import ApiError
from partner_api.extensions import db

log = logging.getLogger(__name__)

CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'self'",
        "script-src 'none'",
        "style-src 'self'",
        "img-src 'self'",
        "object-src 'none'",
        "base-uri 'none'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
)
SECURITY_HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "Cache-Control": "no-store",
}


def add_security_headers(response: Response) -> Response:
    response.headers.update(SECURITY_HEADERS)
    return response


def error_page(status: int, message: str) -> Response:
    """A plain page with the status and a message for people (never a trace)."""
    return make_response(render_template("sso/error.html", status=status, message=message), status)


def _api_error(error: ApiError) -> Response:
    db.session.rollback()
    return error_page(error.status, error.message)


def _http_error(error: HTTPException) -> Response:
    db.session.rollback()
    if isinstance(error, InternalServerError):
        original = getattr(error, "original_exception", None)
        if original is not None:
            log.error("dashboard error", exc_info=original)
        return error_page(500, "Something went wrong on our side. Please try again.")
    return error_page(error.code or 500, error.description or error.name)


def serve_html(blueprint: Blueprint) -> None:
    """Give a blueprint's answers the security headers, and its errors HTML pages."""
    blueprint.after_request(add_security_headers)
    blueprint.register_error_handler(ApiError, _api_error)
    blueprint.register_error_handler(HTTPException, _http_error)
