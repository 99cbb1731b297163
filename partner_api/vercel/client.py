"""The one place that talks to Vercel's REST API (§4): one method per call the app makes."""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from datetime import datetime
from decimal import Decimal
from typing import Any, TypeVar
from urllib.parse import quote

import requests

from partner_api.vercel.errors import UnexpectedResponse, VercelApiError, VercelUnreachable
from partner_api.vercel.metering import metered
from partner_api.vercel.models import (
    Balance,
    BillingData,
    Event,
    InstallationUpdate,
    InvoiceSubmission,
    ResourceImport,
    ResourceUpdate,
    Secret,
)
from partner_api.vercel.replies import (
    Account,
    Invoice,
    Member,
    RevokedCredential,
    RotatedCredential,
    SsoTokens,
    SubmittedInvoice,
    VercelResource,
    imported_name,
    resources_from_json,
)
from partner_api.vercel.transport import DEFAULT_TIMEOUT, build_session
from partner_api.vercel.wire import compact, money, timestamp

log = logging.getLogger(__name__)

T = TypeVar("T")
Timeout = float | tuple[float, float]


DOT_SEGMENTS = frozenset({".", ".."})


def _segment(value: str) -> str:
    """An id as one path segment: a `/` or `..` in it cannot reach another endpoint.

    An id that *is* `.` or `..` would be resolved away by URL normalization (even
    percent-encoded: requests decodes it back), so it is refused.
    """
    if value in DOT_SEGMENTS:
        raise ValueError(f"{value!r} cannot be an id in a Vercel API path")
    return quote(value, safe="")


def _installation(installation_id: str, *rest: str) -> str:
    return "/".join(["/v1/installations", _segment(installation_id), *rest])


def _resource(installation_id: str, resource_id: str, *rest: str) -> str:
    return _installation(installation_id, "resources", _segment(resource_id), *rest)


class VercelClient:
    """Calls Vercel with one installation's access token (`token=None`: only V17).

    Every non-2xx answer raises `VercelApiError`; no answer at all (after the transport's
    retries) raises `VercelUnreachable`. A `session` passed in is used as is: build it with
    `transport.build_session()` to keep the retries.
    """

    def __init__(
        self,
        base_url: str,
        token: str | None,
        *,
        session: requests.Session | None = None,
        timeout: Timeout = DEFAULT_TIMEOUT,
        user_agent: str = "partner-api",
    ) -> None:
        self._base_url = base_url.rstrip("/")
        self._token = token
        self._session = session or build_session()
        self._timeout = timeout
        self._user_agent = user_agent

    def __repr__(self) -> str:
        return f"VercelClient({self._base_url!r})"

    # -- transport -------------------------------------------------------------------------

    def _send(self, method: str, path: str, body: Any, bearer: bool) -> Any:
        headers = {"Accept": "application/json", "User-Agent": self._user_agent}
        if bearer:
            if not self._token:
                raise ValueError("this call needs an installation access token")
            headers["Authorization"] = f"Bearer {self._token}"
        try:
            response = self._session.request(
                method, self._base_url + path, json=body, headers=headers, timeout=self._timeout
            )
        except requests.RequestException as error:
            log.warning("Vercel %s %s: no answer (%s)", method, path, type(error).__name__)
            raise VercelUnreachable(method, path, error) from error
        log.info(
            "Vercel %s %s -> %s (x-vercel-id %s)",
            method,
            path,
            response.status_code,
            response.headers.get("x-vercel-id", "-"),
        )
        if not response.ok:
            raise VercelApiError.from_response(method, path, response)
        if not response.content:
            return None
        try:
            return response.json()
        except ValueError as error:
            raise UnexpectedResponse(method, path, error) from error

    def _call(
        self,
        method: str,
        path: str,
        *,
        body: Any = None,
        parse: Callable[[Any], T] | None = None,
        bearer: bool = True,
    ) -> T | None:
        data = self._send(method, path, body, bearer)
        if parse is None:
            return None
        try:
            return parse(data)
        except (KeyError, TypeError, ValueError, AttributeError) as error:
            raise UnexpectedResponse(method, path, error) from error

    # -- installation ----------------------------------------------------------------------

    @metered
    def update_installation(self, installation_id: str, update: InstallationUpdate) -> None:
        """V1: status, externalId, installation plan, notification."""
        self._call("PATCH", _installation(installation_id), body=update.to_json())

    @metered
    def get_account(self, installation_id: str) -> Account:
        """V2: the team and its current best contact."""
        return self._call("GET", _installation(installation_id, "account"), parse=Account.from_json)

    @metered
    def get_member(self, installation_id: str, member_id: str) -> Member:
        """V3: `member_id` is the `user_id` claim of a user token."""
        path = _installation(installation_id, "member", _segment(member_id))
        return self._call("GET", path, parse=Member.from_json)

    @metered
    def create_event(self, installation_id: str, event: Event) -> None:
        """V4: tell Vercel to re-read an installation or a resource."""
        path = _installation(installation_id, "events")
        self._call("POST", path, body={"event": event.to_json()})

    @metered
    def finalize_installation(self, installation_id: str) -> None:
        """V16: no more invoices will come for this uninstalled installation."""
        self._call("POST", _installation(installation_id, "billing", "finalize"))

    # -- resources -------------------------------------------------------------------------

    @metered
    def list_resources(self, installation_id: str) -> list[VercelResource]:
        """V5."""
        path = _installation(installation_id, "resources")
        return self._call("GET", path, parse=resources_from_json)

    @metered
    def get_resource(self, installation_id: str, resource_id: str) -> VercelResource:
        """V6: `resource_id` is the partner's id."""
        path = _resource(installation_id, resource_id)
        return self._call("GET", path, parse=VercelResource.from_json)

    @metered
    def import_resource(
        self, installation_id: str, resource_id: str, resource: ResourceImport
    ) -> str:
        """V7: upsert a resource created outside Vercel; returns its name."""
        path = _resource(installation_id, resource_id)
        return self._call("PUT", path, body=resource.to_json(), parse=imported_name)

    @metered
    def update_resource(
        self, installation_id: str, resource_id: str, update: ResourceUpdate
    ) -> str:
        """V8: returns the resource's name."""
        path = _resource(installation_id, resource_id)
        return self._call("PATCH", path, body=update.to_json(), parse=imported_name)

    @metered
    def delete_resource(self, installation_id: str, resource_id: str) -> None:
        """V9."""
        self._call("DELETE", _resource(installation_id, resource_id))

    @metered
    def update_resource_secrets(
        self,
        installation_id: str,
        resource_id: str,
        secrets: Sequence[Secret],
        *,
        partial: bool = False,
    ) -> None:
        """V10: replace all secrets, or with `partial=True` only the ones listed."""
        body = {"secrets": [secret.to_json() for secret in secrets], "partial": partial}
        self._call("PUT", _resource(installation_id, resource_id, "secrets"), body=body)

    # -- billing ---------------------------------------------------------------------------

    @metered
    def submit_billing_data(self, installation_id: str, data: BillingData) -> None:
        """V11: interim billing and usage (display only; charges nothing)."""
        self._call("POST", _installation(installation_id, "billing"), body=data.to_json())

    @metered
    def submit_invoice(self, installation_id: str, invoice: InvoiceSubmission) -> SubmittedInvoice:
        """V12. A 409 means an invoice with this `external_id` exists: read it, do not resend."""
        path = _installation(installation_id, "billing", "invoices")
        return self._call("POST", path, body=invoice.to_json(), parse=SubmittedInvoice.from_json)

    @metered
    def get_invoice(self, installation_id: str, invoice_id: str) -> Invoice:
        """V13 (not available once the installation is finalized)."""
        path = _installation(installation_id, "billing", "invoices", _segment(invoice_id))
        return self._call("GET", path, parse=Invoice.from_json)

    @metered
    def refund_invoice(
        self, installation_id: str, invoice_id: str, *, reason: str, total: Decimal
    ) -> None:
        """V14: refund (or cancel, if uncharged) up to the invoice's total."""
        invoice = _segment(invoice_id)
        path = _installation(installation_id, "billing", "invoices", invoice, "actions")
        body = {"action": "refund", "reason": reason, "total": money(total)}
        self._call("POST", path, body=body)

    @metered
    def submit_balances(
        self, installation_id: str, balances: Sequence[Balance], *, at: datetime
    ) -> None:
        """V15: prepayment balances as of `at`."""
        body = {"timestamp": timestamp(at), "balances": [b.to_json() for b in balances]}
        self._call("POST", _installation(installation_id, "billing", "balance"), body=body)

    # -- credentials -----------------------------------------------------------------------

    @metered
    def exchange_sso_code(
        self,
        *,
        code: str,
        client_id: str,
        client_secret: str,
        state: str | None = None,
        redirect_uri: str | None = None,
    ) -> SsoTokens:
        """V17: trade the one-time SSO `code` for an `id_token` (no bearer token)."""
        body = compact(
            {
                "code": code,
                "state": state,
                "client_id": client_id,
                "client_secret": client_secret,
                "redirect_uri": redirect_uri,
                # Optional in older copies of the spec, required in 2026's (D10): always sent.
                "grant_type": "authorization_code",
            }
        )
        return self._call(
            "POST", "/v1/integrations/sso/token", body=body, parse=SsoTokens.from_json, bearer=False
        )

    @metered
    def rotate_credentials(
        self, installation_id: str, *, client_secret: str, client_id: str | None = None
    ) -> RotatedCredential:
        """V18: mint a new token with the current one; store it before revoking the old."""
        body = compact({"client_secret": client_secret, "client_id": client_id})
        path = _installation(installation_id, "credentials", "rotate")
        return self._call("POST", path, body=body, parse=RotatedCredential.from_json)

    @metered
    def revoke_credential(
        self,
        installation_id: str,
        *,
        token: str,
        client_secret: str,
        client_id: str | None = None,
    ) -> RevokedCredential:
        """V19: retire `token` (normally the superseded one), authenticated by this client's.

        The contract did not capture the body (§9); its field names here come from the
        request body type of Vercel's generated SDK (`RevokeInstallationCredentialRequestBody`:
        `token`, `client_secret`, `client_id?`). Vercel refuses to retire the last live token.
        """
        body = compact({"token": token, "client_secret": client_secret, "client_id": client_id})
        path = _installation(installation_id, "credentials", "revoke")
        return self._call("POST", path, body=body, parse=RevokedCredential.from_json)
