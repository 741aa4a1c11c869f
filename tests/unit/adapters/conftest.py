"""Fixtures for adapter tests: a scriptable local HTTP server, a loopback-only socket
guard, and a real Dovecot IMAP server (see ``tests/unit/adapters/dovecot.py``)."""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from tests.servers.loopback import guard_loopback
from tests.unit.adapters.dovecot import Dovecot, dovecot_or_skip

Route = Callable[[BaseHTTPRequestHandler], None]


class ScriptedServer:
    """A threaded HTTP server on 127.0.0.1; ``routes[path](handler)`` writes the answer
    (to a GET or a POST, whose body ``posted`` records)."""

    def __init__(self) -> None:
        self.routes: dict[str, Route] = {}
        self.hits: list[str] = []
        self.posted: list[bytes] = []
        routes, hits, posted = self.routes, self.hits, self.posted

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: Any) -> None:
                pass

            def do_GET(self) -> None:
                hits.append(self.path)
                route = routes.get(self.path.split("?", 1)[0])
                if route is None:
                    self.send_error(404)
                    return
                # The client giving up mid-answer is what hostile tests expect.
                with contextlib.suppress(BrokenPipeError, ConnectionResetError):
                    route(self)

            def do_POST(self) -> None:
                posted.append(self.rfile.read(int(self.headers.get("Content-Length") or 0)))
                self.do_GET()

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self.port = self._server.server_address[1]
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def start(self) -> ScriptedServer:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()


def reply(
    body: bytes,
    *,
    status: int = 200,
    content_type: str = "application/xml",
    headers: dict[str, str] | None = None,
) -> Route:
    """A route answering ``body`` with ``status`` and ``headers``."""

    def route(handler: BaseHTTPRequestHandler) -> None:
        handler.send_response(status)
        handler.send_header("Content-Type", content_type)
        handler.send_header("Content-Length", str(len(body)))
        for name, value in (headers or {}).items():
            handler.send_header(name, value)
        handler.end_headers()
        handler.wfile.write(body)

    return route


@pytest.fixture
def server() -> Iterator[ScriptedServer]:
    """A scriptable HTTP server on loopback."""
    srv = ScriptedServer().start()
    yield srv
    srv.stop()


@pytest.fixture
def connections(monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, int]]:
    """Every TCP connect attempted during the test; any non-loopback one fails the test.

    Patched on the socket class, so it sees connections made by httpcore,
    imaplib and anything else, and stops them before a packet is sent.
    """
    return guard_loopback(monkeypatch)


@pytest.fixture(autouse=True)
def _loopback_only(connections: list[tuple[str, int]]) -> None:
    """Every adapter test runs under the loopback-only guard."""


@pytest.fixture(scope="session")
def dovecot_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Dovecot]:
    """A Dovecot IMAP server on 127.0.0.1 (implicit TLS and plain), for the whole session."""
    binary = dovecot_or_skip()
    server = Dovecot(binary, tmp_path_factory.mktemp("dovecot"))
    server.start()
    yield server
    server.stop()
