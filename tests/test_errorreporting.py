"""Error reports through sentry-sdk carry no token, secret, body or claim (a local transport)."""

from __future__ import annotations

import json
import logging
import secrets

import pytest
import sentry_sdk
from sentry_sdk.transport import Transport

from partner_api import create_app, redaction
from partner_api.extensions import db
from partner_api.installations import service
from tests.conftest import INSTALLATION_ID, upsert_body

DSN = "https://public-key@sentry.invalid/1"
# Made at run time: the source lines sent with a stack trace cannot hold them.
ACCESS_TOKEN = f"vercel-access-token-{secrets.token_hex(8)}"
COOKIE = secrets.token_hex(8)
URL = f"/v1/installations/{INSTALLATION_ID}"


class CapturingTransport(Transport):
    """Keeps every envelope in memory; nothing leaves the process."""

    def __init__(self) -> None:
        super().__init__()
        self.envelopes: list = []

    def capture_envelope(self, envelope) -> None:
        self.envelopes.append(envelope)

    def events(self) -> list[dict]:
        return [e.get_event() for e in self.envelopes if e.get_event() is not None]

    def sent(self) -> bytes:
        return b"".join(envelope.serialize() for envelope in self.envelopes)


@pytest.fixture
def reported(app, app_settings):
    """A client of an app reporting to Sentry through a capturing transport."""
    yield from reporting_app(app_settings)


@pytest.fixture
def unscrubbed(app, app_settings, monkeypatch):
    """The same, with `before_send` letting every event through as sentry-sdk made it."""
    monkeypatch.setattr(redaction, "scrub_event", lambda event, hint: event)
    yield from reporting_app(app_settings)


def reporting_app(app_settings):
    transport = CapturingTransport()
    # PROPAGATE_EXCEPTIONS off: an unhandled error is answered (500), as in production.
    settings = {**app_settings, "SENTRY_DSN": DSN, "SENTRY_TRANSPORT": transport,
                "PROPAGATE_EXCEPTIONS": False}
    served = create_app(settings)
    yield served.test_client(), transport
    sentry_sdk.get_client().close()
    sentry_sdk.get_global_scope().set_client(None)
    with served.app_context():
        db.engine.dispose()


def fail_an_upsert(client, vercel, monkeypatch) -> str:
    """An Upsert Installation whose service raises, with secrets everywhere; its token."""
    headers = vercel.user()
    token = headers["Authorization"].removeprefix("Bearer ")

    def fails(request, catalog):
        # A careless message: it quotes the caller's token.
        raise RuntimeError(f"upsert failed for {request.installation_id} with {token}")

    monkeypatch.setattr(service, "upsert", fails)
    client.set_cookie("theme", COOKIE)  # a name no denylist knows
    response = client.put(f"{URL}?code=one-time-{COOKIE}", json=upsert_body(ACCESS_TOKEN),
                          headers=headers)
    assert response.status_code == 500
    return token


def test_an_unhandled_error_is_reported_without_the_token_the_body_or_the_claims(
    reported, vercel, monkeypatch
):
    client, transport = reported
    token = fail_an_upsert(client, vercel, monkeypatch)
    (event,) = [e for e in transport.events() if e.get("exception")]
    (exception,) = event["exception"]["values"]
    assert exception["type"] == "RuntimeError"
    assert exception["value"] == f"upsert failed for {INSTALLATION_ID} with [Filtered]"
    assert event["request"]["method"] == "PUT"
    assert event["request"]["url"].endswith(URL)
    assert event["request"]["headers"]["Authorization"] == "[Filtered]"
    assert set(event["request"]) <= {"method", "url", "headers"}
    sent = transport.sent()
    for secret in (token, ACCESS_TOKEN, COOKIE, "owner@acme.test"):
        assert secret.encode() not in sent, secret


def test_sentry_sdk_itself_collects_no_body_cookie_query_or_frame_variables(
    unscrubbed, vercel, monkeypatch
):
    client, transport = unscrubbed
    token = fail_an_upsert(client, vercel, monkeypatch)
    (event,) = [e for e in transport.events() if e.get("exception")]
    request = json.dumps(event["request"])
    assert event["request"]["method"] == "PUT"
    assert "data" not in event["request"]
    assert "query_string" not in event["request"]
    for secret in (token, ACCESS_TOKEN, COOKIE):
        assert secret not in request
    assert "user" not in event
    for frame in event["exception"]["values"][0]["stacktrace"]["frames"]:
        assert "vars" not in frame
    assert ACCESS_TOKEN.encode() not in transport.sent()


def test_an_error_logged_with_a_secret_argument_is_reported_without_it(reported):
    _, transport = reported
    logging.getLogger("partner_api.jobs.queue").error(
        "job failed: %s", {"access_token": ACCESS_TOKEN, "kind": "example"}
    )
    (event,) = transport.events()
    assert ACCESS_TOKEN.encode() not in transport.sent()
    assert event["logentry"]["formatted"] == (
        "job failed: {'access_token': '[Filtered]', 'kind': 'example'}"
    )


def test_without_a_dsn_nothing_is_reported(app, app_settings):
    transport = CapturingTransport()
    create_app({**app_settings, "SENTRY_TRANSPORT": transport})
    assert not sentry_sdk.get_client().is_active()
