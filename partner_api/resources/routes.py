"""Partner API routes for resources: thin, one service call each."""

from __future__ import annotations

from typing import Any

from flask import Response
from flask.views import MethodView
from sqlalchemy.engine import Row

from partner_api.auth.guard import current_claims
from partner_api.auth.policy import auth_policy
from partner_api.billing.plans import parse_metadata_query
from partner_api.billing.routes import MetadataQuerySchema
from partner_api.blueprint import PartnerBlueprint
from partner_api.catalog import current_catalog
from partner_api.resources import rotation, service
from partner_api.resources.models import Resource
from partner_api.resources.schemas import (
    AsyncRotationSchema,
    ProvisionedResourceSchema,
    ProvisionResourceSchema,
    ReplBlockSchema,
    ReplSchema,
    ResourceListQuerySchema,
    ResourceListSchema,
    ResourceSchema,
    RotateSecretsSchema,
    RotationResultSchema,
    UpdateResourceSchema,
)
from partner_api.schemas import PlansSchema

blp = PartnerBlueprint(
    "resources", __name__, url_prefix="/v1/installations", description="Resources"
)

RESOURCE = "/<string:installation_id>/resources/<string:resource_id>"


def resource_body(resource: Resource | Row) -> dict[str, Any]:
    """§3.2.5; `billingPlan` is the full plan of the catalog."""
    body: dict[str, Any] = {
        "id": resource.id,
        "productId": resource.product_slug,
        "name": resource.name,
        "metadata": resource.resource_metadata,
        "status": resource.status.value,
        "notification": resource.notification,
    }
    product = current_catalog().product(resource.product_slug)
    plan = product.plan(resource.billing_plan_id) if product else None
    if plan is not None:
        body["billingPlan"] = plan
    if resource.protocol_settings is not None:
        body["protocolSettings"] = resource.protocol_settings
    return body


@blp.route("/<string:installation_id>/resources")
class ResourcesView(MethodView):
    @auth_policy("user", mutation=True)
    @blp.arguments(ProvisionResourceSchema)
    @blp.response(200, ProvisionedResourceSchema)
    @blp.alt_response(400, description="Unknown product or plan, or invalid metadata (`fields`)")
    @blp.alt_response(404, description="Unknown or uninstalled installation")
    @blp.alt_response(409, description="The provider refused to provision")
    def post(self, body: dict, installation_id: str):
        """Provision Resource: create it and hand out its secrets."""
        resource, secrets = service.provision(
            installation_id,
            service.NewResource(
                product_id=body["productId"],
                name=body["name"],
                metadata=body["metadata"],
                billing_plan_id=body["billingPlanId"],
                external_id=body.get("externalId"),
                protocol_settings=body.get("protocolSettings"),
            ),
            current_catalog(),
        )
        return {**resource_body(resource), "secrets": secrets}

    @auth_policy("system", "user")
    @blp.arguments(ResourceListQuerySchema, location="query")
    @blp.response(200, ResourceListSchema)
    @blp.alt_response(404, description="Unknown or uninstalled installation")
    def get(self, query: dict, installation_id: str):
        """List Resources (legacy; `ids` filters)."""
        resources = service.list_resources(installation_id, query.get("ids"))
        return {"resources": [resource_body(resource) for resource in resources]}


@blp.route(RESOURCE)
class ResourceView(MethodView):
    @auth_policy("system", "user")
    @blp.response(200, ResourceSchema)
    @blp.alt_response(404, description="Unknown or deleted resource")
    def get(self, installation_id: str, resource_id: str):
        """Get Resource (without secrets)."""
        return resource_body(service.read(installation_id, resource_id))

    @auth_policy("user", "system", mutation=True)
    @blp.arguments(UpdateResourceSchema)
    @blp.response(200, ResourceSchema)
    @blp.alt_response(400, description="Unknown plan or invalid metadata (`fields`)")
    @blp.alt_response(404, description="Unknown or deleted resource")
    @blp.alt_response(409, description="The provider refused the change")
    def patch(self, body: dict, installation_id: str, resource_id: str):
        """Update Resource: rename, replace metadata, change plan. `status` is ignored."""
        resource = service.update(
            installation_id,
            resource_id,
            service.ResourceChanges(
                name=body.get("name"),
                metadata=body.get("metadata"),
                billing_plan_id=body.get("billingPlanId"),
                protocol_settings=body.get("protocolSettings"),
            ),
            current_catalog(),
        )
        return resource_body(resource)

    @auth_policy("user", "system", mutation=True)
    @blp.response(204)
    @blp.alt_response(404, description="Unknown or uninstalled installation")
    def delete(self, installation_id: str, resource_id: str):
        """Delete Resource; idempotent. The provider deprovisions it in the background."""
        service.delete(installation_id, resource_id)
        return Response(status=204)


@blp.route(f"{RESOURCE}/secrets/rotate")
class RotateSecretsView(MethodView):
    @auth_policy("user", "system", mutation=True)
    @blp.arguments(RotateSecretsSchema, required=False)
    @blp.response(200, RotationResultSchema)
    @blp.alt_response(202, schema=AsyncRotationSchema, description="Rotating in the background")
    @blp.alt_response(400, description="Invalid delay")
    @blp.alt_response(404, description="Unknown or deleted resource")
    @blp.alt_response(409, description="The provider refused to rotate")
    def post(self, body: dict, installation_id: str, resource_id: str):
        """Request Secrets Rotation; old secrets stay valid for the requested delay."""
        outcome = rotation.rotate(
            installation_id,
            resource_id,
            body.get("reason"),
            body.get("delayOldSecretsExpirationHours", 0.0),
        )
        if outcome.secrets is None:
            return {"sync": False}, 202
        return {"sync": True, "secrets": outcome.secrets, "partial": outcome.partial}


@blp.route(f"{RESOURCE}/repl")
class ReplView(MethodView):
    # Not a mutation: a USER may run read-only commands, so the role forces read-only instead.
    @auth_policy("user")
    @blp.arguments(ReplSchema)
    @blp.response(200, ReplBlockSchema(many=True))
    @blp.alt_response(404, description="Unknown or deleted resource")
    @blp.alt_response(409, description="The provider refused the command")
    def post(self, body: dict, installation_id: str, resource_id: str):
        """Resource REPL: run a console command; answers paragraph and table blocks."""
        read_only = body["readOnly"] or not current_claims().is_admin
        return service.run_repl(installation_id, resource_id, body["input"], read_only)


@blp.route(f"{RESOURCE}/plans")
class ResourcePlansView(MethodView):
    @auth_policy("system", "user")
    @blp.arguments(MetadataQuerySchema, location="query")
    @blp.response(200, PlansSchema)
    @blp.alt_response(404, description="Unknown or deleted resource")
    def get(self, query: dict, installation_id: str, resource_id: str):
        """List Billing Plans For Resource (for a plan change)."""
        metadata = parse_metadata_query(query.get("metadata"))
        plans = service.resource_plans(installation_id, resource_id, metadata, current_catalog())
        return {"plans": plans}
