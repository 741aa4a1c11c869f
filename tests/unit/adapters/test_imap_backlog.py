"""The IMAP source after an outage, as the team meets it: a mailbox that has fallen
behind says so (``FetchResult.more``) until it has caught up; one e-mail with a
huge attachment, which a proxy on the way cannot pass, no longer blocks the
mailbox forever; and no FETCH holds more than about twice ``max_message_bytes``.

Against a real Dovecot on 127.0.0.1 (messages placed with IMAP APPEND), reached
directly or through a TCP proxy on loopback; the e-mails are SYNTHETIC.
"""

from __future__ import annotations

import base64
import contextlib
import logging
import os
import socket
import threading
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from email.utils import format_datetime

import pytest

from tests.unit.adapters.dovecot import PASSWORD, Dovecot
from tests.unit.adapters.test_imap import Mailbox, poll
from watchtower.adapters._http import HttpFetcher
from watchtower.adapters.base import FetchContext, FetchResult, SourceState
from watchtower.adapters.imap import ImapSettings, ImapSource

pytestmark = pytest.mark.timeout(120)

ENV = "WT_TEST_IMAP_PASSWORD"  # the variable Mailbox.settings() names


@pytest.fixture
def mailbox(dovecot_server: Dovecot, monkeypatch: pytest.MonkeyPatch) -> Mailbox:
    monkeypatch.setenv(ENV, PASSWORD)
    return Mailbox(dovecot_server)


def mail(n: int, body: str = "") -> bytes:
    return (
        f"From: Client {n} <client{n}@example.org>\r\nTo: veille@acme.example\r\n"
        f"Subject: Réclamation {n}\r\nMessage-ID: <b{n}-{uuid.uuid4().hex}@example.org>\r\n"
        f"Date: {format_datetime(datetime.now(UTC))}\r\n\r\nCarte Acmé bloquée ({n}).\r\n"
        f"{body}"
    ).encode()


def with_attachment(subject: str, size: int) -> bytes:
    """A report e-mail: a short text, then a PDF attachment of ``size`` bytes."""
    pdf = base64.encodebytes(os.urandom(size * 3 // 4)).decode("ascii").replace("\n", "\r\n")
    return (
        "From: Agence <agence@example.org>\r\nTo: veille@acme.example\r\n"
        f"Subject: {subject}\r\nMessage-ID: <pdf-{uuid.uuid4().hex}@example.org>\r\n"
        f"Date: {format_datetime(datetime.now(UTC))}\r\nMIME-Version: 1.0\r\n"
        'Content-Type: multipart/mixed; boundary="sep"\r\n\r\n'
        '--sep\r\nContent-Type: text/plain; charset="utf-8"\r\n'
        "Content-Transfer-Encoding: 8bit\r\n\r\n"
        "Ci-joint le rapport : Acmé cité 40 fois ce mois-ci.\r\n"
        '--sep\r\nContent-Type: application/pdf; name="rapport.pdf"\r\n'
        'Content-Disposition: attachment; filename="rapport.pdf"\r\n'
        f"Content-Transfer-Encoding: base64\r\n\r\n{pdf}\r\n--sep--\r\n"
    ).encode()


def append_all(mailbox: Mailbox, messages: Iterator[bytes] | list[bytes]) -> None:
    client = mailbox.imap()
    try:
        for data in messages:
            assert client.append("INBOX", None, None, data)[0] == "OK"
    finally:
        client.logout()


def flags(mailbox: Mailbox) -> list[bytes]:
    client = mailbox.imap()
    try:
        client.select("INBOX", readonly=True)
        status, data = client.uid("FETCH", "1:*", "(FLAGS)")
        assert status == "OK"
        return [entry for entry in data if isinstance(entry, bytes)]
    finally:
        client.logout()


def poll_within(
    settings: ImapSettings, state: SourceState, timeout: float
) -> tuple[FetchResult, SourceState]:
    """One check whose every read waits at most ``timeout`` (``request_timeout``)."""
    fetcher = HttpFetcher(timeout=timeout)
    ctx = FetchContext(http=fetcher, now=lambda: datetime.now(UTC), log=logging.getLogger("t"))
    try:
        result = ImapSource().fetch(settings, state, ctx)
    finally:
        fetcher.close()
    return result, SourceState(cursor=result.cursor or {})


class Proxy:
    """A TCP proxy to Dovecot on loopback that measures each answer (the bytes the
    server sends between two commands) and, like a proxy that cannot pass big
    answers, stalls an answer once it exceeds ``stall_over`` bytes."""

    def __init__(self, port: int, stall_over: int | None = None) -> None:
        self.port_to = port
        self.stall_over = stall_over
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = int(self.listener.getsockname()[1])
        self.largest = 0
        self.stalled = threading.Event()
        self._answer = 0
        self._lock = threading.Lock()
        self._sockets: list[socket.socket] = []
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self) -> None:
        while True:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            server = socket.create_connection(("127.0.0.1", self.port_to))
            self._sockets += [client, server]
            threading.Thread(target=self._up, args=(client, server), daemon=True).start()
            threading.Thread(target=self._down, args=(server, client), daemon=True).start()

    def _up(self, client: socket.socket, server: socket.socket) -> None:
        with contextlib.suppress(OSError):
            while data := client.recv(65536):
                with self._lock:
                    self._answer = 0  # a new command: a new answer
                server.sendall(data)

    def _down(self, server: socket.socket, client: socket.socket) -> None:
        with contextlib.suppress(OSError):
            while data := server.recv(65536):
                with self._lock:
                    self._answer += len(data)
                    self.largest = max(self.largest, self._answer)
                    stall = self.stall_over is not None and self._answer > self.stall_over
                if stall:
                    self.stalled.set()
                    return  # the rest never arrives; the client's read times out
                client.sendall(data)

    def close(self) -> None:
        self.listener.close()
        for sock in self._sockets:
            with contextlib.suppress(OSError):
                sock.close()


@pytest.fixture
def proxies(mailbox: Mailbox) -> Iterator[list[Proxy]]:
    made: list[Proxy] = []
    yield made
    for proxy in made:
        proxy.close()


def through(mailbox: Mailbox, proxy: Proxy, **overrides: object) -> ImapSettings:
    return mailbox.settings(tls="none", port=proxy.port, ca_file=None, **overrides)


# ------------------------------------------------------------ a backlog says so


def test_a_mailbox_that_fell_behind_says_more_waits_until_it_has_caught_up(
    mailbox: Mailbox,
) -> None:
    mailbox.append(mail(0))
    settings = mailbox.settings(max_messages=20)
    first, state = poll(settings, SourceState())
    assert first.more is False  # the first check reads the newest on purpose
    append_all(mailbox, [mail(n) for n in range(1, 46)])  # a week-end without the daemon
    results = []
    for _ in range(4):
        result, state = poll(settings, state)
        results.append(result)
    assert [r.more for r in results] == [True, True, False, False]
    assert [len(r.items) for r in results] == [20, 20, 5, 0]
    # The warning still says what waits, and stops once caught up.
    assert results[0].warnings == [
        "25 more e-mails wait in INBOX: 20 are read per check (max_messages)"
    ]
    assert results[2].warnings == []


def test_a_full_mailbox_on_the_first_check_is_not_more(mailbox: Mailbox) -> None:
    """The first check reads the newest ``max_messages`` and leaves the older ones
    for good (with a warning): nothing is waiting to be caught up."""
    append_all(mailbox, [mail(n) for n in range(1, 31)])
    first, _ = poll(mailbox.settings(max_messages=10), SourceState())
    assert len(first.items) == 10 and first.more is False
    assert first.warnings and "are not read" in first.warnings[0]


# ------------------------------------------------------- one e-mail too big


def test_an_email_a_proxy_cannot_pass_no_longer_blocks_the_mailbox(
    mailbox: Mailbox, proxies: list[Proxy]
) -> None:
    """A 6 MB report (base64) behind a proxy that stalls answers over 5.5 MB: before, every
    check timed out on it, the cursor never moved and nothing after it was read.
    Now its size is asked first and only its header and first 5 MB (the default
    ``max_message_bytes``) are asked: its text is read, and so is every mail after it."""
    mailbox.append(mail(0))
    direct = mailbox.settings(tls="none", port=mailbox.server.plain_port, ca_file=None)
    _, state = poll(direct, SourceState())
    append_all(
        mailbox,
        [mail(1), with_attachment("Rapport mensuel Acmé", 6_000_000), mail(3), mail(4)],
    )
    proxy = Proxy(mailbox.server.plain_port, stall_over=5_500_000)
    proxies.append(proxy)

    result, state = poll_within(through(mailbox, proxy), state, timeout=2.0)

    assert not proxy.stalled.is_set()
    titles = [item.title for item in result.items]
    assert titles == ["Réclamation 1", "Rapport mensuel Acmé", "Réclamation 3", "Réclamation 4"]
    report = result.items[1]
    assert "Acmé cité 40 fois" in report.text
    assert len(report.text) < 1000  # none of the attachment
    assert len(result.warnings) == 1
    warning = result.warnings[0]
    assert warning.startswith('e-mail UID 3 in INBOX ("Rapport mensuel Acmé") is 6.2 MB')
    assert "max_message_bytes (5.0 MB)" in warning
    assert state.cursor["last_uid"] == 5  # moved past it
    again, _ = poll(direct, state)
    assert again.items == [] and again.warnings == []
    # Read in part, never marked read (mark_seen is false).
    assert not any(b"\\Seen" in line for line in flags(mailbox))


def test_a_smaller_max_message_bytes_reads_big_mails_in_part(mailbox: Mailbox) -> None:
    mailbox.append(mail(0))
    settings = mailbox.settings(max_message_bytes=100_000)
    _, state = poll(settings, SourceState())
    append_all(mailbox, [with_attachment("Pièce jointe lourde", 300_000), mail(2)])
    result, state = poll(settings, state)
    assert [item.title for item in result.items] == ["Pièce jointe lourde", "Réclamation 2"]
    assert "Acmé cité 40 fois" in result.items[0].text
    assert result.warnings == [
        'e-mail UID 2 in INBOX ("Pièce jointe lourde") is 0.3 MB, over max_message_bytes '
        "(0.1 MB): only its header and first 0.1 MB were read"
    ]
    assert state.cursor["last_uid"] == 3


def test_each_fetch_holds_at_most_twice_max_message_bytes(
    mailbox: Mailbox, proxies: list[Proxy]
) -> None:
    """25 e-mails of 600 kB each (15 MB) used to come in one FETCH answer; now the
    reads are cut so that none holds more than twice ``max_message_bytes`` (5 MB)."""
    mailbox.append(mail(0))
    direct = mailbox.settings(tls="none", port=mailbox.server.plain_port, ca_file=None)
    _, state = poll(direct, SourceState())
    filler = "Lorem ipsum Acmé. " * 33_000  # about 600 kB of text each
    append_all(mailbox, [mail(n, filler) for n in range(1, 26)])
    proxy = Proxy(mailbox.server.plain_port)
    proxies.append(proxy)

    result, _ = poll(through(mailbox, proxy), state)

    assert [item.title for item in result.items] == [f"Réclamation {n}" for n in range(1, 26)]
    assert result.warnings == []
    assert 600_000 < proxy.largest <= 2 * 5_000_000 + 100_000  # a little protocol overhead
