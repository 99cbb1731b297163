"""Error reports through sentry-sdk carry no token, secret, body or claim (a local transport)."""

from __future__ import annotations

import logging
import secrets

import pytest
import sentry_sdk
from sentry_sdk.transport import Transport

from partner_api import create_app
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


def test_an_unhandled_error_is_reported_without_the_token_the_body_or_the_claims(
    reported, vercel, monkeypatch
):
    client, transport = reported
    headers = vercel.user()
    token = headers["Authorization"].removeprefix("Bearer ")

    def fails(request, catalog):
        # A careless message: it quotes the caller's token.
        raise RuntimeError(f"upsert failed for {request.installation_id} with {token}")

    monkeypatch.setattr(service, "upsert", fails)
    client.set_cookie("session", COOKIE)
    response = client.put(URL, json=upsert_body(ACCESS_TOKEN), headers=headers)

    assert response.status_code == 500
    assert response.get_json()["error"]["code"] == "internal_error"
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
    for frame in exception["stacktrace"]["frames"]:
        assert "vars" not in frame


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
