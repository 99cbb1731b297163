"""Request and response bodies of the resource endpoints (§3.2.4, §3.2.5, §3.4.5–3.4.10)."""

from __future__ import annotations

import marshmallow as ma
from marshmallow import fields, validate

from partner_api.resources.models import Resource, ResourceStatus
from partner_api.schemas import CatalogPlan, IdList, NotificationSchema, RequestSchema

MAX_DELAY_HOURS = 720  # 30 days (§3.4.9)


class ProvisionResourceSchema(RequestSchema):
    productId = fields.String(required=True, validate=validate.Length(min=1))
    name = fields.String(required=True, validate=validate.Length(min=1))
    metadata = fields.Dict(keys=fields.String(), required=True)
    billingPlanId = fields.String(required=True, validate=validate.Length(min=1))
    externalId = fields.String(
        allow_none=True, validate=validate.Length(max=Resource.external_id.type.length)
    )
    protocolSettings = fields.Dict(keys=fields.String(), allow_none=True)


class UpdateResourceSchema(RequestSchema):
    name = fields.String(validate=validate.Length(min=1))
    metadata = fields.Dict(keys=fields.String())
    billingPlanId = fields.String(validate=validate.Length(min=1))
    status = fields.String(
        metadata={"deprecated": True, "description": "Deprecated (§8 D20): accepted, ignored."}
    )
    protocolSettings = fields.Dict(keys=fields.String(), allow_none=True)


class RotateSecretsSchema(RequestSchema):
    reason = fields.String(allow_none=True)
    delayOldSecretsExpirationHours = fields.Float(
        load_default=0.0,
        allow_nan=False,
        validate=validate.Range(min=0, max=MAX_DELAY_HOURS),
        metadata={"description": "Hours the old secrets stay valid; fractions allowed."},
    )


class ReplSchema(RequestSchema):
    input = fields.String(required=True)
    readOnly = fields.Boolean(load_default=False)


class ResourceListQuerySchema(RequestSchema):
    ids = IdList(metadata={"description": "Only these resources"})


class EnvironmentOverridesSchema(ma.Schema):
    development = fields.String()
    preview = fields.String()
    production = fields.String()


class SecretSchema(ma.Schema):
    name = fields.String(required=True)
    value = fields.String(required=True)
    prefix = fields.String()
    environmentOverrides = fields.Nested(EnvironmentOverridesSchema)


class ResourceSchema(ma.Schema):
    id = fields.String(required=True)
    productId = fields.String(required=True)
    name = fields.String(required=True)
    metadata = fields.Dict(required=True)
    status = fields.String(required=True, validate=validate.OneOf(list(ResourceStatus)))
    billingPlan = CatalogPlan()
    notification = fields.Nested(NotificationSchema, allow_none=True)
    protocolSettings = fields.Dict()


class ProvisionedResourceSchema(ResourceSchema):
    secrets = fields.List(fields.Nested(SecretSchema), required=True)


class ResourceListSchema(ma.Schema):
    resources = fields.List(fields.Nested(ResourceSchema), required=True)


class RotationResultSchema(ma.Schema):
    sync = fields.Boolean(required=True)
    secrets = fields.List(fields.Nested(SecretSchema))
    partial = fields.Boolean()


class AsyncRotationSchema(ma.Schema):
    sync = fields.Boolean(required=True, metadata={"example": False})


class TextBlockSchema(ma.Schema):
    type = fields.String(required=True, validate=validate.Equal("text"))
    text = fields.String(required=True)
    color = fields.String()
    bold = fields.Boolean()
    italic = fields.Boolean()
    href = fields.String()


class ReplBlockSchema(ma.Schema):
    """A paragraph (`children`) or a table (`header`?, `rows`)."""

    type = fields.String(required=True, validate=validate.OneOf(["paragraph", "table"]))
    children = fields.List(fields.Nested(TextBlockSchema))
    header = fields.List(fields.Nested(TextBlockSchema))
    rows = fields.List(fields.List(fields.Nested(TextBlockSchema)))
