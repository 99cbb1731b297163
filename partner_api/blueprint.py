"""The Partner API blueprint: every view is authenticated, transactional and idempotent.

`PartnerBlueprint` wires the guard as `before_request` and wraps each view so that:
- a read (a GET whose policy declares no mutation) just runs: its statements go to the
  autocommit engine (partner_api/autocommit.py), with nothing to commit;
- a mutating call with an `Idempotency-Key` is claimed first, or answered from the store;
- the view's changes and the stored response commit in one transaction;
- any error rolls everything back (the database is left as it was) and frees the key (at
  once, or as soon as the database answers again: partner_api/idempotency/leases.py).

It also documents, on every operation, what the guard and the idempotency layer add: the
`X-Vercel-Auth` and `Idempotency-Key` headers and the error envelope of their refusals.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping
from http import HTTPStatus
from typing import Any

import flask
from flask import current_app, g, jsonify, make_response, request
from flask_smorest import Blueprint
from webargs import core
from webargs.flaskparser import FlaskParser, is_json_request

from partner_api import jsonpolicy
from partner_api.auth import guard
from partner_api.idempotency import service as idempotency
from partner_api.unit_of_work import unit_of_work

MUTATING_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
IDEMPOTENCY_HEADER = "Idempotency-Key"
REPLAY_HEADER = "Idempotent-Replayed"
AUTH_KIND_HEADER = "X-Vercel-Auth"


def _idempotency_request() -> idempotency.Request | None:
    key = request.headers.get(IDEMPOTENCY_HEADER, "").strip()
    if request.method not in MUTATING_METHODS or not key:
        return None
    installation = (request.view_args or {}).get("installation_id") or getattr(
        g.get("claims"), "installation_id", None
    )
    return idempotency.Request(
        scope=installation or "-",
        method=request.method,
        path=request.path,
        key=key,
        fingerprint=idempotency.fingerprint(request.method, request.path, request.get_data()),
    )


def _replayed(replay: idempotency.Replay):
    response = jsonify(replay.body) if replay.body is not None else make_response("")
    response.status_code = replay.status
    if replay.body is None:
        response.content_type = None
    response.headers[REPLAY_HEADER] = "true"
    return response


def _reads_only() -> bool:
    """A GET whose policy declares no mutation (transfer verify is a GET that writes)."""
    policy = guard.current_policy()
    return request.method not in MUTATING_METHODS and not (policy and policy.mutation)


def transactional(view: Callable) -> Callable:
    @functools.wraps(view)
    def run(*args, **kwargs):
        if _reads_only():  # nothing to commit, nothing to claim (see partner_api/autocommit.py)
            return view(*args, **kwargs)
        call = _idempotency_request()
        claim = None
        if call is not None:
            outcome = idempotency.begin(
                call,
                wait_seconds=current_app.config["IDEMPOTENCY_WAIT_SECONDS"],
                lease_seconds=current_app.config["IDEMPOTENCY_LEASE_SECONDS"],
            )
            if isinstance(outcome, idempotency.Replay):
                return _replayed(outcome)
            claim = outcome
        try:
            with unit_of_work():
                response = make_response(view(*args, **kwargs))
                if claim is not None:
                    status, body = response.status_code, response.get_json(silent=True)
                    idempotency.complete(claim, status, body)
        except BaseException:  # rolled back by the unit of work
            if claim is not None:
                idempotency.release(claim)
            raise
        if claim is not None:
            idempotency.finish(claim)
        return response

    return run


class _TransactionalViews(flask.Blueprint):
    """Wraps the final view function (after flask-smorest has built it from a MethodView)."""

    def add_url_rule(self, rule, endpoint=None, view_func=None, **options):
        options.setdefault("strict_slashes", False)
        super().add_url_rule(rule, endpoint, transactional(view_func), **options)


class _ArgumentsParser(FlaskParser):
    """Invalid bodies and queries are 400 (§3.1), in the answer and in the document.

    Bodies are decoded by the app's JSON policy (partner_api/jsonpolicy.py).
    """

    DEFAULT_VALIDATION_STATUS = 400

    def _raw_load_json(self, req: flask.Request) -> Any:
        if not is_json_request(req):
            return core.missing
        return jsonpolicy.loads(req.get_data(cache=True))


_AUTH_KIND_PARAMETER = {
    "in": "header",
    "name": AUTH_KIND_HEADER,
    "required": False,
    "schema": {"type": "string", "enum": ["user", "system"]},
    "description": "The kind of the bearer token (case-insensitive); inferred from its "
    "claims when absent.",
}
_IDEMPOTENCY_PARAMETER = {
    "in": "header",
    "name": IDEMPOTENCY_HEADER,
    "required": False,
    "schema": {"type": "string", "minLength": 1, "maxLength": idempotency.MAX_KEY_LENGTH},
    "description": "A retry with the same key and body gets the first answer again "
    f"(with `{REPLAY_HEADER}: true`); the same key with another body is 422.",
}
# What the guard may answer on any call, and the idempotency layer on mutating ones.
_GUARD_ERRORS = (HTTPStatus.UNAUTHORIZED, HTTPStatus.FORBIDDEN)
_IDEMPOTENCY_ERRORS = (HTTPStatus.CONFLICT, HTTPStatus.UNPROCESSABLE_ENTITY)


def _document_partner_operation(doc: dict, doc_info: dict, *, api, method: str, **_: Any) -> dict:
    """A flask-smorest doc callback; it runs before the responses are rendered."""
    mutating = method.upper() in MUTATING_METHODS
    parameters = doc.setdefault("parameters", [])
    parameters.append(dict(_AUTH_KIND_PARAMETER))
    if mutating:
        parameters.append(dict(_IDEMPOTENCY_PARAMETER))
    responses = doc_info.setdefault("response", {}).setdefault("responses", {})
    for status, entries in responses.items():
        if int(status) >= 400:  # an error documented without a body answers the envelope
            for entry in entries:
                if isinstance(entry, Mapping) and entry.get("schema") is None:
                    entry["schema"] = api.ERROR_SCHEMA
    documented = {str(int(code)) for code in [*responses, *doc.get("responses", {})]}
    for status in _GUARD_ERRORS + (_IDEMPOTENCY_ERRORS if mutating else ()):
        if str(status.value) not in documented:
            responses[status.value] = [status.name]  # the registered envelope response
    return doc


class PartnerBlueprint(Blueprint, _TransactionalViews):
    """A flask-smorest Blueprint for Partner API routes (bearer-authenticated)."""

    ARGUMENTS_PARSER = _ArgumentsParser()

    def arguments(self, schema, *args, **kwargs):
        """As flask-smorest's, with a schema class instantiated once, here.

        webargs instantiates a schema class on every request it parses.
        """
        if isinstance(schema, type):
            schema = schema()
        return super().arguments(schema, *args, **kwargs)

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.before_request(guard.authenticate)
        # After the arguments' doc (which sets the parameters), before the responses'.
        self._prepare_doc_cbks.insert(1, _document_partner_operation)
