"""A local HTTP service whose answer depends on what it is sent (on 127.0.0.1).

Apprise's ``json://`` and ``ntfy://`` targets post here. Each POST is recorded
(path, headers, JSON or form body) and answered with ``answer(body)``: 200 by default,
or any status a test chooses for that content (a message the service chokes on
answers 500 every time while the others go through), or ``status`` for every
request (a deleted webhook: 404).
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs


@dataclass(frozen=True)
class Request:
    """One POST the service received, whatever it answered."""

    path: str
    headers: dict[str, str]
    body: dict[str, Any]
    status: int


class AnsweringService:
    """Records each POST in ``requests``; answers ``status`` if set, else ``answer(body)``."""

    def __init__(self, answer: Callable[[dict[str, Any]], int] | None = None) -> None:
        self.requests: list[Request] = []
        self.answer = answer or (lambda body: 200)
        self.status: int | None = None
        self._lock = threading.Lock()
        service = self

        class _Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: Any) -> None:
                pass

            def do_POST(self) -> None:
                raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                body: dict[str, Any]
                if "form-urlencoded" in (self.headers.get("Content-Type") or ""):
                    body = {k: v[0] for k, v in parse_qs(raw.decode()).items()}
                else:
                    try:
                        body = json.loads(raw or b"{}")
                    except ValueError:
                        body = {"raw": raw.decode("utf-8", "replace")}
                status = service.status or service.answer(body)
                with service._lock:
                    service.requests.append(Request(self.path, dict(self.headers), body, status))
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"{}")

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
        self.httpd.daemon_threads = True
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    @property
    def port(self) -> int:
        return int(self.httpd.server_address[1])

    def accepted(self) -> list[Request]:
        """The requests answered 2xx (what the team saw)."""
        with self._lock:
            return [r for r in self.requests if 200 <= r.status < 300]

    def stop(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
