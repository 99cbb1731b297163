"""Anonymous callers cannot make the server log above INFO, on any route and any method, and
HEAD on a Partner API GET route is held to the GET's policy (same auth, no body)."""

from __future__ import annotations

import logging
import re

from tests.conftest import INSTALLATION_ID

GARBAGE_TOKEN = "eyJhbGciOiJSUzI1NiIsImtpZCI6Im5vcGUifQ.eyJzdWIiOiJ4In0.c2ln"
ANONYMOUS_HEADERS = [
    {},
    {"Authorization": "Bearer not-a-token"},
    {"Authorization": f"Bearer {GARBAGE_TOKEN}", "X-Vercel-Auth": "system"},
    {"Authorization": "Basic dXNlcjpwYXNz", "X-Vercel-Auth": "nobody"},
]
_ARGUMENT = re.compile(r"<(?:[a-z]+:)?([a-z_]+)>")


def _path(rule: str) -> str:
    def value(match: re.Match) -> str:
        return INSTALLATION_ID if match.group(1) == "installation_id" else "unknown_1"

    return _ARGUMENT.sub(value, rule)


def _every_route_and_method(app) -> list[tuple[str, str]]:
    return sorted(
        (method, _path(rule.rule))
        for rule in app.url_map.iter_rules()
        for method in rule.methods or ()
    )


def _partner_get_routes(app) -> list[str]:
    return sorted(
        _path(rule.rule)
        for rule in app.url_map.iter_rules()
        if rule.rule.startswith("/v1/") and "GET" in (rule.methods or ())
    )


def test_no_anonymous_request_logs_above_info(app, client, caplog):
    caplog.set_level(logging.DEBUG)
    calls = _every_route_and_method(app)
    assert len(calls) > 40  # every route of the app, not a handful

    for method, path in calls:
        for headers in ANONYMOUS_HEADERS:
            response = client.open(path, method=method, headers=headers, data=b"{}")
            assert response.status_code < 500, (method, path, response.status_code)

    loud = [
        (record.levelname, record.name, record.getMessage())
        for record in caplog.records
        if record.levelno > logging.INFO
    ]
    assert loud == []


def test_head_on_a_partner_get_route_without_a_token_is_401_like_get(app, client, caplog):
    caplog.set_level(logging.DEBUG)
    for path in _partner_get_routes(app):
        get, head = client.get(path), client.head(path)

        assert head.status_code == get.status_code == 401, path
        assert head.data == b""
    assert not [record for record in caplog.records if record.levelno > logging.INFO]


def test_head_with_a_valid_token_answers_as_get_without_a_body(client, vercel, installed):
    path = f"/v1/installations/{installed}"

    get = client.get(path, headers=vercel.system())
    head = client.head(path, headers=vercel.system())

    assert get.status_code == head.status_code == 200
    assert get.data and head.data == b""
    assert head.headers["Content-Type"] == get.headers["Content-Type"]


def test_head_is_held_to_the_installation_binding_of_get(client, vercel, installed):
    other = vercel.system("icfg_someoneelse000000000000")

    assert client.head(f"/v1/installations/{installed}", headers=other).status_code == 403
