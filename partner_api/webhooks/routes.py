"""`POST /webhooks/vercel`: Vercel's signed deliveries (§5). No bearer token: the signature
over the raw body is the authentication."""

from __future__ import annotations

from flask import Blueprint, current_app, jsonify, request

from partner_api.errors import Forbidden, Unauthorized
from partner_api.unit_of_work import unit_of_work
from partner_api.webhooks import receiver, signature

blueprint = Blueprint("webhooks", __name__)


@blueprint.post("/webhooks/vercel", strict_slashes=False)
def receive():
    """Verify, store once, answer at once; a job does the work (Vercel waits only 30 s)."""
    body = request.get_data(cache=True)  # the exact bytes that were signed, before any parsing
    header = request.headers.get(signature.HEADER)
    if not header:
        raise Unauthorized("The x-vercel-signature header is missing.", code="missing_signature")
    if not signature.is_valid(body, header, current_app.config["INTEGRATION_CLIENT_SECRET"]):
        raise Forbidden("The webhook signature does not match.", code="invalid_signature")
    document = receiver.parse(body)
    with unit_of_work():
        stored = receiver.store(document)
    return jsonify(received=True, duplicate=not stored)
