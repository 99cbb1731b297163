"""Bodies of the transfer endpoints (§3.4.15–3.4.17)."""

from __future__ import annotations

from datetime import UTC, datetime

import marshmallow as ma
from marshmallow import fields, validate

from partner_api.schemas import IdList, RequestSchema
from partner_api.timeutil import utcnow


class EpochMilliseconds(fields.Number):
    """A JSON number of milliseconds since the epoch (§0.3), loaded as an aware UTC datetime."""

    num_type = float

    def _deserialize(self, value, attr, data, **kwargs) -> datetime:
        milliseconds = super()._deserialize(value, attr, data, **kwargs)
        try:
            return datetime.fromtimestamp(milliseconds / 1000, UTC)
        except (OverflowError, OSError, ValueError):
            raise ma.ValidationError("Not a representable point in time.") from None


def _in_the_future(moment: datetime) -> None:
    if moment <= utcnow():
        raise ma.ValidationError("Must be in the future.")


class CreateTransferSchema(RequestSchema):
    resourceIds = IdList(fields.String(validate=validate.Length(min=1)), min_items=1, required=True)
    expiresAt = EpochMilliseconds(
        required=True,
        validate=_in_the_future,
        metadata={"description": "Epoch milliseconds after which the claim cannot be used."},
    )


class TransferCreatedSchema(ma.Schema):
    providerClaimId = fields.String(required=True)


class TransferVerifiedSchema(ma.Schema):
    valid = fields.Boolean(required=True)
