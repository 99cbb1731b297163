"""Headless Chromium driven through the Chrome DevTools Protocol, with no extra package.

Chromium is started with `--remote-debugging-pipe`: it reads protocol commands from file
descriptor 3 and writes answers and events to descriptor 4, each message one JSON text
ended by a NUL byte. That needs neither a WebSocket client nor a WebDriver.
"""

from __future__ import annotations

import base64
import contextlib
import fcntl
import json
import os
import select
import shutil
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

BINARIES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")
FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
    "--no-proxy-server",
    "--window-size=1280,1600",
    "--remote-debugging-pipe",
)


# Started in place of Chromium: moves the pipe ends to descriptors 3 and 4, then becomes
# Chromium (a preexec_fn would do it in the forked child, which is unsafe with threads).
_ON_3_AND_4 = (
    "import os, sys; os.dup2(int(sys.argv[1]), 3); os.dup2(int(sys.argv[2]), 4); "
    "os.execv(sys.argv[3], sys.argv[3:])"
)


class BrowserError(RuntimeError):
    """Chromium answered a command with an error, or did not answer in time."""


def find_binary() -> str | None:
    configured = os.environ.get("CHROMIUM_BINARY")
    if configured:
        return shutil.which(configured)
    return next((path for path in map(shutil.which, BINARIES) if path), None)


def _above_stdio(fd: int) -> int:
    """The same pipe end on a descriptor ≥ 10, so that moving it to 3 or 4 cannot clash."""
    high = fcntl.fcntl(fd, fcntl.F_DUPFD_CLOEXEC, 10)
    os.close(fd)
    return high


class Chromium:
    """One headless Chromium process; `open_page()` gives a tab to drive."""

    def __init__(self, binary: str, profile: Path, log: Path, timeout: float = 20.0) -> None:
        self.timeout = timeout
        to_chromium, self._commands = os.pipe()
        self._answers, from_chromium = os.pipe()
        to_chromium, from_chromium = _above_stdio(to_chromium), _above_stdio(from_chromium)
        arguments = [*FLAGS, f"--user-data-dir={profile}", "about:blank"]
        with log.open("wb") as output:
            self._process = subprocess.Popen(
                [
                    sys.executable,
                    "-c",
                    _ON_3_AND_4,
                    str(to_chromium),
                    str(from_chromium),
                    binary,
                    *arguments,
                ],
                pass_fds=(to_chromium, from_chromium),
                stdin=subprocess.DEVNULL,
                stdout=output,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        os.close(to_chromium)
        os.close(from_chromium)
        self._buffer = b""
        self._last_id = 0

    def send(
        self, method: str, params: dict[str, Any] | None = None, session_id: str | None = None
    ) -> dict[str, Any]:
        """Run one command and return its result; events arriving meanwhile are dropped."""
        self._last_id += 1
        message: dict[str, Any] = {"id": self._last_id, "method": method, "params": params or {}}
        if session_id:
            message["sessionId"] = session_id
        data = json.dumps(message).encode() + b"\0"
        while data:
            data = data[os.write(self._commands, data) :]
        deadline = time.monotonic() + self.timeout
        while True:
            reply = self._next_message(deadline, method)
            if reply.get("id") == self._last_id:
                if "error" in reply:
                    raise BrowserError(f"{method}: {reply['error']}")
                return reply.get("result", {})

    def _next_message(self, deadline: float, method: str) -> dict[str, Any]:
        while b"\0" not in self._buffer:
            remaining = deadline - time.monotonic()
            readable, _, _ = select.select([self._answers], [], [], max(remaining, 0))
            if not readable:
                raise BrowserError(f"{method}: no answer within {self.timeout} s")
            chunk = os.read(self._answers, 1 << 16)
            if not chunk:
                raise BrowserError(f"{method}: Chromium closed the pipe (exited?)")
            self._buffer += chunk
        message, _, self._buffer = self._buffer.partition(b"\0")
        return json.loads(message)

    def open_page(self) -> Page:
        target = self.send("Target.createTarget", {"url": "about:blank"})["targetId"]
        attached = self.send("Target.attachToTarget", {"targetId": target, "flatten": True})
        return Page(self, attached["sessionId"])

    def close(self) -> None:
        with contextlib.suppress(BrowserError, OSError):  # it may be gone already
            self.send("Browser.close")
        try:
            self._process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            os.killpg(self._process.pid, 9)
            self._process.wait(timeout=10)
        finally:
            os.close(self._commands)
            os.close(self._answers)


class Page:
    """A tab: navigate, read the DOM, type like a user, take screenshots."""

    def __init__(self, browser: Chromium, session_id: str) -> None:
        self._browser = browser
        self._session_id = session_id

    def send(self, method: str, **params: Any) -> dict[str, Any]:
        return self._browser.send(method, params, self._session_id)

    def navigate(self, url: str) -> None:
        self.send("Page.navigate", url=url)

    def evaluate(self, expression: str) -> Any:
        """The value of a JavaScript expression in the page (DevTools is exempt from CSP)."""
        result = self.send("Runtime.evaluate", expression=expression, returnByValue=True)
        if "exceptionDetails" in result:
            raise BrowserError(f"{expression!r}: {result['exceptionDetails'].get('text')}")
        return result["result"].get("value")

    def wait_for(self, expression: str, timeout: float = 20.0) -> None:
        """Poll until `expression` is truthy; navigation in between is tolerated."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                if self.evaluate(expression):
                    return
            except BrowserError:  # the document is being replaced
                pass
            time.sleep(0.1)
        location = self.evaluate("location.href")
        raise BrowserError(f"still false after {timeout} s at {location}: {expression}")

    def type_into(self, selector: str, text: str) -> None:
        """Focus a field and type `text` into it, as keyboard input."""
        self.evaluate(f"document.querySelector({json.dumps(selector)}).focus()")
        self.send("Input.insertText", text=text)

    def press_enter(self) -> None:
        key = {"key": "Enter", "code": "Enter", "windowsVirtualKeyCode": 13}
        self.send("Input.dispatchKeyEvent", type="keyDown", text="\r", **key)
        self.send("Input.dispatchKeyEvent", type="keyUp", **key)

    def html(self) -> str:
        return self.evaluate("document.documentElement.outerHTML")

    def cookies(self, url: str) -> list[dict[str, Any]]:
        return self.send("Network.getCookies", urls=[url])["cookies"]

    def screenshot(self, path: Path) -> Path:
        shot = self.send("Page.captureScreenshot", format="png", captureBeyondViewport=True)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(base64.b64decode(shot["data"]))
        return path
