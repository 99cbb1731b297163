from __future__ import annotations

from marshmallow import fields, validate

from partner_api.installations.models import Installation
from partner_api.schemas import RequestSchema


class CredentialsSchema(RequestSchema):
    access_token = fields.String(required=True, validate=validate.Length(min=1))
    token_type = fields.String(
        required=True, validate=validate.Length(min=1, max=Installation.token_type.type.length)
    )


class ContactSchema(RequestSchema):
    email = fields.String(required=True)
    name = fields.String()


class AccountSchema(RequestSchema):
    name = fields.String()
    url = fields.String(required=True)
    contact = fields.Nested(ContactSchema, allow_none=True)


class UpsertInstallationSchema(RequestSchema):
    scopes = fields.List(fields.String(), required=True)
    acceptedPolicies = fields.Dict(keys=fields.String(), values=fields.String(), required=True)
    credentials = fields.Nested(CredentialsSchema, required=True)
    # Required by the docs; Vercel's example omits it, so its absence is tolerated (§8 D2).
    account = fields.Nested(AccountSchema)


class UpdateInstallationSchema(RequestSchema):
    billingPlanId = fields.String(validate=validate.Length(min=1))


class DeleteInstallationSchema(RequestSchema):
    cascadeResourceDeletion = fields.Boolean()
    reason = fields.String()


class DeleteInstallationResultSchema(RequestSchema):
    finalized = fields.Boolean(required=True)
