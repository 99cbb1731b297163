"""A TCP proxy on 127.0.0.1 that a test can cut and restore: a database outage on demand.

The app is pointed at the proxy instead of the shared Postgres server. `cut()` closes every
connection through it and refuses new ones (each is closed as soon as it is accepted), as a
stopped or unreachable server would; `restore()` lets connections through again. The shared
server itself is never touched.
"""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import make_url

from tests.conftest import running_app

CHUNK = 64 * 1024


class TcpProxy:
    def __init__(self, target_host: str, target_port: int) -> None:
        self.target = (target_host, target_port)
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.port = self._listener.getsockname()[1]
        self._lock = threading.Lock()
        self._open: set[socket.socket] = set()
        self._cut = False
        self._closed = False
        self.refused = 0  # connections turned away while cut
        threading.Thread(target=self._accept, name="tcp-proxy", daemon=True).start()

    def url_for(self, database_url: str) -> str:
        """`database_url` with its host and port replaced by the proxy's."""
        proxied = make_url(database_url).set(host="127.0.0.1", port=self.port)
        return proxied.render_as_string(hide_password=False)

    def cut(self) -> None:
        with self._lock:
            self._cut = True
            sockets, self._open = self._open, set()
        for sock in sockets:
            _close(sock)

    def restore(self) -> None:
        with self._lock:
            self._cut = False

    def close(self) -> None:
        self._closed = True
        self.cut()
        _close(self._listener)

    def _accept(self) -> None:
        while not self._closed:
            try:
                client, _ = self._listener.accept()
            except OSError:
                return
            with self._lock:
                refused = self._cut
                if refused:
                    self.refused += 1
            if refused:
                _close(client)
                continue
            try:
                server = socket.create_connection(self.target)
            except OSError:
                _close(client)
                continue
            with self._lock:
                self._open.update((client, server))
            for source, sink in ((client, server), (server, client)):
                threading.Thread(target=_pump, args=(source, sink), daemon=True).start()


def _pump(source: socket.socket, sink: socket.socket) -> None:
    with suppress(OSError):
        while data := source.recv(CHUNK):
            sink.sendall(data)
    _close(source)
    _close(sink)


def _close(sock: socket.socket) -> None:
    with suppress(OSError):
        sock.shutdown(socket.SHUT_RDWR)
    with suppress(OSError):
        sock.close()


@contextmanager
def proxy_to(database_url: str) -> Iterator[TcpProxy]:
    """A proxy in front of the server of `database_url`, closed afterwards."""
    url = make_url(database_url)
    proxy = TcpProxy(url.host or "127.0.0.1", url.port or 5432)
    try:
        yield proxy
    finally:
        proxy.close()


@contextmanager
def app_behind_proxy(settings: dict[str, Any]) -> Iterator[tuple[Flask, TcpProxy]]:
    """An app (inside its app context) whose database is reached through a proxy.

    Postgres only (SQLite has no server to cut off); the proxy is restored before the app
    empties its tables, whatever the test left it in.
    """
    url = settings["SQLALCHEMY_DATABASE_URI"]
    if not url.startswith("postgresql"):
        pytest.skip("a database outage is staged on Postgres (TEST_DATABASE_URL)")
    with proxy_to(url) as proxy, running_app(
        {**settings, "SQLALCHEMY_DATABASE_URI": proxy.url_for(url)}
    ) as app:
        try:
            yield app, proxy
        finally:
            proxy.restore()
