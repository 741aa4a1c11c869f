"""An IMAP source waits for its mail server only as long as ``[watchtower] request_timeout``.

The daemon's poller runs against a real TCP server on loopback that accepts the
connection and never says a word (a mail server that hangs before its greeting,
or mid-conversation). Before, IMAP waited a fixed 30 s whatever the config said.
"""

from __future__ import annotations

import contextlib
import io
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import select

from tests.e2e.scenario import targets
from tests.servers.slack import FakeSlack
from tests.servers.smtp import SmtpServer
from watchtower.app import App
from watchtower.config import load_config
from watchtower.storage.tables import SourceRow

pytestmark = pytest.mark.timeout(60)


class SilentServer:
    """Accepts TCP connections on 127.0.0.1 and never sends a byte."""

    def __init__(self) -> None:
        self.sock = socket.create_server(("127.0.0.1", 0))
        self.port = int(self.sock.getsockname()[1])
        self.clients: list[socket.socket] = []
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            self.clients.append(conn)

    def close(self) -> None:
        self.sock.close()
        for conn in self.clients:
            with contextlib.suppress(OSError):
                conn.close()


@pytest.fixture
def silent() -> Iterator[SilentServer]:
    server = SilentServer()
    yield server
    server.close()


def test_a_silent_mail_server_fails_after_the_configured_request_timeout(
    database_url: str,
    slack: FakeSlack,
    smtp: SmtpServer,
    silent: SilentServer,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("WT_IMAP_PASSWORD", "imap-secret")
    path = tmp_path / "watchtower.toml"
    path.write_text(
        targets(database_url, slack, smtp, 'request_timeout = "1s"')
        + f"""
[[brands]]
name = "Acmé"
terms = ["Acmé"]

[[sources]]
name = "boite"
kind = "imap"
host = "127.0.0.1"
port = {silent.port}
tls = "none"
allow_private = true
username = "veille"
password_env = "WT_IMAP_PASSWORD"
""",
        "utf-8",
    )
    app = App(load_config(path), console=io.StringIO())
    try:
        app.start()
        started = time.monotonic()
        app.poller.poll()
        took = time.monotonic() - started
        with app.db.session() as session:
            row = session.scalars(select(SourceRow).where(SourceRow.name == "boite")).one()
            error, errors = row.last_error, row.consecutive_failures
    finally:
        app.close()
    assert silent.clients, "the daemon never connected to the mail server"
    assert error == "the mail server did not answer within 1s"
    assert errors == 1
    assert took < 10, f"the poll took {took:.1f}s with request_timeout = 1s"
