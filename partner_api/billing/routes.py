"""Plan listings of the Partner API."""

from __future__ import annotations

import marshmallow as ma
from flask.views import MethodView

from partner_api.auth.policy import Binding, auth_policy
from partner_api.billing import plans
from partner_api.blueprint import PartnerBlueprint
from partner_api.catalog import current_catalog
from partner_api.installations import service as installations
from partner_api.schemas import PlansSchema

blp = PartnerBlueprint("plans", __name__, url_prefix="/v1", description="Billing plans")


class MetadataQuerySchema(ma.Schema):
    class Meta:
        unknown = ma.EXCLUDE

    metadata = ma.fields.String(
        metadata={"description": "JSON of the metadata form's current values; may be partial"}
    )


@blp.route("/products/<string:product_slug>/plans")
class ProductPlansView(MethodView):
    @auth_policy("system", "user", binding=Binding.NONE)
    @blp.arguments(MetadataQuerySchema, location="query")
    @blp.response(200, PlansSchema)
    @blp.alt_response(404, description="Unknown product")
    def get(self, query: dict, product_slug: str):
        """List Billing Plans For Product (may come before any installation exists)."""
        metadata = plans.parse_metadata_query(query.get("metadata"))
        return {"plans": plans.product_plans(current_catalog(), product_slug, metadata)}


@blp.route("/installations/<string:installation_id>/plans")
class InstallationPlansView(MethodView):
    @auth_policy("system", "user")
    @blp.response(200, PlansSchema)
    @blp.alt_response(404, description="Unknown or uninstalled installation")
    def get(self, installation_id: str):
        """List Billing Plans For Installation (installation-level plans)."""
        installations.read_live(installation_id)
        return {"plans": plans.installation_plans(current_catalog())}
