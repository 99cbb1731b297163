"""Small partner servers for the kit to judge, each a `Behaviour` of one in-memory app.

`BROKEN` carries deliberate defects: it (1) never checks the token's audience, (2) ignores
the user's role, so `USER` tokens may change things, (3) answers 201 instead of 200 to
Provision Resource, (4) saves a resource before finding its metadata invalid, (5) lets a
transfer claim be accepted again by another target, (6) announces a resource provisioned
asynchronously with an event type the docs do not list, (7) refuses signed deployment events
and (8) submits billing data with totals as numbers, not decimal strings. `DOCS_ONLY` does
what Vercel's docs require and no more: 403 for every refused call, the auth kind read from
the claims (X-Vercel-Auth ignored), no `exp` demanded, no path/token installation binding, 201
on Upsert, the first answer replayed for a reused idempotency key whatever the body, and 200
to a forged webhook. Both implement the required endpoints plus Get Installation, List
Resources and the transfer endpoints, and provision asynchronously (`pending`, then an event
and the first billing data to Vercel); `DOCS_ONLY` also rotates secrets asynchronously. The
other optional endpoints are skipped.
"""

from __future__ import annotations

import functools
import hashlib
import hmac
import secrets
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import requests
from flask import Flask, g, jsonify, request
from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jwk import KeySet
from werkzeug.exceptions import HTTPException
from werkzeug.serving import WSGIRequestHandler, make_server

from partner_api_check.context import Settings
from partner_api_check.kit import Kit
from partner_api_check.report import Report

MAX_TOKEN_LENGTH = 8192
TIME_AND_ISSUER = ("exp", "nbf", "iat", "iss", "aud")
PLANS = [
    {"id": "free", "type": "subscription", "name": "Free", "description": "Free.",
     "paymentMethodRequired": False},
    {"id": "pro", "type": "subscription", "name": "Pro", "description": "$10 a month.",
     "paymentMethodRequired": True, "cost": "$10.00/month"},
]
PRODUCT = "broken-db"
REGIONS = ("iad1", "sfo1")


@dataclass(frozen=True)
class Behaviour:
    checks_audience: bool = True
    checks_role: bool = True
    refusal_status: int = 401  # for a missing or bad token
    trusts_auth_header: bool = True  # False: the auth kind is read from the claims
    requires_exp: bool = True
    binds_path: bool = True  # the token's installation must be the path's
    upsert_status: int = 200
    provision_status: int = 200
    rejects_reused_key: bool = True  # False: a reused key replays whatever the body
    refuses_forged_webhooks: bool = True  # False: 200 with an error code, like Vercel's example
    saves_before_validating: bool = False  # invalid metadata still leaves a resource behind
    rotates_later: bool = False  # rotation answers 202, then sends Vercel the new secrets
    transfers: bool = True  # the transfer endpoints (§3.4.15–3.4.17)
    provisions_later: bool = True  # Provision answers `pending`, then a V4 event follows
    ready_event: str = "resource.updated"  # the type of that event
    refuses_deployment_events: bool = False  # 400 to a signed `deployment.*` delivery
    numeric_billing_totals: bool = False  # billing data (V11) with totals as numbers
    accepts_completed_claims: bool = False  # a claim accepted by one target moves again


BROKEN = Behaviour(checks_audience=False, checks_role=False, provision_status=201,
                   saves_before_validating=True, accepts_completed_claims=True,
                   ready_event="resource.ready", refuses_deployment_events=True,
                   numeric_billing_totals=True)
DOCS_ONLY = Behaviour(refusal_status=403, trusts_auth_header=False, requires_exp=False,
                      binds_path=False, upsert_status=201, rejects_reused_key=False,
                      refuses_forged_webhooks=False, rotates_later=True)
MUTATING = ("PUT", "PATCH", "POST", "DELETE")


class Refused(Exception):
    def __init__(self, status: int, code: str, message: str, fields: list | None = None):
        super().__init__(message)
        self.status, self.code, self.message, self.fields = status, code, message, fields


def envelope(status: int, code: str, message: str, fields: list | None = None):
    error: dict[str, Any] = {"code": code, "message": message}
    if fields:
        error["fields"] = fields
    return jsonify(error=error), status


def invalid(*keys: str) -> Refused:
    return Refused(400, "validation_error", "Invalid body.",
                   [{"key": key, "message": "invalid"} for key in keys])


def json_object() -> dict[str, Any]:
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        raise Refused(400, "invalid_json", "The body is not a JSON object.")
    return body


def verify(keys: KeySet, issuer: str, audience: str, behaviour: Behaviour) -> dict[str, Any]:
    """The token checks of §2.1.4 the behaviour asks for."""
    status = behaviour.refusal_status
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not token.strip() or len(token) > MAX_TOKEN_LENGTH:
        raise Refused(status, "unauthorized", "A valid bearer token is required.")
    try:
        claims = jwt.decode(token.strip(), keys, algorithms=["RS256"]).claims
        expected = {"exp": {"essential": behaviour.requires_exp},
                    "iss": {"essential": True, "value": issuer}}
        if behaviour.checks_audience:
            expected["aud"] = {"essential": True, "value": audience}
        registry = jwt.JWTClaimsRegistry(**expected)
        registry.validate({name: claims[name] for name in TIME_AND_ISSUER if name in claims})
    except (JoseError, ValueError):
        raise Refused(status, "unauthorized", "The token is not valid.") from None
    if behaviour.trusts_auth_header:
        kind = request.headers.get("X-Vercel-Auth", "").lower()
    else:
        kind = "user" if "user_id" in claims else "system"
    required = ("user_id", "user_role", "account_id") if kind == "user" else ()
    if kind not in ("user", "system") or any(not claims.get(name) for name in required):
        raise Refused(status, "unauthorized", "The token does not match its auth kind.")
    if kind == "system" and "user_id" in claims:
        raise Refused(status, "unauthorized", "A system token carries user claims.")
    if "installation_id" not in claims:
        raise Refused(status, "unauthorized", "The token names no installation.")
    path_installation = (request.view_args or {}).get("installation_id")
    if behaviour.binds_path and path_installation and (
            claims["installation_id"] != path_installation):
        raise Refused(403, "forbidden", "The token is for another installation.")
    if behaviour.checks_role and kind == "user" and request.method in MUTATING and (
            claims["user_role"] != "ADMIN"):
        raise Refused(403, "forbidden", "Only an ADMIN may change this.")
    return claims


class Store:
    """Installations, resources and stored idempotent answers, behind one lock."""

    def __init__(self) -> None:
        self.installations: dict[str, dict[str, Any]] = {}
        self.resources: dict[str, dict[str, Any]] = {}
        self.answers: dict[tuple[str, str, str], tuple[str, int, Any]] = {}
        self.claims: dict[str, dict[str, Any]] = {}
        self.lock = threading.Lock()


def create_app(jwks: dict[str, Any], issuer: str, audience: str, client_secret: str,
               behaviour: Behaviour, vercel_api_url: str = "") -> Flask:
    app = Flask(__name__)
    keys = KeySet.import_key_set(jwks)
    store = Store()

    @app.errorhandler(Refused)
    def refused(error: Refused):
        return envelope(error.status, error.code, error.message, error.fields)

    @app.errorhandler(HTTPException)
    def http_error(error: HTTPException):
        return envelope(error.code or 500, "http_error", error.name)

    def partner(view: Callable) -> Callable:
        """Authenticate, then (for mutations) replay or store by Idempotency-Key."""

        @functools.wraps(view)
        def run(**path: str):
            g.claims = verify(keys, issuer, audience, behaviour)
            with store.lock:
                key = request.headers.get("Idempotency-Key")
                if request.method == "GET" or not key:
                    return view(**path)
                slot = (request.method, request.path, key)
                digest = hashlib.sha256(request.get_data()).hexdigest()
                if slot in store.answers:
                    stored_digest, status, body = store.answers[slot]
                    if stored_digest != digest and behaviour.rejects_reused_key:
                        raise Refused(422, "idempotency_key_reused", "Key reused.")
                    return (jsonify(body) if body is not None else ""), status
                response = app.make_response(view(**path))
                store.answers[slot] = (digest, response.status_code,
                                       response.get_json(silent=True))
                return response

        return run

    def live_installation(installation_id: str) -> dict[str, Any]:
        installation = store.installations.get(installation_id)
        if installation is None or installation["deleted"]:
            raise Refused(404, "not_found", "Unknown installation.")
        return installation

    def live_resource(installation_id: str, resource_id: str) -> dict[str, Any]:
        live_installation(installation_id)
        resource = store.resources.get(resource_id)
        if resource is None or resource["installation"] != installation_id:
            raise Refused(404, "not_found", "Unknown resource.")
        return resource

    def public(resource: dict[str, Any]) -> dict[str, Any]:
        plan = next(plan for plan in PLANS if plan["id"] == resource["plan"])
        return {"id": resource["id"], "productId": PRODUCT, "name": resource["name"],
                "metadata": resource["metadata"], "status": resource["status"],
                "billingPlan": plan}

    def checked_metadata(metadata: Any) -> dict[str, Any]:
        if not isinstance(metadata, dict):
            raise invalid("metadata")
        wrong = [key for key, value in metadata.items()
                 if key != "region" or value not in REGIONS]
        if wrong:
            raise invalid(*wrong)
        return metadata

    @app.get("/v1/products/<slug>/plans")
    @partner
    def product_plans(slug: str):
        if slug != PRODUCT:
            raise Refused(404, "not_found", "Unknown product.")
        return {"plans": PLANS}

    @app.route("/v1/installations/<installation_id>", methods=["GET", "PUT", "DELETE"])
    @partner
    def installation(installation_id: str):
        if request.method == "GET":
            live_installation(installation_id)
            return {"notification": None}
        if request.method == "DELETE":
            known = store.installations.get(installation_id)
            if known is None or known["deleted"]:
                return "", 204
            known["deleted"] = True
            return {"finalized": True}
        body = json_object()
        credentials = body.get("credentials")
        if not isinstance(body.get("scopes"), list) or not isinstance(
                body.get("acceptedPolicies"), dict) or not isinstance(credentials, dict) or (
                not isinstance(credentials.get("access_token"), str)):
            raise invalid("scopes", "acceptedPolicies", "credentials")
        if "account" in body and not isinstance(body["account"], dict):
            raise invalid("account")
        store.installations[installation_id] = {"deleted": False,
                                                "token": credentials["access_token"]}
        return {"notification": None}, behaviour.upsert_status

    @app.get("/v1/installations/<installation_id>/resources")
    @partner
    def list_resources(installation_id: str):
        live_installation(installation_id)
        return {"resources": [public(resource) for resource in store.resources.values()
                              if resource["installation"] == installation_id]}

    @app.post("/v1/installations/<installation_id>/resources")
    @partner
    def provision(installation_id: str):
        live_installation(installation_id)
        body = json_object()
        if body.get("productId") != PRODUCT or not isinstance(body.get("name"), str):
            raise invalid("productId", "name")
        if body.get("billingPlanId") not in {plan["id"] for plan in PLANS}:
            raise invalid("billingPlanId")
        resource = {"id": f"res_{secrets.token_hex(6)}", "installation": installation_id,
                    "name": body["name"], "metadata": body.get("metadata"),
                    "plan": body["billingPlanId"],
                    "status": "pending" if behaviour.provisions_later else "ready"}
        if behaviour.saves_before_validating:
            store.resources[resource["id"]] = resource
        checked_metadata(resource["metadata"])
        store.resources[resource["id"]] = resource
        if behaviour.provisions_later:
            threading.Thread(target=finish_provisioning, args=(resource,)).start()
        secret = [{"name": "SAMPLE_DB_URL", "value": f"sample://{secrets.token_hex(8)}"}]
        return {**public(resource), "secrets": secret}, behaviour.provision_status

    @app.route("/v1/installations/<installation_id>/resources/<resource_id>",
               methods=["GET", "PATCH", "DELETE"])
    @partner
    def resource(installation_id: str, resource_id: str):
        if request.method == "DELETE":
            store.resources.pop(resource_id, None)
            return "", 204
        found = live_resource(installation_id, resource_id)
        if request.method == "GET":
            return public(found)
        body = json_object()
        if "name" in body and not isinstance(body["name"], str):
            raise invalid("name")
        if "billingPlanId" in body and body["billingPlanId"] not in {p["id"] for p in PLANS}:
            raise invalid("billingPlanId")
        metadata = checked_metadata(body["metadata"]) if "metadata" in body else None
        found.update(name=body.get("name", found["name"]),
                     plan=body.get("billingPlanId", found["plan"]),
                     metadata=metadata or found["metadata"])
        return public(found)

    def to_vercel(method: str, installation_id: str, path: str, body: Any) -> None:
        """A call to the (fake) Vercel API with the installation's access token."""
        token = store.installations[installation_id]["token"]
        requests.request(method, f"{vercel_api_url}/v1/installations/{installation_id}{path}",
                         headers={"Authorization": f"Bearer {token}"}, json=body, timeout=5)

    def finish_provisioning(resource: dict[str, Any]) -> None:
        """The resource is ready; Create Event (V4) tells Vercel, as a background job would."""
        with store.lock:
            resource["status"] = "ready"
        to_vercel("POST", resource["installation"], "/events",
                  {"event": {"type": behaviour.ready_event, "productId": PRODUCT,
                             "resourceId": resource["id"]}})
        to_vercel("POST", resource["installation"], "/billing", billing_data(resource))

    def billing_data(resource: dict[str, Any]) -> dict[str, Any]:
        """Submit Billing Data (V11) for the resource's first day."""
        total = 0 if behaviour.numeric_billing_totals else "0.00"
        day = {"start": "2026-01-01T00:00:00.000Z", "end": "2026-02-01T00:00:00.000Z"}
        return {"timestamp": "2026-01-01T01:00:00.000Z", "eod": "2026-01-01T00:00:00.000Z",
                "period": day,
                "billing": {"items": [{"billingPlanId": resource["plan"],
                                       "resourceId": resource["id"], "name": "Store",
                                       "price": "0.00", "quantity": 1, "units": "month",
                                       "total": total}]},
                "usage": [{"resourceId": resource["id"], "name": "Keys", "type": "total",
                           "units": "keys", "dayValue": 0, "periodValue": 0}]}

    def push_secrets(installation_id: str, resource_id: str) -> None:
        """Update Resource Secrets (V10) with the new secrets, as a background job would."""
        to_vercel("PUT", installation_id, f"/resources/{resource_id}/secrets",
                  {"secrets": [{"name": "SAMPLE_DB_URL",
                                "value": f"sample://{secrets.token_hex(8)}"}]})

    if behaviour.rotates_later:
        @app.post("/v1/installations/<installation_id>/resources/<resource_id>/secrets/rotate")
        @partner
        def rotate(installation_id: str, resource_id: str):
            live_resource(installation_id, resource_id)
            body = json_object()
            delay = body.get("delayOldSecretsExpirationHours", 0)
            if isinstance(delay, bool) or not isinstance(delay, int | float) or not (
                    0 <= delay <= 720):
                raise invalid("delayOldSecretsExpirationHours")
            if not isinstance(body.get("reason", ""), str):
                raise invalid("reason")
            threading.Thread(target=push_secrets, args=(installation_id, resource_id)).start()
            return {"sync": False}, 202

    def claim(installation_id: str, claim_id: str) -> dict[str, Any]:
        live_installation(installation_id)
        found = store.claims.get(claim_id)
        if found is None:
            raise Refused(404, "not_found", "Unknown transfer request.")
        if found["expires_at"] < time.time() * 1000:
            raise Refused(409, "expired", "The transfer request expired.")
        return found

    if behaviour.transfers:
        @app.post("/v1/installations/<installation_id>/resource-transfer-requests")
        @partner
        def create_transfer(installation_id: str):
            live_installation(installation_id)
            body = json_object()
            ids, expires_at = body.get("resourceIds"), body.get("expiresAt")
            if not isinstance(ids, list) or not ids or not all(isinstance(i, str) for i in ids):
                raise invalid("resourceIds")
            if isinstance(expires_at, bool) or not isinstance(expires_at, int):
                raise invalid("expiresAt")
            if any(store.resources.get(found, {}).get("installation") != installation_id
                   for found in ids):
                raise Refused(422, "not_owned", "A resource is not this installation's.")
            claim_id = f"pcl_{secrets.token_hex(6)}"
            store.claims[claim_id] = {"resources": ids, "expires_at": expires_at,
                                      "verified": set(), "winner": None}
            return {"providerClaimId": claim_id}

        @app.get("/v1/installations/<installation_id>/resource-transfer-requests/"
                 "<claim_id>/verify")
        @partner
        def verify_transfer(installation_id: str, claim_id: str):
            found = claim(installation_id, claim_id)
            if found["winner"] is not None:
                raise Refused(409, "completed", "The transfer request was accepted.")
            found["verified"].add(installation_id)
            return {"valid": True}

        @app.post("/v1/installations/<installation_id>/resource-transfer-requests/"
                  "<claim_id>/accept")
        @partner
        def accept_transfer(installation_id: str, claim_id: str):
            found = claim(installation_id, claim_id)
            if installation_id not in found["verified"]:
                raise Refused(409, "not_verified", "Verify the transfer request first.")
            if found["winner"] not in (None, installation_id) and (
                    not behaviour.accepts_completed_claims):
                raise Refused(409, "completed", "Another installation accepted it.")
            for resource_id in found["resources"]:
                store.resources[resource_id]["installation"] = installation_id
            found["winner"] = installation_id
            return "", 204

    @app.post("/webhooks/vercel")
    def webhook():
        signature = request.headers.get("x-vercel-signature", "")
        expected = hmac.new(client_secret.encode(), request.get_data(), hashlib.sha1)
        if hmac.compare_digest(expected.hexdigest(), signature):
            event_type = str((request.get_json(silent=True) or {}).get("type", ""))
            if behaviour.refuses_deployment_events and event_type.startswith("deployment."):
                raise Refused(400, "unsupported_event", "Deployment events are not handled.")
            return {"received": True}
        if behaviour.refuses_forged_webhooks:
            raise Refused(403, "invalid_signature", "Bad signature.")
        return {"code": "invalid_signature"}

    return app


class QuietHandler(WSGIRequestHandler):
    def log_request(self, *args: Any) -> None:
        return


@contextmanager
def serving(app: Flask, port: int = 0) -> Iterator[str]:
    """Serve ``app`` from a thread on ``port`` (0: a free one); yields its base URL."""
    server = make_server("127.0.0.1", port, app, threaded=True, request_handler=QuietHandler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        thread.join()


CLIENT_SECRET = "sample-client-secret"


def judge(behaviour: Behaviour, groups: tuple[str, ...] | None = None,
          product: str | None = PRODUCT) -> Report:
    """Serve an app with ``behaviour`` and run the kit against it."""
    with Kit() as kit:
        app = create_app(kit.jwks.jwks, kit.tokens.issuer, kit.tokens.audience, CLIENT_SECRET,
                         behaviour, kit.vercel.url)
        with serving(app) as base_url:
            settings = Settings(base_url, product=product, client_secret=CLIENT_SECRET)
            return kit.check(settings, *(() if groups is None else (groups,)))
