"""A threaded HTTP server on 127.0.0.1 serving feed fixtures with ETag/Last-Modified."""

from __future__ import annotations

import contextlib
import hashlib
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass
class Resource:
    body: bytes
    content_type: str = "application/xml; charset=utf-8"
    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)

    @property
    def etag(self) -> str:
        return '"' + hashlib.sha1(self.body).hexdigest()[:16] + '"'


Handler = Callable[[BaseHTTPRequestHandler], None]


def answering_after(
    wait: Callable[[], object], body: bytes, content_type: str = "application/rss+xml"
) -> Handler:
    """A handler that calls ``wait`` (a sleep, an event) before answering 200 with ``body``:
    a slow server, or one the test holds while it looks at what the client does."""

    def handle(handler: BaseHTTPRequestHandler) -> None:
        wait()
        handler.send_response(200)
        handler.send_header("Content-Type", content_type)
        handler.send_header("Content-Length", str(len(body)))
        handler.end_headers()
        with contextlib.suppress(OSError):
            handler.wfile.write(body)

    return handle


class FeedServer:
    """Serve ``resources[path]``; answer 304 to a matching If-None-Match; log requests.

    ``host``: another loopback address (``127.0.0.2``) is another web site to a client
    that limits its fetches per site."""

    def __init__(self, host: str = "127.0.0.1") -> None:
        self.resources: dict[str, Resource] = {}
        self.handlers: dict[str, Handler] = {}
        self.requests: list[tuple[str, dict[str, str], int]] = []
        server = self

        class _Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: Any) -> None:
                pass

            def do_GET(self) -> None:
                if self.path in server.handlers:
                    server.handlers[self.path](self)
                    server.requests.append((self.path, dict(self.headers), -1))
                    return
                resource = server.resources.get(self.path)
                if resource is None:
                    status, body, headers = 404, b"not found", {"Content-Type": "text/plain"}
                elif resource.status == 200 and self.headers.get("If-None-Match") == resource.etag:
                    status, body, headers = 304, b"", {"ETag": resource.etag}
                else:
                    status, body = resource.status, resource.body
                    headers = {
                        "Content-Type": resource.content_type,
                        "ETag": resource.etag,
                        **resource.headers,
                    }
                server.requests.append((self.path, dict(self.headers), status))
                self.send_response(status)
                for key, value in headers.items():
                    self.send_header(key, value)
                if status != 304:
                    self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                if status != 304:
                    self.wfile.write(body)

        self.httpd = ThreadingHTTPServer((host, 0), _Handler)
        self.httpd.daemon_threads = True
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    @property
    def base_url(self) -> str:
        host, port = self.httpd.server_address[:2]
        return f"http://{host!s}:{port}"

    def url(self, path: str) -> str:
        return self.base_url + path

    def statuses(self, path: str) -> list[int]:
        return [status for p, _, status in self.requests if p == path]

    def start(self) -> FeedServer:
        self.thread.start()
        return self

    def stop(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
