"""What the generated requests run against, made through the API, and how they are signed.

The world holds an installation with a resource, a transfer request for a second resource
that a target installation has verified, and a Vercel that knows one paid invoice. Values
the fuzzer drew as `SEEDED` are swapped for these objects' ids, so generated requests reach
past "not found" as well as into it.
"""

from __future__ import annotations

import json
import re
import time
import uuid
from dataclasses import dataclass
from typing import Any

import responses
from flask import Flask
from schemathesis import Case

from partner_api.auth.policy import Binding, Policy, policy_of
from tests.billing.test_purchase import invoice
from tests.conftest import INSTALLATION_ID, Vercel, upsert_body
from tests.resources.conftest import provision_body

SEEDED = "seeded-object"
PAID_INVOICE_ID = "inv_fuzz_paid"
TARGET_ID = "icfg_fuzztarget000000000001"
MUTATING_METHODS = {"POST", "PUT", "PATCH", "DELETE"}
HOUR_MS = 3_600_000


def in_an_hour_ms() -> float:
    return time.time() * 1000 + HOUR_MS


def stub_vercel(mock: responses.RequestsMock, api_url: str) -> None:
    """Vercel answers invoice reads only: the seeded invoice is paid, any other is unknown.

    Any other call gets no answer, so a request that reaches elsewhere shows up as a 503.
    """
    invoices = re.compile(rf"{re.escape(api_url)}/v1/installations/[^/]+/billing/invoices/[^/]+")

    def answer(request) -> tuple[int, dict, str]:
        if request.path_url.endswith(f"/{PAID_INVOICE_ID}"):
            return 200, {}, json.dumps(invoice(invoiceId=PAID_INVOICE_ID))
        return 404, {}, json.dumps({"error": {"code": "not_found", "message": "No invoice."}})

    mock.add_callback(responses.GET, invoices, callback=answer)


@dataclass
class World:
    app: Flask
    client: Any
    vercel: Vercel
    resource_id: str = ""
    claim_id: str = ""

    def seed(self) -> World:
        for installation_id in (INSTALLATION_ID, TARGET_ID):
            self._call("PUT", f"/v1/installations/{installation_id}", upsert_body())
        resources = f"/v1/installations/{INSTALLATION_ID}/resources"
        self.resource_id = self._call("POST", resources, provision_body())["id"]
        offered = self._call("POST", resources, provision_body(name="offered"))["id"]
        self.claim_id = self._call(
            "POST",
            f"/v1/installations/{INSTALLATION_ID}/resource-transfer-requests",
            {"resourceIds": [offered], "expiresAt": in_an_hour_ms()},
            system=True,
        )["providerClaimId"]
        self._call(
            "POST",
            f"/v1/installations/{TARGET_ID}/resource-transfer-requests/{self.claim_id}/verify",
            system=True,
        )
        return self

    def bind(self, case: Case) -> None:
        """Point the case at the seeded objects and sign it as the operation's policy asks."""
        policy = self._policy(case.operation.method, case.operation.path)
        installation_id = TARGET_ID if policy.binding is Binding.TARGET else INSTALLATION_ID
        parameters = case.path_parameters or {}
        if "installation_id" in parameters:
            parameters["installation_id"] = installation_id
        seeded = {"resource_id": self.resource_id, "provider_claim_id": self.claim_id}
        for name, value in seeded.items():
            if parameters.get(name) == SEEDED:
                parameters[name] = value
        if isinstance(case.body, dict) and case.body.get("resourceIds") == [SEEDED]:
            case.body["resourceIds"] = [self.resource_id]
        headers = self._headers(case.method, policy, installation_id)
        case.headers = {**(case.headers or {}), **headers}

    def call_for(self, method: str, path: str) -> tuple[str, dict[str, str]]:
        """The URL of an operation (`path` as the OpenAPI document names it) on the seeded
        objects, and headers signed as its policy asks."""
        policy = self._policy(method, path)
        installation_id = TARGET_ID if policy.binding is Binding.TARGET else INSTALLATION_ID
        values = {
            "installation_id": installation_id,
            "resource_id": self.resource_id,
            "provider_claim_id": self.claim_id,
            "product_slug": "demo",
        }
        url = re.sub(r"\{([^}]+)\}", lambda name: values[name.group(1)], path)
        return url, self._headers(method, policy, installation_id)

    def _headers(self, method: str, policy: Policy, installation_id: str) -> dict[str, str]:
        """A fresh token of the kind the policy accepts (system when both), and for a
        mutation a key of its own, so no call is answered from another's stored response."""
        sign = self.vercel.system if "system" in policy.kinds else self.vercel.user
        headers = sign(installation_id)
        if method.upper() in MUTATING_METHODS:
            headers["Idempotency-Key"] = uuid.uuid4().hex
        return headers

    def _policy(self, method: str, path: str) -> Policy:
        concrete = re.sub(r"\{[^}]+\}", "x", path)
        endpoint, _ = self.app.url_map.bind("localhost").match(concrete, method.upper())
        policy = policy_of(self.app.view_functions[endpoint], method)
        assert policy is not None, f"{method.upper()} {path} declares no auth policy"
        return policy

    def _call(self, method: str, url: str, body: Any = None, *, system: bool = False) -> Any:
        """A setup call, signed for the installation named in `url`; it must succeed."""
        installation_id = url.split("/")[3]
        sign = self.vercel.system if system else self.vercel.user
        response = self.client.open(url, method=method, json=body, headers=sign(installation_id))
        assert response.status_code == 200, (method, url, response.get_json())
        return response.get_json()
