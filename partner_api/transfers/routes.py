"""Partner API routes for resource transfer requests: thin, one service call each.

Create names the *source* installation in the path; verify and accept name the *target*
(the guard binds their token to the target or to the claim's source, §2.1.4 step 6).
"""

from __future__ import annotations

from flask import Response
from flask.views import MethodView

from partner_api.auth.policy import Binding, auth_policy
from partner_api.blueprint import PartnerBlueprint
from partner_api.transfers import service
from partner_api.transfers.schemas import (
    CreateTransferSchema,
    TransferCreatedSchema,
    TransferVerifiedSchema,
)

blp = PartnerBlueprint(
    "transfers",
    __name__,
    url_prefix="/v1/installations",
    description="Resource transfer requests (claims)",
)

TRANSFERS = "/<string:installation_id>/resource-transfer-requests"
CLAIM = f"{TRANSFERS}/<string:provider_claim_id>"


@blp.route(TRANSFERS)
class TransferRequestsView(MethodView):
    @auth_policy("system", mutation=True)
    @blp.arguments(CreateTransferSchema)
    @blp.response(200, TransferCreatedSchema)
    @blp.alt_response(400, description="Invalid body: no resources, or `expiresAt` not ahead")
    @blp.alt_response(404, description="Unknown or uninstalled installation")
    @blp.alt_response(409, description="A resource is already in another open transfer request")
    @blp.alt_response(422, description="A resource is unknown, deleted or not this installation's")
    def post(self, body: dict, installation_id: str):
        """Create Resources Transfer Request: offer resources of this (source) installation."""
        claim = service.create(installation_id, body["resourceIds"], body["expiresAt"])
        return {"providerClaimId": claim.provider_claim_id}


def _verify(installation_id: str, provider_claim_id: str) -> dict:
    service.verify(installation_id, provider_claim_id)
    return {"valid": True}


@blp.route(f"{CLAIM}/verify")
class VerifyTransferView(MethodView):
    @auth_policy("system", mutation=True, binding=Binding.TARGET)
    @blp.response(200, TransferVerifiedSchema)
    @blp.alt_response(404, description="Unknown transfer request, or unknown target installation")
    @blp.alt_response(409, description="The transfer request expired or was accepted")
    @blp.alt_response(422, description="The target is the source, or the resources changed")
    def get(self, installation_id: str, provider_claim_id: str):
        """Verify Resources Transfer Request for this (target) installation."""
        return _verify(installation_id, provider_claim_id)

    @auth_policy("system", mutation=True, binding=Binding.TARGET)
    @blp.response(200, TransferVerifiedSchema)
    @blp.alt_response(404, description="Unknown transfer request, or unknown target installation")
    @blp.alt_response(409, description="The transfer request expired or was accepted")
    @blp.alt_response(422, description="The target is the source, or the resources changed")
    def post(self, installation_id: str, provider_claim_id: str):
        """Verify, as the example integration calls it (POST)."""
        return _verify(installation_id, provider_claim_id)


@blp.route(f"{CLAIM}/accept")
class AcceptTransferView(MethodView):
    @auth_policy("system", mutation=True, binding=Binding.TARGET)
    @blp.response(204)
    @blp.alt_response(404, description="Unknown transfer request, or unknown target installation")
    @blp.alt_response(
        409, description="Not verified by this installation, expired, or accepted by another"
    )
    @blp.alt_response(422, description="The resources changed since the request was made")
    def post(self, installation_id: str, provider_claim_id: str):
        """Accept Resources Transfer Request: the resources move to this (target) installation.

        A body, if any, is ignored; a repeat by the installation that won answers 204 again.
        """
        service.accept(installation_id, provider_claim_id)
        return Response(status=204)
