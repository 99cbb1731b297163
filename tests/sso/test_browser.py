"""The dashboard in a real browser: headless Chromium signs in through the Redirect Login
URL, lands on the resource page and runs console commands.

The app runs in a thread (werkzeug) and calls a stub of Vercel's token endpoint on
127.0.0.1 (`responses` cannot reach into another process's requests). The screenshot is
saved to test-output/sso/ at the repository root.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from werkzeug.serving import make_server

from tests.conftest import CLIENT_ID, CLIENT_SECRET
from tests.sso.chromium import Chromium, find_binary

pytestmark = pytest.mark.e2e

ROOT = Path(__file__).resolve().parents[2]
SCREENSHOT = ROOT / "test-output" / "sso" / "dashboard-repl.png"
TOKEN_PATH = "/v1/integrations/sso/token"


class TokenEndpoint(ThreadingHTTPServer):
    """Vercel's SSO token endpoint (V17): answers a well-formed exchange with an id_token."""

    daemon_threads = True

    def __init__(self, id_token: Callable[[], str]) -> None:
        super().__init__(("127.0.0.1", 0), _TokenHandler)
        self.id_token = id_token
        self.exchanges: list[dict[str, Any]] = []

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_port}"


class _TokenHandler(BaseHTTPRequestHandler):
    server: TokenEndpoint

    def do_POST(self) -> None:
        body = json.loads(self.rfile.read(int(self.headers.get("Content-Length", 0))))
        self.server.exchanges.append(body)
        valid = (
            self.path == TOKEN_PATH
            and body.get("client_id") == CLIENT_ID
            and body.get("client_secret") == CLIENT_SECRET
            and body.get("grant_type") == "authorization_code"
        )
        reply = {"id_token": self.server.id_token(), "access_token": None, "token_type": None}
        self._answer(200, reply) if valid else self._answer(400, {"error": {"code": "bad"}})

    def _answer(self, status: int, body: dict[str, Any]) -> None:
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, format: str, *args: Any) -> None:  # quiet
        pass


def serve(server) -> threading.Thread:
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    return thread


@pytest.fixture
def chromium_binary() -> str:
    binary = find_binary()
    if binary is None:
        pytest.skip(
            "no Chromium binary on PATH (chromium, chromium-browser or google-chrome; "
            "or set CHROMIUM_BINARY): `apt-get install -y chromium` to run the browser test"
        )
    return binary


@pytest.fixture
def token_endpoint(vercel) -> Iterator[TokenEndpoint]:
    endpoint = TokenEndpoint(lambda: vercel.user_token(user_name="Ada Lovelace"))
    thread = serve(endpoint)
    yield endpoint
    endpoint.shutdown()
    endpoint.server_close()
    thread.join(timeout=10)


@pytest.fixture
def live_app(app, token_endpoint) -> Iterator[str]:
    """The app on 127.0.0.1 in a thread, calling the stub instead of Vercel."""
    app.config["VERCEL_API_URL"] = token_endpoint.url
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = serve(server)
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    server.server_close()
    thread.join(timeout=10)


@pytest.fixture
def browser(chromium_binary, tmp_path) -> Iterator[Chromium]:
    log = tmp_path / "chromium.log"
    chromium = Chromium(chromium_binary, tmp_path / "profile", log)
    try:
        yield chromium
    finally:
        chromium.close()


def run_command(page, command: str) -> None:
    # Typed into a page still loading, the text can be lost: Enter then submits nothing.
    page.wait_for("document.readyState === 'complete'")
    page.type_into("#repl-command", command)
    page.wait_for(f"document.querySelector('#repl-command').value === {json.dumps(command)}")
    page.press_enter()
    page.wait_for(
        "document.querySelector('#repl-output .repl-command code')?.textContent === "
        + json.dumps(command)
    )


def test_sign_in_and_run_console_commands_in_chromium(live_app, token_endpoint, browser, resource):
    resource_id = resource["id"]
    page = browser.open_page()

    page.navigate(
        f"{live_app}/sso/callback?mode=sso&code=browser-code&state=browser-state"
        f"&resource_id={resource_id}"
    )
    page.wait_for(
        f"location.pathname === '/dashboard/resources/{resource_id}' "
        "&& document.readyState === 'complete' && !!document.querySelector('#repl-command')"
    )
    assert [(e["code"], e["state"]) for e in token_endpoint.exchanges] == [
        ("browser-code", "browser-state")
    ]
    assert "Ada Lovelace" in page.evaluate("document.querySelector('.who').textContent")

    run_command(page, "SET greeting hello")
    page.wait_for("document.querySelector('#repl-output').textContent.includes('OK')")
    run_command(page, "GET greeting")
    page.wait_for(
        "[...document.querySelectorAll('#repl-output .repl-paragraph')]"
        ".some(p => p.textContent.trim() === 'hello')"
    )

    html = page.html()
    output = html[html.index('id="repl-output"') :]
    assert "GET greeting" in output and ">hello<" in output
    [cookie] = page.cookies(live_app)
    assert cookie["httpOnly"] and cookie["sameSite"] == "Lax"
    assert page.evaluate("document.cookie") == ""  # invisible to scripts

    shot = page.screenshot(SCREENSHOT)
    print(f"screenshot: {shot}")
    assert shot.stat().st_size > 0
    assert shot.read_bytes().startswith(b"\x89PNG\r\n\x1a\n")
