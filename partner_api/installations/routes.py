"""Partner API routes for installations: thin, one service call each."""

from __future__ import annotations

from flask import Response
from flask.views import MethodView

from partner_api.auth.guard import current_claims
from partner_api.auth.policy import auth_policy
from partner_api.blueprint import PartnerBlueprint
from partner_api.catalog import current_catalog
from partner_api.installations import service
from partner_api.installations.schemas import (
    DeleteInstallationResultSchema,
    DeleteInstallationSchema,
    UpdateInstallationSchema,
    UpsertInstallationSchema,
)
from partner_api.schemas import PlanAndNotificationSchema

blp = PartnerBlueprint(
    "installations", __name__, url_prefix="/v1/installations", description="Installations"
)


def plan_and_notification(installation) -> dict:
    body: dict = {"notification": installation.notification}
    plan = service.installation_plan(installation, current_catalog())
    if plan is not None:
        body["billingPlan"] = plan
    return body


@blp.route("/<string:installation_id>")
class InstallationView(MethodView):
    @auth_policy("system", "user")
    @blp.response(200, PlanAndNotificationSchema)
    @blp.alt_response(404, description="Unknown or uninstalled installation")
    def get(self, installation_id: str):
        """Get Installation: its installation-level plan and notification."""
        return plan_and_notification(service.read_live(installation_id))

    @auth_policy("user", mutation=True)
    @blp.arguments(UpsertInstallationSchema)
    @blp.response(200, PlanAndNotificationSchema)
    @blp.alt_response(409, description="The installation was uninstalled")
    def put(self, body: dict, installation_id: str):
        """Upsert Installation: create it or refresh its credentials and account."""
        claims = current_claims()
        installation = service.upsert(
            service.UpsertRequest(
                installation_id=installation_id,
                account_id=claims.account_id,
                user_id=claims.user_id,
                scopes=body["scopes"],
                accepted_policies=body["acceptedPolicies"],
                access_token=body["credentials"]["access_token"],
                token_type=body["credentials"]["token_type"],
                account=body.get("account"),
            ),
            current_catalog(),
        )
        return plan_and_notification(installation)

    @auth_policy("user", mutation=True)
    @blp.arguments(UpdateInstallationSchema)
    @blp.response(200, PlanAndNotificationSchema)
    @blp.alt_response(404, description="Unknown or uninstalled installation")
    @blp.alt_response(409, description="The plan cannot be selected now")
    def patch(self, body: dict, installation_id: str):
        """Update Installation: change the installation-level billing plan."""
        installation = service.change_plan(
            installation_id, body.get("billingPlanId"), current_catalog()
        )
        return plan_and_notification(installation)

    @auth_policy("user", "system", mutation=True)
    @blp.arguments(DeleteInstallationSchema, required=False)
    @blp.response(200, DeleteInstallationResultSchema)
    @blp.alt_response(204, description="The installation was not known")
    def delete(self, body: dict, installation_id: str):
        """Delete Installation: uninstall; `finalized` says whether invoices may follow."""
        finalized = service.uninstall(
            installation_id,
            cascade=body.get("cascadeResourceDeletion"),
            reason=body.get("reason"),
            catalog=current_catalog(),
        )
        if finalized is None:
            return Response(status=204)
        return {"finalized": finalized}
