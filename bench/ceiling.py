"""The ceiling and the floor: bare Flask routes, served by the same gunicorn configuration as
the app.

- `/ceiling`: no auth, no database, no schema. What Flask and gunicorn cost by themselves on
  this machine; a Partner API call can only get close to this figure, never above it.
- The floor: the work a Partner API call cannot skip, done by bare routes with the app's
  own token verification (a freshly signed RS256 token, claims checked, the installation
  bound to the path) and SQLAlchemy Core, answering plain JSON. No schemas, no error
  envelope, no access log, no policy table, no idempotency, no encryption. Each floor route
  is the app's path under `/floor`:
  - `GET /floor/v1/installations/<installation>`: the token only;
  - `GET /floor/v1/installations/<installation>/resources/<resource>`: the token and one
    SELECT of the resource by key on an autocommit connection, Get Resource's essentials;
  - `POST /floor/v1/installations/<installation>/resources`: the token, the JSON body and
    one committed INSERT of the resource row, Provision's essentials.
  The distance from the ceiling to the floor is what the stack charges for the essentials;
  the distance from the floor to the app is what the app adds.

The floor reads the server's settings from the environment, as the app does (DATABASE_URL,
VERCEL_JWKS_URL, VERCEL_OIDC_ISSUER, INTEGRATION_CLIENT_ID).
"""

import json
import os
import uuid
from datetime import UTC, datetime
from typing import NamedTuple

from flask import Flask, abort, jsonify, request
from sqlalchemy import Engine, column, create_engine, insert, table, text

from partner_api.auth.claims import Claims
from partner_api.auth.jwks import JwksCache
from partner_api.auth.verify import AuthenticationError, TokenVerifier
from partner_api.dbpool import ping_when_idle
from partner_api.settings import database_url

app = Flask(__name__)


@app.get("/healthz")  # what the harness polls until the server is up
def healthz():
    return jsonify(status="ok")


@app.get("/ceiling")
def ceiling():
    return jsonify(ok=True)


_READ_RESOURCE = text(
    "SELECT id, product_slug, name, metadata, status, billing_plan_id, notification"
    " FROM resources WHERE id = :resource_id AND installation_id = :installation_id"
    " AND deleted_at IS NULL"
)
_NEW_RESOURCE = insert(table("resources", *map(column, (
    "id", "installation_id", "product_slug", "name", "metadata", "status", "billing_plan_id",
    "provider_state", "created_at", "updated_at",
))))


class _Floor(NamedTuple):
    verifier: TokenVerifier
    reads: Engine  # autocommit
    writes: Engine


def _floor() -> _Floor | None:
    if "DATABASE_URL" not in os.environ:
        return None
    url = database_url(os.environ["DATABASE_URL"])
    reads = create_engine(url, isolation_level="AUTOCOMMIT")
    writes = create_engine(url)
    for engine in (reads, writes):
        ping_when_idle(engine, 10)
    verifier = TokenVerifier(
        JwksCache(os.environ["VERCEL_JWKS_URL"]),
        issuer=os.environ["VERCEL_OIDC_ISSUER"],
        audience=os.environ["INTEGRATION_CLIENT_ID"],
    )
    return _Floor(verifier, reads, writes)


_FLOOR = _floor()
FLOOR = "/floor/v1/installations"


def _claims(installation_id: str) -> Claims:
    if _FLOOR is None:
        abort(503)
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    try:
        claims = _FLOOR.verifier.verify(token, request.headers.get("X-Vercel-Auth"))
    except AuthenticationError:
        abort(401)
    if scheme != "Bearer" or claims.installation_id != installation_id:
        abort(403)
    return claims


@app.get(f"{FLOOR}/<installation_id>")
def floor_token(installation_id: str):
    claims = _claims(installation_id)
    return jsonify(installationId=claims.installation_id)


@app.get(f"{FLOOR}/<installation_id>/resources/<resource_id>")
def floor_get_resource(installation_id: str, resource_id: str):
    _claims(installation_id)
    params = {"installation_id": installation_id, "resource_id": resource_id}
    with _FLOOR.reads.connect() as connection:
        row = connection.execute(_READ_RESOURCE, params).first()
    if row is None:
        abort(404)
    return jsonify(
        id=row.id, productId=row.product_slug, name=row.name, metadata=row.metadata,
        status=row.status, billingPlanId=row.billing_plan_id, notification=row.notification,
    )


@app.post(f"{FLOOR}/<installation_id>/resources")
def floor_provision(installation_id: str):
    _claims(installation_id)
    body = request.get_json()
    now = datetime.now(UTC).replace(tzinfo=None)  # the app stores naive UTC
    resource_id = f"res_{uuid.uuid4().hex}"
    with _FLOOR.writes.begin() as connection:
        connection.execute(_NEW_RESOURCE, {
            "id": resource_id, "installation_id": installation_id,
            "product_slug": body["productId"], "name": body["name"],
            "metadata": json.dumps(body["metadata"]), "status": "ready",
            "billing_plan_id": body["billingPlanId"], "provider_state": "",
            "created_at": now, "updated_at": now,
        })
    return jsonify(id=resource_id, status="ready")
