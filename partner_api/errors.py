"""The contract's error envelope (§3.1) for every error the server answers.

Domain code raises an `ApiError` subclass; flask-smorest's argument parsing and werkzeug's
HTTP errors are translated here too, so a client only ever sees
`{"error": {"code", "message", "user"?, "fields"?}}` and never a stack trace.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import marshmallow as ma
from flask import Flask, jsonify
from werkzeug.exceptions import HTTPException

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class FieldError:
    key: str
    message: str


class ApiError(Exception):
    status = 400
    code = "bad_request"

    def __init__(
        self,
        message: str,
        *,
        code: str | None = None,
        fields: Iterable[FieldError] = (),
        user_message: str | None = None,
        user_url: str | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.code = code or self.code
        self.fields = tuple(fields)
        self.user_message = user_message
        self.user_url = user_url

    def envelope(self) -> dict[str, Any]:
        body: dict[str, Any] = {"code": self.code, "message": self.message}
        if self.user_message or self.user_url:
            user = {"message": self.user_message, "url": self.user_url}
            body["user"] = {key: value for key, value in user.items() if value}
        if self.fields:
            body["fields"] = [{"key": f.key, "message": f.message} for f in self.fields]
        return {"error": body}


class ValidationFailed(ApiError):
    status = 400
    code = "validation_error"


class Unauthorized(ApiError):
    status = 401
    code = "unauthorized"


class Forbidden(ApiError):
    status = 403
    code = "forbidden"


class NotFound(ApiError):
    status = 404
    code = "not_found"


class Conflict(ApiError):
    status = 409
    code = "conflict"


class Unprocessable(ApiError):
    status = 422
    code = "unprocessable_entity"


class ServiceUnavailable(ApiError):
    """Something we depend on (Vercel, the key set) does not answer; retrying later helps."""

    status = 503
    code = "service_unavailable"


# Documentation of the envelope for the OpenAPI document.
class UserMessageSchema(ma.Schema):
    message = ma.fields.String()
    url = ma.fields.String()


class FieldErrorSchema(ma.Schema):
    key = ma.fields.String(required=True)
    message = ma.fields.String()


class ErrorBodySchema(ma.Schema):
    code = ma.fields.String(required=True, metadata={"example": "validation_error"})
    message = ma.fields.String(required=True)
    user = ma.fields.Nested(UserMessageSchema)
    fields = ma.fields.List(ma.fields.Nested(FieldErrorSchema))


class ErrorEnvelopeSchema(ma.Schema):
    error = ma.fields.Nested(ErrorBodySchema, required=True)


def error_response(error: ApiError):
    return jsonify(error.envelope()), error.status


def _flatten(messages: Any, prefix: str = "") -> list[FieldError]:
    """Turn marshmallow's nested messages into `fields[]` keyed by dotted paths.

    marshmallow files errors about an object itself (e.g. a list where an object belongs)
    under `_schema`; they are keyed by the object's own path, or `body` at the top.
    """
    if isinstance(messages, Mapping):
        found: list[FieldError] = []
        for key, value in messages.items():
            if key == ma.exceptions.SCHEMA:
                path = prefix
            else:
                path = f"{prefix}.{key}" if prefix else str(key)
            found += _flatten(value, path)
        return found
    if isinstance(messages, list) and all(isinstance(item, str) for item in messages):
        return [FieldError(prefix or "body", " ".join(messages))]
    if isinstance(messages, list):
        return [item for value in messages for item in _flatten(value, prefix)]
    return [FieldError(prefix or "body", str(messages))]


HTTP_CODES = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    413: "request_too_large",
    415: "unsupported_media_type",
    422: "unprocessable_entity",
    429: "too_many_requests",
}


INVALID_JSON_MESSAGE = "Invalid JSON body."  # webargs' message for a body it cannot decode


def _from_http_exception(error: HTTPException) -> ApiError:
    data = getattr(error, "data", None) or {}
    messages = data.get("messages") or data.get("errors")
    if error.code in (400, 422) and messages:
        # webargs: `{"json": {...}}` per location, or its own message for a body that is not
        # JSON.
        body_messages = messages.get("json", messages) if isinstance(messages, Mapping) else {}
        if body_messages == [INVALID_JSON_MESSAGE]:
            return ApiError("The request body is not valid JSON.", code="invalid_json")
        fields = _flatten(body_messages if isinstance(body_messages, Mapping) else messages)
        return ValidationFailed("The request failed validation.", fields=fields)
    if error.code is not None and error.code < 500:
        result = ApiError(data.get("message") or error.description or error.name)
        result.status = error.code
        result.code = HTTP_CODES.get(error.code, "bad_request")
        return result
    return _internal_error()


def _internal_error() -> ApiError:
    result = ApiError("The server failed to handle the request.", code="internal_error")
    result.status = 500
    return result


def _protocol_headers(error: HTTPException) -> list[tuple[str, str]]:
    """The exception's own headers (e.g. `Allow` of a 405), minus its HTML content type."""
    return [(name, value) for name, value in error.get_headers() if name.lower() != "content-type"]


def http_exception_response(error: HTTPException):
    original = getattr(error, "original_exception", None)
    if original is not None and not isinstance(original, HTTPException):
        log.error("unhandled error", exc_info=original)
    body, status = error_response(_from_http_exception(error))
    return body, status, _protocol_headers(error)


def register_errorhandlers(app: Flask) -> None:
    app.register_error_handler(ApiError, error_response)
    app.register_error_handler(HTTPException, http_exception_response)
