"""The operator's HTTP endpoint: health and ``/metrics`` (``[watchtower] http``).

Standard library only (``ThreadingHTTPServer`` in a daemon thread): a few read-only
routes do not justify an ASGI stack next to APScheduler's threads.

* ``/livez``: the poller makes progress — a poll round ended, and no fetch has
  been running, for longer than ``stale_after`` (measured on the monotonic
  clock) — restart the process if not.
* ``/readyz``: the database answers a real query on a fresh connection — not
  the pool's, whose open SQLite handle keeps answering after the file is gone —
  and takes writes: after a write the storage refused (a full disk, a read-only
  file system, a PostgreSQL turned read-only by a failover) it fails until a
  probe write works again; with SQLite, also
  while the disk holding the database is nearly full.
* ``/healthz``: both; 200 or 503 with a JSON body saying which part failed.
* ``/metrics``: Prometheus text format (see :mod:`watchtower.metrics`).
"""

from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import TYPE_CHECKING, Any

from prometheus_client.exposition import CONTENT_TYPE_LATEST, generate_latest
from sqlalchemy import Engine, create_engine, text
from sqlalchemy.pool import NullPool

from watchtower.disk_space import disk_space, sqlite_folder
from watchtower.errors import CannotListen
from watchtower.logs import kv
from watchtower.metrics import build_registry
from watchtower.outage import outage_reason, watch

if TYPE_CHECKING:
    from watchtower.app import App

__all__ = ["StatusServer", "probe_engine"]

log = logging.getLogger("watchtower.web")

#: Seconds a client may stay silent on its connection before it is closed. Without
#: a limit, a connection that never sends its request (a TCP-only health check
#: whose close was lost, a half-open NAT entry) holds a thread and a descriptor
#: for the life of the daemon.
REQUEST_TIMEOUT = 10.0


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
        # Three missed rounds of the slower job, a few slow requests of one fetch,
        # plus slack for a slow database.
        self.stale_after = stale_after or (
            3 * max(section.poll_interval, section.drain_interval)
            + 4 * section.request_timeout
            + timedelta(seconds=30)
        )
        self.started = time.monotonic()
        self.registry = build_registry(app.db, app.clock)
        self.probe = probe_engine(app.db.url)
        self.file = app.db.file
        self.database = watch(app.db.engine)
        self._ready = True  # what the last readiness check said
        # SQLite: the folder of the database file, whose disk /readyz watches.
        self.disk = sqlite_folder(app.db.url)
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
        log.info(
            "http endpoint listening",
            extra=kv(url=self.url, routes="/livez /readyz /healthz /metrics"),
        )
        return self

    def stop(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
        self.probe.dispose()

    # ---------------------------------------------------------------- checks
    def live(self) -> tuple[bool, dict[str, Any]]:
        tick = self.last_tick()
        if tick is None:  # before the first tick, count from start-up (monotonic)
            age = time.monotonic() - self.started
        else:
            age = (datetime.now(UTC) - tick).total_seconds()
        ok = age <= self.stale_after.total_seconds()
        return ok, {
            "last_tick": tick.isoformat(timespec="seconds") if tick else None,
            "stale_after_seconds": self.stale_after.total_seconds(),
        }

    def ready(self) -> tuple[bool, dict[str, Any]]:
        ok, body, why = self._readiness()
        if ok != self._ready:  # probes come every few seconds: log the changes only
            self._ready = ok
            if ok:
                log.info("ready again")
            else:
                log.warning("not ready", extra=kv(reason=why))
        return ok, body

    def _readiness(self) -> tuple[bool, dict[str, Any], str]:
        """Ready or not, the JSON details, and why not in a sentence (for the log)."""
        # Before the probe: a file put in its place would answer it.
        lost = self.file.gone() if self.file is not None else None
        if lost is not None:
            return False, {"database": "file deleted or replaced", "error": str(lost)}, str(lost)
        try:
            with self.probe.connect() as connection:
                connection.execute(text("SELECT count(*) FROM sources")).scalar_one()
        except Exception as exc:
            # The driver's message can name hosts and users: the log gets its first
            # line (never a password), the answer stays plain.
            return False, {"database": "unreachable"}, outage_reason(exc) or type(exc).__name__
        refused = self.database.write_refused
        if refused is not None:
            still = self._write_probe()
            if still is not None:
                return False, {"database": "writes refused", "error": refused}, still
        low = self._disk_low()
        if low is not None:
            return False, {"database": "ok", "disk": low}, f"disk {low}"
        return True, {"database": "ok"}, ""

    def _write_probe(self) -> str | None:
        """After a refused write: does one work now? None if so, else why not.

        A one-row update of the schema version to itself: a real write, committed,
        that changes nothing.
        """
        try:
            with self.probe.begin() as connection:
                if connection.dialect.name == "postgresql":
                    connection.execute(text("SET LOCAL lock_timeout = '2s'"))
                connection.execute(text("UPDATE alembic_version SET version_num = version_num"))
        except Exception as exc:
            return "write refused: " + (outage_reason(exc) or type(exc).__name__)
        self.database.write_ok()
        return None

    def _disk_low(self) -> str | None:
        """With SQLite: why the disk holding the database is too full to store a poll round
        (the same measure as ``watchtower status``: :mod:`watchtower.disk_space`)."""
        if self.disk is None:
            return None
        try:
            space = disk_space(self.disk)
        except OSError as exc:
            return f"cannot check the disk: {exc.strerror or exc}"
        if space.read_only:
            return "read-only file system"
        if space.full:
            return f"full: {space.free} bytes free of {space.size}"
        return None

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
            timeout = REQUEST_TIMEOUT  # socket timeout: a silent client is dropped

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
                    self._send(
                        404,
                        "text/plain; charset=utf-8",
                        b"try /livez, /readyz, /healthz or /metrics\n",
                    )

            def _send(self, status: int, content_type: str, data: bytes) -> None:
                self.send_response(status)
                self.send_header("Content-Type", content_type)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

        return Handler
