"""Health probes, and the JSON log lines every request writes.

Requests here go to an app with no application context pushed by the test, so each
request gets its own `g`, as under gunicorn.
"""

from __future__ import annotations

import io
import json
import logging
import re
import sys

import pytest

from partner_api import create_app
from partner_api.extensions import db
from partner_api.logs import JsonFormatter
from partner_api.version import __version__
from tests.conftest import INSTALLATION_ID, upsert_body

URL = f"/v1/installations/{INSTALLATION_ID}"
ACCESS_TOKEN = "vercel-access-token-LOGCHECK-7f3a9c"
GENERATED_ID = re.compile(r"[0-9a-f]{32}")


def serve(settings: dict):
    """A fresh app and a client for it; the app's engine is disposed by the caller."""
    served = create_app(settings)
    return served, served.test_client()


def dispose(served) -> None:
    with served.app_context():
        db.engine.dispose()


def json_handler() -> logging.Handler:
    """The root handler create_app configured."""
    (handler,) = [h for h in logging.getLogger().handlers if isinstance(h.formatter, JsonFormatter)]
    return handler


@pytest.fixture
def served(app, app_settings):
    """An app on the test database (`app` migrates and empties it), its client, its logs."""
    served, client = serve({**app_settings, "LOG_LEVEL": "DEBUG"})
    handler = json_handler()
    stream = io.StringIO()
    previous = handler.setStream(stream)
    yield client, stream
    handler.setStream(previous)
    dispose(served)


def lines(stream: io.StringIO) -> list[dict]:
    """Every line written so far; each must be one JSON object."""
    return [json.loads(line) for line in stream.getvalue().splitlines()]


def access_lines(stream: io.StringIO) -> list[dict]:
    return [line for line in lines(stream) if line["logger"] == "partner_api.access"]


# --- probes ------------------------------------------------------------------------------------


def test_healthz_is_public(served):
    client, _ = served
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.get_json() == {"status": "ok", "version": __version__}


def test_readyz_is_public_and_checks_the_database(served):
    client, _ = served
    response = client.get("/readyz")
    assert response.status_code == 200
    assert response.get_json() == {"status": "ok", "database": "ok", "signing_keys": "ok"}


def test_readyz_is_503_without_signing_keys_and_ready_once_they_can_be_read(
    app, app_settings, tmp_path, jwks_file
):
    missing = tmp_path / "jwks.json"
    served, client = serve({**app_settings, "VERCEL_JWKS_URL": missing.as_uri()})
    try:
        response = client.get("/readyz")
        assert response.status_code == 503
        assert response.get_json() == {
            "status": "unavailable",
            "database": "ok",
            "signing_keys": "unavailable",
        }
        missing.write_bytes(jwks_file.read_bytes())
        served.extensions["jwks"].invalidate()  # no waiting out the fetch's cooldown
        assert client.get("/readyz").status_code == 200
    finally:
        dispose(served)


UNREACHABLE = {
    "sqlite_in_missing_directory": "sqlite:////nonexistent-partner-api-dir/sub/db.sqlite3",
    "postgres_port_closed": "postgresql+psycopg://probe:pw-not-logged@127.0.0.1:1/none",
}


@pytest.mark.parametrize("url", UNREACHABLE.values(), ids=UNREACHABLE.keys())
def test_readyz_is_503_when_the_database_is_unreachable(app_settings, url):
    served, client = serve({**app_settings, "SQLALCHEMY_DATABASE_URI": url})
    try:
        response = client.get("/readyz")
        assert response.status_code == 503
        assert response.get_json() == {"status": "unavailable", "database": "unreachable"}
        assert "pw-not-logged" not in response.get_data(as_text=True)
        assert client.get("/healthz").status_code == 200  # liveness does not depend on it
    finally:
        dispose(served)


# --- request ids --------------------------------------------------------------------------------


def test_every_request_writes_one_access_line(served, vercel):
    client, stream = served
    client.put(URL, json=upsert_body(), headers=vercel.user())
    client.get(URL, headers={"Authorization": "Bearer nope"})
    client.get("/v1/nowhere")

    upsert, refused, unknown = access_lines(stream)
    assert upsert["method"] == "PUT" and upsert["path"] == URL and upsert["status"] == 200
    assert upsert["installation_id"] == INSTALLATION_ID and upsert["auth_kind"] == "user"
    assert upsert["level"] == "INFO" and upsert["message"] == "request"
    assert isinstance(upsert["duration_ms"], float)
    assert refused["status"] == 401
    assert refused["installation_id"] is None and refused["auth_kind"] is None
    assert unknown["status"] == 404 and unknown["path"] == "/v1/nowhere"


def test_an_incoming_request_id_is_echoed_and_logged(served):
    client, stream = served
    response = client.get("/healthz", headers={"X-Request-Id": "vercel-req_01:abc.DEF"})
    assert response.headers["X-Request-Id"] == "vercel-req_01:abc.DEF"
    assert access_lines(stream)[-1]["request_id"] == "vercel-req_01:abc.DEF"


def test_without_a_request_id_each_request_gets_its_own(served):
    client, stream = served
    ids = [client.get("/healthz").headers["X-Request-Id"] for _ in range(3)]
    assert len(set(ids)) == 3
    assert all(GENERATED_ID.fullmatch(request_id) for request_id in ids)
    assert [line["request_id"] for line in access_lines(stream)] == ids


UNSAFE_IDS = {
    "too_long": "a" * 129,
    "spaces": "abc def",
    "quotes": 'abc"},"level":"ERROR',
    "trailing_newline": "abc\n",
    "crlf_injection": "abc\r\nSet-Cookie: x=1",
    "empty": "",
}


@pytest.mark.parametrize("unsafe", UNSAFE_IDS.values(), ids=UNSAFE_IDS.keys())
def test_an_unsafe_request_id_is_replaced(served, unsafe):
    client, stream = served
    # Through the WSGI environ, as a lenient server could pass it on.
    response = client.get("/healthz", environ_overrides={"HTTP_X_REQUEST_ID": unsafe})
    assert response.status_code == 200
    echoed = response.headers["X-Request-Id"]
    assert GENERATED_ID.fullmatch(echoed)
    (line,) = access_lines(stream)
    assert line["request_id"] == echoed
    if unsafe:
        assert unsafe not in stream.getvalue()


def test_errors_are_logged_with_their_request_id(app_settings):
    served, client = serve({**app_settings, "PROPAGATE_EXCEPTIONS": False})
    served.add_url_rule("/boom", "boom", lambda: 1 / 0)
    handler = json_handler()
    stream = io.StringIO()
    previous = handler.setStream(stream)
    try:
        response = client.get("/boom", headers={"X-Request-Id": "trace-me"})
    finally:
        handler.setStream(previous)
        dispose(served)
    assert response.status_code == 500
    errors = [line for line in lines(stream) if line["level"] == "ERROR"]
    assert errors and all(line["request_id"] == "trace-me" for line in errors)
    assert any("ZeroDivisionError" in line.get("exception", "") for line in errors)


# --- secrets stay out of the logs ----------------------------------------------------------


def test_tokens_never_reach_the_logs(served, vercel, signing_key):
    client, stream = served
    bearer = vercel.user_token()
    user = {"Authorization": f"Bearer {bearer}", "X-Vercel-Auth": "user"}
    keyed = {**user, "Idempotency-Key": "install-1"}

    client.put(URL, json=upsert_body(ACCESS_TOKEN), headers=keyed)
    client.put(URL, json=upsert_body(ACCESS_TOKEN), headers=keyed)  # replayed
    client.put(URL, json=upsert_body(ACCESS_TOKEN + "-other"), headers=keyed)  # 422
    client.put(URL, json={"credentials": {"access_token": ACCESS_TOKEN}}, headers=user)  # 400
    client.put(URL, data="{" + ACCESS_TOKEN, headers={**user, "Content-Type": "application/json"})
    client.get(URL, headers={"Authorization": f"Bearer {bearer}", "X-Vercel-Auth": "system"})
    client.delete(URL, headers=user)

    output = stream.getvalue()
    assert len(access_lines(stream)) == 7
    assert bearer not in output
    assert bearer.rsplit(".", 1)[-1] not in output  # not even its signature
    assert ACCESS_TOKEN not in output


def test_an_exception_quoting_a_token_is_logged_without_it(vercel):
    bearer = vercel.user_token()
    try:
        raise RuntimeError(f"upstream refused Authorization: Bearer {bearer} and {bearer}")
    except RuntimeError:
        record = logging.LogRecord("x", logging.ERROR, __file__, 1, "failed", (), sys.exc_info())

    line = json.loads(JsonFormatter().format(record))

    assert "RuntimeError: upstream refused" in line["exception"]
    assert bearer not in line["exception"]
    assert bearer.rsplit(".", 1)[-1] not in line["exception"]
