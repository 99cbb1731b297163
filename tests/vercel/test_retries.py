"""Retries, backoff and errors of the transport (§4: retry only 429/5xx/network errors).

`responses` replays urllib3's retry decisions without sleeping or opening sockets; the
connection-level cases and the sleeps use a scripted HTTP server on 127.0.0.1.
"""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
import requests
import responses
import urllib3.util.retry

from partner_api.vercel.client import VercelClient
from partner_api.vercel.errors import VercelApiError, VercelUnreachable
from partner_api.vercel.models import ResourceUpdated
from partner_api.vercel.outcomes import Outcome, outcome_of

TOKEN = "vercel-installation-token"
ICFG = "icfg_abc"
BASE = "https://api.vercel.test"
EVENTS = f"{BASE}/v1/installations/{ICFG}/events"


@pytest.fixture
def api():
    with responses.RequestsMock() as mock:
        yield mock


def send_event(client: VercelClient) -> None:
    client.create_event(ICFG, ResourceUpdated("res_1"))


@pytest.mark.parametrize("status", [429, 500, 502, 503, 504])
def test_a_post_is_retried_after_a_retryable_status(api, status):
    api.post(EVENTS, status=status)
    api.post(EVENTS, status=201)
    send_event(VercelClient(BASE, TOKEN))
    assert len(api.calls) == 2
    assert [call.response.status_code for call in api.calls] == [status, 201]
    assert api.calls[0].request.body == api.calls[1].request.body


def test_every_method_is_retried(api):
    api.get(f"{BASE}/v1/installations/{ICFG}/account", status=503)
    api.get(f"{BASE}/v1/installations/{ICFG}/account", json={"url": "u"})
    assert VercelClient(BASE, TOKEN).get_account(ICFG).url == "u"
    assert len(api.calls) == 2


def test_retries_are_bounded_and_end_in_a_typed_error(api):
    api.post(
        EVENTS,
        status=503,
        json={"error": {"code": "service_unavailable", "message": "Try later"}},
        headers={"x-vercel-id": "iad1::abc-123"},
    )
    with pytest.raises(VercelApiError) as raised:
        send_event(VercelClient(BASE, TOKEN))
    assert len(api.calls) == 4  # the first try and three retries
    error = raised.value
    assert (error.status, error.code, error.message) == (503, "service_unavailable", "Try later")
    assert error.vercel_id == "iad1::abc-123"
    assert outcome_of(error, uninstalled=True) is Outcome.UNREACHABLE
    assert TOKEN not in str(error)


@pytest.mark.parametrize("status", [400, 401, 403, 404, 409, 410, 422])
def test_client_errors_are_not_retried(api, status):
    api.post(EVENTS, status=status, json={"error": {"code": "nope", "message": "No."}})
    with pytest.raises(VercelApiError) as raised:
        send_event(VercelClient(BASE, TOKEN))
    assert len(api.calls) == 1
    assert raised.value.status == status


def test_an_error_body_that_is_not_vercels_shape_still_gives_a_typed_error(api):
    api.post(EVENTS, status=400, body="bad gateway html")
    with pytest.raises(VercelApiError) as raised:
        send_event(VercelClient(BASE, TOKEN))
    assert (raised.value.status, raised.value.code, raised.value.message) == (400, None, None)


def test_the_vercel_id_is_logged_and_the_token_never(api, caplog):
    api.post(EVENTS, status=201, headers={"x-vercel-id": "fra1::req-42"})
    with caplog.at_level(logging.DEBUG):
        send_event(VercelClient(BASE, TOKEN))
    assert "fra1::req-42" in caplog.text
    assert TOKEN not in caplog.text


# -- against a real socket -----------------------------------------------------------------


class ScriptedVercel(ThreadingHTTPServer):
    """Answers each request with the next step: "drop" closes the connection unanswered,
    an int is a status (with `headers`), the last step repeats."""

    daemon_threads = True

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), ScriptedHandler)
        self.steps: list = []
        self.headers: dict[str, str] = {}
        self.requests: list[dict] = []

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"

    def next_step(self):
        return self.steps[min(len(self.requests) - 1, len(self.steps) - 1)]


class ScriptedHandler(BaseHTTPRequestHandler):
    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length", 0))
        self.server.requests.append(json.loads(self.rfile.read(length)))
        step = self.server.next_step()
        if step == "drop":
            self.close_connection = True
            return
        self.send_response(step)
        for name, value in self.server.headers.items():
            self.send_header(name, value)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, format, *args) -> None:
        pass


@pytest.fixture
def scripted() -> Iterator[ScriptedVercel]:
    server = ScriptedVercel()
    thread = threading.Thread(target=server.serve_forever, args=(0.01,), daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()
    thread.join()


@pytest.fixture
def sleeps(monkeypatch) -> list[float]:
    """What urllib3 sleeps between tries, recorded instead of slept."""
    slept: list[float] = []
    monkeypatch.setattr(urllib3.util.retry.time, "sleep", slept.append)
    return slept


def test_a_dropped_connection_is_retried(scripted, sleeps):
    scripted.steps = ["drop", "drop", 201]
    send_event(VercelClient(scripted.url, TOKEN))
    assert len(scripted.requests) == 3
    assert (
        scripted.requests[0]
        == scripted.requests[2]
        == {"event": {"type": "resource.updated", "resourceId": "res_1"}}
    )


def test_connection_errors_give_up_with_a_typed_error(scripted, sleeps):
    scripted.steps = ["drop"]
    with pytest.raises(VercelUnreachable) as raised:
        send_event(VercelClient(scripted.url, TOKEN))
    assert len(scripted.requests) == 4
    assert isinstance(raised.value.__cause__, requests.ConnectionError)
    assert TOKEN not in str(raised.value)


def test_a_refused_connection_is_a_typed_error(sleeps):
    closed = ThreadingHTTPServer(("127.0.0.1", 0), ScriptedHandler)
    url = f"http://127.0.0.1:{closed.server_address[1]}"
    closed.server_close()
    with pytest.raises(VercelUnreachable, match="did not answer POST"):
        send_event(VercelClient(url, TOKEN))


def test_backoff_grows_exponentially_between_tries(scripted, sleeps):
    scripted.steps = [503, 503, 503, 201]
    send_event(VercelClient(scripted.url, TOKEN))
    assert len(scripted.requests) == 4
    assert sleeps == [1.0, 2.0]  # the first retry goes at once


def test_retry_after_is_honoured(scripted, sleeps):
    scripted.steps = [429, 201]
    scripted.headers = {"Retry-After": "7"}
    send_event(VercelClient(scripted.url, TOKEN))
    assert len(scripted.requests) == 2
    assert sleeps == [7]


def test_a_long_retry_after_is_cut_short(scripted, sleeps):
    scripted.steps = [503, 201]
    scripted.headers = {"Retry-After": "3600"}
    send_event(VercelClient(scripted.url, TOKEN))
    assert sleeps == [30]


def test_a_slow_answer_times_out_into_a_typed_error(scripted, sleeps, monkeypatch):
    answered = threading.Event()

    def never_answer(handler: ScriptedHandler) -> None:
        handler.server.requests.append({})
        answered.wait(5)

    monkeypatch.setattr(ScriptedHandler, "do_POST", never_answer)
    try:
        with pytest.raises(VercelUnreachable, match=r"ReadTimeout|ConnectionError"):
            send_event(VercelClient(scripted.url, TOKEN, timeout=(1, 0.05)))
    finally:
        answered.set()
    assert len(scripted.requests) == 4  # read timeouts are retried too
