"""The OpenAPI document describes every Partner API route the app serves.

Routes are read from the app's url_map, so a new `/v1/` route is checked without
touching this file.
"""

from __future__ import annotations

import re
from typing import Any

import pytest
from openapi_spec_validator import validate

from partner_api.version import __version__

ENVELOPE = "#/components/schemas/ErrorEnvelope"
IGNORED_METHODS = {"HEAD", "OPTIONS"}
ALWAYS_WITH_BODY = {"PUT", "PATCH"}  # every PUT and PATCH of the contract has a body
MUTATING_METHODS = {"POST", "PUT", "PATCH", "DELETE"}


@pytest.fixture
def spec(client) -> dict[str, Any]:
    response = client.get("/openapi.json")
    assert response.status_code == 200
    return response.get_json()


def openapi_path(rule: str) -> str:
    """`/v1/installations/<string:installation_id>` → `/v1/installations/{installation_id}`."""
    return re.sub(r"<(?:[^<>:]+:)?([^<>]+)>", r"{\1}", rule)


def partner_operations(app) -> list[tuple[str, str]]:
    return sorted(partner_handlers(app))


def partner_handlers(app) -> dict[tuple[str, str], Any]:
    """(OpenAPI path, method) → the MethodView method that serves it, for every /v1/ rule."""
    handlers = {}
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith("/v1/"):
            continue
        view_class = app.view_functions[rule.endpoint].view_class
        for method in rule.methods - IGNORED_METHODS:
            path = openapi_path(rule.rule.rstrip("/"))
            handlers[(path, method.lower())] = getattr(view_class, method.lower())
    return handlers


def reads_json_body(handler) -> bool:
    """Whether the handler parses a JSON body through `@blp.arguments`."""
    arguments = getattr(handler, "_apidoc", {}).get("arguments", {})
    return any(parameter["in"] == "json" for parameter in arguments.get("parameters", []))


def resolve(spec: dict[str, Any], node: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in node:
        *_, section, name = node["$ref"].split("/")
        node = spec["components"][section][name]
    return node


def json_schema(spec: dict[str, Any], response: dict[str, Any]) -> dict[str, Any]:
    content = resolve(spec, response).get("content", {})
    return content.get("application/json", {}).get("schema", {})


def json_schema_ref(spec: dict[str, Any], response: dict[str, Any]) -> str | None:
    """The named schema of a JSON answer, or of the items of a JSON array answer."""
    schema = json_schema(spec, response)
    if schema.get("type") == "array":
        schema = schema.get("items", {})
    return schema.get("$ref")


def test_the_document_is_valid_openapi_3_1(spec):
    assert spec["openapi"].startswith("3.1")
    validate(spec)


def test_the_app_has_partner_routes_to_check(app):
    paths = {path for path, _ in partner_operations(app)}
    assert "/v1/installations/{installation_id}" in paths
    assert "/v1/products/{product_slug}/plans" in paths


def test_every_partner_route_and_method_is_documented(app, spec):
    for path, method in partner_operations(app):
        assert method in spec["paths"].get(path, {}), f"{method.upper()} {path} is not documented"


def test_every_body_is_documented_by_its_schema(app, spec):
    for (path, method), handler in partner_handlers(app).items():
        body = spec["paths"][path][method].get("requestBody")
        if method.upper() in ALWAYS_WITH_BODY:
            assert reads_json_body(handler), f"{method.upper()} {path} parses no body"
        if reads_json_body(handler):
            assert body is not None, f"{method.upper()} {path} documents no request body"
            schema = body["content"]["application/json"]["schema"]
            assert schema["$ref"].startswith("#/components/schemas/"), (path, method)
        else:
            assert body is None, f"{method.upper()} {path} documents a body it does not read"


def test_every_success_is_documented_with_its_schema(app, spec):
    for path, method in partner_operations(app):
        responses = spec["paths"][path][method]["responses"]
        successes = {code: responses[code] for code in responses if code.startswith("2")}
        assert successes, f"{method.upper()} {path} documents no success"
        for code, response in successes.items():
            if code == "204":
                assert "content" not in resolve(spec, response), (path, method)
            else:
                ref = json_schema_ref(spec, response)
                assert ref and ref.startswith("#/components/schemas/"), (path, method, code)


def test_every_error_answer_is_the_envelope(app, spec):
    for path, method in partner_operations(app):
        responses = spec["paths"][path][method]["responses"]
        errors = {code: r for code, r in responses.items() if code == "default" or code >= "4"}
        # The guard can refuse any call: 401 for the token, 403 for what it may do.
        assert {"401", "403", "default"} <= set(errors), (path, method, sorted(errors))
        if method.upper() in MUTATING_METHODS:
            # Idempotency-Key: reused with another body, or still in progress.
            assert {"409", "422"} <= set(errors), (path, method, sorted(errors))
        for code, response in errors.items():
            assert json_schema(spec, response).get("$ref") == ENVELOPE, (path, method, code)


def test_invalid_input_is_documented_with_the_status_it_gets(app, spec):
    """Invalid bodies and queries answer 400 (§3.1), so the document says 400."""
    for path, method in partner_operations(app):
        operation = spec["paths"][path][method]
        query = [p for p in operation.get("parameters", []) if p["in"] == "query"]
        if "requestBody" in operation or query:
            assert "400" in operation["responses"], (path, method)


def test_the_envelope_schema_matches_the_contract(spec):
    envelope = spec["components"]["schemas"]["ErrorEnvelope"]
    assert envelope["required"] == ["error"]
    body = resolve(spec, envelope["properties"]["error"])
    assert set(body["required"]) == {"code", "message"}
    assert {"code", "message", "user", "fields"} == set(body["properties"])


def test_the_vercel_headers_are_documented(app, spec):
    for path, method in partner_operations(app):
        parameters = {
            p["name"]: p
            for p in spec["paths"][path][method].get("parameters", [])
            if p["in"] == "header"
        }
        assert parameters["X-Vercel-Auth"]["schema"]["enum"] == ["user", "system"]
        if method.upper() in MUTATING_METHODS:
            assert "Idempotency-Key" in parameters, (path, method)
        else:
            assert "Idempotency-Key" not in parameters, (path, method)


def test_bearer_security_applies_to_the_document(spec):
    schemes = spec["components"]["securitySchemes"]
    assert {"vercelOidc": []} in spec["security"]
    assert schemes["vercelOidc"]["type"] == "http"
    assert schemes["vercelOidc"]["scheme"] == "bearer"
    assert schemes["vercelOidc"]["bearerFormat"] == "JWT"


def test_health_probes_are_not_partner_operations(spec):
    assert not any(path.startswith(("/healthz", "/readyz")) for path in spec["paths"])


def test_the_document_and_the_docs_page_are_public(client):
    assert client.get("/openapi.json").status_code == 200
    page = client.get("/docs")
    assert page.status_code == 200
    assert page.mimetype == "text/html"
    assert b"swagger-ui" in page.data
    assert b"openapi.json" in page.data


def test_the_document_reports_the_release_it_describes(spec):
    assert spec["info"]["version"] == __version__
