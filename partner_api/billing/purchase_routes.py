"""Provision Purchase (§3.4.14): Vercel reports a paid credit purchase."""

from __future__ import annotations

import marshmallow as ma
from flask.views import MethodView
from marshmallow import fields, validate

from partner_api.auth.policy import auth_policy
from partner_api.billing import purchase
from partner_api.blueprint import PartnerBlueprint
from partner_api.catalog import current_catalog
from partner_api.schemas import RequestSchema
from partner_api.timeutil import isoformat, utcnow
from partner_api.vercel.client import DOT_SEGMENTS

blp = PartnerBlueprint(
    "purchases", __name__, url_prefix="/v1/installations", description="Prepayment purchases"
)


class ProvisionPurchaseSchema(RequestSchema):
    invoiceId = fields.String(
        required=True,
        validate=[
            validate.Length(min=1, max=128),
            # A dot segment would name another endpoint of Vercel's, not an invoice.
            validate.NoneOf(DOT_SEGMENTS, error="Not an invoice id."),
        ],
    )


class BalanceSchema(ma.Schema):
    currencyValueInCents = fields.Integer(required=True)
    credit = fields.String()
    nameLabel = fields.String()
    resourceId = fields.String()


class BalancesSchema(ma.Schema):
    timestamp = fields.String(required=True, metadata={"format": "date-time"})
    balances = fields.List(fields.Nested(BalanceSchema), required=True)


@blp.route("/<string:installation_id>/billing/provision")
class ProvisionPurchaseView(MethodView):
    @auth_policy("user", "system", mutation=True)
    @blp.arguments(ProvisionPurchaseSchema)
    @blp.response(200, BalancesSchema)
    @blp.alt_response(404, description="Unknown or uninstalled installation")
    @blp.alt_response(409, description="The invoice was credited to another installation")
    @blp.alt_response(422, description="The invoice is unknown, not paid or not a purchase")
    @blp.alt_response(503, description="Vercel could not be asked about the invoice")
    def post(self, body: dict, installation_id: str):
        """Provision Purchase: credit the prepayment a paid invoice bought (once per invoice)."""
        balances = purchase.provision_purchase(
            installation_id, body["invoiceId"], current_catalog()
        )
        return {"timestamp": isoformat(utcnow()), "balances": [b.to_json() for b in balances]}
