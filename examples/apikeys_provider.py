"""A worked example of a provider: an API product whose customers get API keys.

The partner already runs an admin API that creates projects and issues keys; this class is
all it takes to sell that product on the Vercel Marketplace with partner-api. Point a
catalog product at it with `"provider": "examples.apikeys_provider:ApiKeysProvider"` and set
`ACME_ADMIN_URL` and `ACME_ADMIN_TOKEN`.

The admin API it talks to (the partner's own, not Vercel's):
    POST   /projects                    {"name", "plan"}  -> {"id"}
    PATCH  /projects/{id}               {"plan"}
    DELETE /projects/{id}
    POST   /projects/{id}/keys                            -> {"id", "secret"}
    DELETE /projects/{id}/keys/{key_id}
    GET    /projects/{id}/usage                           -> {"requests_today", "requests_period"}
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any

import requests

from partner_api.providers.base import (
    Credentials,
    ProviderError,
    Provisioned,
    ProvisioningStatus,
    ResourceContext,
    Rotation,
    Secret,
    UsageReading,
)


class ApiKeysProvider:
    def __init__(self, admin_url: str | None = None, admin_token: str | None = None) -> None:
        self.admin_url = (admin_url or os.environ["ACME_ADMIN_URL"]).rstrip("/")
        self.session = requests.Session()
        self.session.headers["Authorization"] = (
            f"Bearer {admin_token or os.environ['ACME_ADMIN_TOKEN']}"
        )

    def _call(self, method: str, path: str, **kwargs: Any) -> dict[str, Any]:
        try:
            response = self.session.request(method, self.admin_url + path, timeout=10, **kwargs)
        except requests.RequestException:
            raise ProviderError("The API service is unreachable.", status=503,
                                code="provider_unavailable") from None
        if response.status_code == 404 and method == "DELETE":
            return {}  # already gone: deleting twice is fine
        if response.status_code == 402:
            raise ProviderError("The plan's project limit is reached.", code="plan_limit")
        response.raise_for_status()
        return response.json() if response.content else {}

    def _new_key(self, project_id: str) -> Credentials:
        key = self._call("POST", f"/projects/{project_id}/keys")
        return Credentials(
            secrets=[
                Secret("ACME_API_KEY", key["secret"]),
                Secret("ACME_PROJECT_ID", project_id),
            ],
            state={"key_id": key["id"]},  # what `revoke` needs to retire exactly this key
        )

    def provision(self, resource: ResourceContext) -> Provisioned:
        project = self._call(
            "POST", "/projects", json={"name": resource.name, "plan": resource.billing_plan_id}
        )
        return Provisioned(credentials=self._new_key(project["id"]),
                           state={"project_id": project["id"]})

    def finish_provisioning(self, resource: ResourceContext) -> ProvisioningStatus:
        return "ready"  # provision is synchronous here

    def update(self, resource: ResourceContext, previous: ResourceContext) -> Mapping[str, Any]:
        if resource.billing_plan_id != previous.billing_plan_id:
            self._call("PATCH", f"/projects/{resource.state['project_id']}",
                       json={"plan": resource.billing_plan_id})
        return resource.state

    def deprovision(self, resource: ResourceContext) -> None:
        self._call("DELETE", f"/projects/{resource.state['project_id']}")

    def rotate_secrets(self, resource: ResourceContext, reason: str | None) -> Rotation:
        # Only the key changes; the project id stays: a partial rotation.
        return Rotation(self.finish_rotation(resource), partial=True)

    def finish_rotation(self, resource: ResourceContext) -> Credentials:
        fresh = self._new_key(resource.state["project_id"])
        return Credentials(secrets=[fresh.secrets[0]], state=fresh.state)

    def revoke(self, resource: ResourceContext, credentials_state: Mapping[str, Any]) -> None:
        project_id = resource.state["project_id"]
        self._call("DELETE", f"/projects/{project_id}/keys/{credentials_state['key_id']}")

    def repl(self, resource: ResourceContext, command: str, read_only: bool) -> list[dict]:
        text = "This product has no console; see the dashboard for usage."
        return [{"type": "paragraph", "children": [{"type": "text", "text": text}]}]

    def usage(self, resource: ResourceContext) -> list[UsageReading]:
        counts = self._call("GET", f"/projects/{resource.state['project_id']}/usage")
        return [
            UsageReading(name="Requests", type="interval", units="requests",
                         day_value=counts["requests_today"],
                         period_value=counts["requests_period"]),
        ]
