"""The operator's HTTP endpoint: ``/healthz`` and ``/metrics`` (``[watchtower] http``).

Standard library only (``ThreadingHTTPServer`` in a daemon thread): two read-only
routes do not justify an ASGI stack next to APScheduler's threads.

* ``/livez``: the scheduler ticks (a job ran recently) — restart the process if not.
* ``/readyz``: the database answers a real query on a fresh connection — not
  the pool's, whose open SQLite handle keeps answering after the file is gone.
* ``/healthz``: both; 200 or 503 with a JSON body saying which part failed.
* ``/metrics``: Prometheus text format (see :mod:`watchtower.metrics`).
"""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import TYPE_CHECKING, Any

from prometheus_client.exposition import CONTENT_TYPE_LATEST, generate_latest
from sqlalchemy import Engine, create_engine, text
from sqlalchemy.pool import NullPool

from watchtower.errors import CannotListen
from watchtower.logs import kv
from watchtower.metrics import build_registry

if TYPE_CHECKING:
    from watchtower.app import App

__all__ = ["StatusServer", "probe_engine"]

log = logging.getLogger("watchtower.web")


def probe_engine(url: str) -> Engine:
    """An engine that opens a new connection per check and never creates the database."""
    if url.startswith("sqlite:///") and ":memory:" not in url:
        path = url.removeprefix("sqlite:///")
        # mode=rw: a missing file is an error instead of a new empty database.
        return create_engine(f"sqlite:///file:{path}?mode=rw&uri=true", poolclass=NullPool)
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url.removeprefix("postgresql://")
    connect_args = {"connect_timeout": 3} if url.startswith("postgresql") else {}
    return create_engine(url, poolclass=NullPool, connect_args=connect_args)


class StatusServer:
    """Serves the health and metrics routes for one :class:`App` until ``stop``."""

    def __init__(
        self,
        app: App,
        address: str,
        last_tick: Callable[[], datetime | None],
        stale_after: timedelta | None = None,
    ) -> None:
        self.app = app
        self.last_tick = last_tick
        section = app.loaded.config.watchtower
        # Three missed rounds of the slower job, plus slack for a slow database.
        self.stale_after = stale_after or (
            3 * max(section.poll_interval, section.drain_interval) + timedelta(seconds=30)
        )
        self.started = datetime.now(UTC)
        self.registry = build_registry(app.db, app.clock)
        self.probe = probe_engine(app.db.url)
        host, _, port = address.rpartition(":")
        try:
            self.httpd = ThreadingHTTPServer((host.strip("[]"), int(port)), self._handler())
        except OSError as exc:
            raise CannotListen(
                f"cannot serve [watchtower] http on {address}: {exc.strerror or exc}"
            ) from None
        self.httpd.daemon_threads = True
        self.thread = threading.Thread(target=self.httpd.serve_forever, name="http", daemon=True)

    @property
    def url(self) -> str:
        host, port = self.httpd.server_address[:2]
        return f"http://{host!s}:{port}"

    def start(self) -> StatusServer:
        self.thread.start()
        log.info("http endpoint listening", extra=kv(url=self.url, routes="/healthz /metrics"))
        return self

    def stop(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
        self.probe.dispose()

    # ---------------------------------------------------------------- checks
    def live(self) -> tuple[bool, dict[str, Any]]:
        now = datetime.now(UTC)
        tick = self.last_tick()
        reference = tick or self.started  # before the first tick, count from start-up
        ok = now - reference <= self.stale_after
        return ok, {
            "last_tick": tick.isoformat(timespec="seconds") if tick else None,
            "stale_after_seconds": self.stale_after.total_seconds(),
        }

    def ready(self) -> tuple[bool, dict[str, Any]]:
        try:
            with self.probe.connect() as connection:
                connection.execute(text("SELECT count(*) FROM sources")).scalar_one()
        except Exception as exc:
            # The driver's message can name hosts and users: log it, answer plainly.
            log.warning("readiness check failed", extra=kv(error=type(exc).__name__))
            return False, {"database": "unreachable"}
        return True, {"database": "ok"}

    def health(self, which: str) -> tuple[int, dict[str, Any]]:
        body: dict[str, Any] = {}
        ok = True
        if which in ("healthz", "livez"):
            live, details = self.live()
            ok &= live
            body.update(details, live=live)
        if which in ("healthz", "readyz"):
            ready, details = self.ready()
            ok &= ready
            body.update(details, ready=ready)
        body["status"] = "ok" if ok else "unhealthy"
        return (200 if ok else 503), body

    # --------------------------------------------------------------- serving
    def _handler(self) -> type[BaseHTTPRequestHandler]:
        server = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: Any) -> None:
                pass  # scrapes every 15s would drown the daemon's own log

            def do_GET(self) -> None:
                route = self.path.split("?", 1)[0].strip("/")
                if route == "metrics":
                    self._send(200, CONTENT_TYPE_LATEST, generate_latest(server.registry))
                elif route in ("healthz", "livez", "readyz"):
                    status, body = server.health(route)
                    data = json.dumps(body).encode() + b"\n"
                    self._send(status, "application/json", data)
                else:
                    self._send(404, "text/plain; charset=utf-8", b"try /healthz or /metrics\n")

            def _send(self, status: int, content_type: str, data: bytes) -> None:
                self.send_response(status)
                self.send_header("Content-Type", content_type)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

        return Handler
