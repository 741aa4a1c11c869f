"""The IMAP source as a marketing team meets it: a folder renamed by a colleague,
a wrong password, a full mailbox on the first check, a backlog after an outage,
the server cutting the connection in the middle of a FETCH, and the daemon
reading forwarded digests and telling ops (in French) about a renamed folder.

Against a real Dovecot on 127.0.0.1 (messages placed with IMAP APPEND); the
e-mails are SYNTHETIC.
"""

from __future__ import annotations

import contextlib
import json
import socket
import threading
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from email.utils import format_datetime
from pathlib import Path

import pytest
from imap_tools.imap_utf7 import utf7_encode

from tests.e2e.alerting_helpers import make_app
from tests.french import nb
from tests.servers.slack import FakeSlack
from tests.unit.adapters.dovecot import PASSWORD, Dovecot
from tests.unit.adapters.imap_daemon import ENV, folder_source, slack_clock, slack_daemon_config
from tests.unit.adapters.mail.test_mail_marketing import (
    EXPECTED_ALERT,
    forwarded_google_alert,
    linkedin_digest,
)
from tests.unit.adapters.test_imap import Mailbox, poll
from watchtower.adapters.base import SourceState
from watchtower.errors import PermanentError, TransientError

pytestmark = pytest.mark.timeout(120)


@pytest.fixture
def mailbox(dovecot_server: Dovecot, monkeypatch: pytest.MonkeyPatch) -> Mailbox:
    monkeypatch.setenv(ENV, PASSWORD)
    return Mailbox(dovecot_server)


def mail(n: int) -> bytes:
    return (
        f"From: Client {n} <client{n}@example.org>\r\nTo: veille@acme.example\r\n"
        f"Subject: Réclamation {n}\r\nMessage-ID: <r{n}-{uuid.uuid4().hex}@example.org>\r\n"
        f"Date: {format_datetime(datetime.now(UTC))}\r\n\r\nCarte Acmé bloquée ({n}).\r\n"
    ).encode()


def append_many(mailbox: Mailbox, numbers: range, folder: str = "INBOX") -> None:
    """Many e-mails over one connection (a full mailbox)."""
    client = mailbox.imap()
    try:
        for n in numbers:
            status, _ = client.append(folder, None, None, mail(n))
            assert status == "OK"
    finally:
        client.logout()


def _name(folder: str) -> str:
    """A folder name as IMAP writes it: modified UTF-7, quoted."""
    return '"' + utf7_encode(folder).decode("ascii") + '"'


def rename(mailbox: Mailbox, old: str, new: str) -> None:
    client = mailbox.imap()
    try:
        assert client.rename(_name(old), _name(new))[0] == "OK"
    finally:
        client.logout()


def append_to(mailbox: Mailbox, folder: str, data: bytes) -> None:
    client = mailbox.imap()
    try:
        assert client.append(_name(folder), None, None, data)[0] == "OK"
    finally:
        client.logout()


# ------------------------------------------------------------ misconfigured box


def test_a_renamed_folder_is_named_with_the_folders_that_exist(mailbox: Mailbox) -> None:
    mailbox.append(mail(1), "Alertes")
    settings = mailbox.settings(folder="Alertes")
    first, state = poll(settings, SourceState())
    assert len(first.items) == 1
    rename(mailbox, "Alertes", "Alertes Google")

    with pytest.raises(TransientError) as caught:
        poll(settings, state)
    error = caught.value
    assert error.code == "imap_folder_missing"
    assert error.message == (
        "the folder Alertes cannot be opened on the mail server "
        "(Mailbox doesn't exist: Alertes); its folders: Alertes Google, INBOX"
    )
    assert error.sentence("fr") == nb(
        "le dossier Alertes est introuvable ou inaccessible sur le serveur de messagerie "
        "(renommé ou supprimé ?) ; dossiers présents : Alertes Google, INBOX"
    )
    # The new name, accents and spaces included, is what the user writes.
    rename(mailbox, "Alertes Google", "Veille Acmé")
    append_to(mailbox, "Veille Acmé", mail(2))
    again, _ = poll(mailbox.settings(folder="Veille Acmé"), SourceState())
    assert [item.title for item in again.items] == ["Réclamation 1", "Réclamation 2"]


def test_a_wrong_password_says_what_the_server_said_and_never_the_password(
    mailbox: Mailbox, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(ENV, "Mauvais-mot-de-passe-42")
    with pytest.raises(PermanentError) as caught:
        poll(mailbox.settings(), SourceState())
    error = caught.value
    assert error.message == (
        "the mail server refused the login ([AUTHENTICATIONFAILED] Authentication failed.)"
    )
    assert error.sentence("fr") == (
        "le serveur de messagerie a refusé l'identifiant ou le mot de passe"
    )
    assert "Mauvais" not in repr(error.params)


# ---------------------------------------------------------------- full mailbox


def test_a_full_mailbox_reads_the_newest_and_says_what_it_left(mailbox: Mailbox) -> None:
    append_many(mailbox, range(1, 121))
    settings = mailbox.settings(max_messages=50)
    first, state = poll(settings, SourceState())
    assert [item.title for item in first.items] == [f"Réclamation {n}" for n in range(71, 121)]
    assert first.warnings == [
        "first check of INBOX: read its newest 50 e-mails; "
        "the 70 older ones are not read (max_messages = 50)"
    ]
    again, state = poll(settings, state)
    assert again.items == [] and again.warnings == []


def test_a_backlog_is_caught_up_oldest_first_and_the_wait_is_said(mailbox: Mailbox) -> None:
    mailbox.append(mail(0))
    settings = mailbox.settings(max_messages=20)
    _, state = poll(settings, SourceState())
    append_many(mailbox, range(1, 46))  # the daemon was stopped for the week-end
    seen: list[str] = []
    warnings: list[list[str]] = []
    for _ in range(4):
        result, state = poll(settings, state)
        seen += [item.title for item in result.items]
        warnings.append(result.warnings)
    assert seen == [f"Réclamation {n}" for n in range(1, 46)]  # each once, in order
    assert warnings == [
        ["25 more e-mails wait in INBOX: 20 are read per check (max_messages)"],
        ["5 more e-mails wait in INBOX: 20 are read per check (max_messages)"],
        [],
        [],
    ]


# ------------------------------------------------- a connection cut mid-FETCH


class CuttingProxy:
    """A TCP proxy to Dovecot on loopback that cuts both sides once the server
    has sent ``after`` bytes of an answer to a FETCH."""

    def __init__(self, port: int, after: int) -> None:
        self.port_to = port
        self.after = after
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.cut = threading.Event()
        self._fetching = threading.Event()
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self) -> None:
        with contextlib.suppress(OSError):
            client, _ = self.listener.accept()
            server = socket.create_connection(("127.0.0.1", self.port_to))
            threading.Thread(target=self._up, args=(client, server), daemon=True).start()
            self._down(server, client)

    def _up(self, client: socket.socket, server: socket.socket) -> None:
        with contextlib.suppress(OSError):
            while data := client.recv(65536):
                if b"FETCH" in data.upper():
                    self._fetching.set()
                server.sendall(data)

    def _down(self, server: socket.socket, client: socket.socket) -> None:
        sent = 0
        with contextlib.suppress(OSError):
            while data := server.recv(4096):
                if self._fetching.is_set():
                    if sent + len(data) >= self.after:
                        client.sendall(data[: self.after - sent])
                        break
                    sent += len(data)
                client.sendall(data)
        self.cut.set()
        for sock in (client, server):
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)
            sock.close()

    def close(self) -> None:
        self.listener.close()


@pytest.fixture
def proxy(mailbox: Mailbox) -> Iterator[CuttingProxy]:
    cutting = CuttingProxy(mailbox.server.plain_port, after=3000)
    yield cutting
    cutting.close()


def test_a_connection_cut_mid_fetch_loses_nothing_and_reads_nothing_twice(
    mailbox: Mailbox, proxy: CuttingProxy
) -> None:
    direct = mailbox.settings(tls="none", port=mailbox.server.plain_port, ca_file=None)
    mailbox.append(mail(0))
    _, state = poll(direct, SourceState())
    append_many(mailbox, range(1, 31))

    cut = mailbox.settings(tls="none", port=proxy.port, ca_file=None)
    # The session worked (login, SELECT, SEARCH): the FETCH's e-mails are suspects,
    # retried one at a time (tests/unit/adapters/test_imap_stuck.py), not skipped.
    cut_result, state = poll(cut, state)
    assert proxy.cut.is_set()
    assert cut_result.items == [] and "could not be fetched" in cut_result.warnings[0]
    # The cut check moved the cursor past nothing: the next one reads all 30, once.
    result, state = poll(direct, state)
    assert [item.title for item in result.items] == [f"Réclamation {n}" for n in range(1, 31)]
    again, _ = poll(direct, state)
    assert again.items == []


# -------------------------------------------------------- the daemon, one cycle


def test_the_daemon_reads_forwarded_digests_and_tells_ops_of_a_renamed_folder(
    mailbox: Mailbox, slack: FakeSlack, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    clock = slack_clock(slack, monkeypatch)
    config = slack_daemon_config(
        tmp_path,
        slack,
        'ops_notify = ["slack:#veille-ops"]\nsource_alert_after = 1',
        f"""
[[brands]]
name = "Acmé"
terms = ["Acmé"]
{folder_source(mailbox, "veille-mail")}""",
    )
    sent = format_datetime(clock.now)
    mailbox.append(forwarded_google_alert(date=sent), "Veille")
    mailbox.append(linkedin_digest(date=sent), "Veille")
    app = make_app(config, clock)
    try:
        app.poller.poll(all_sources=True)
        app.outbox.drain()
        veille = [post["text"] for post in slack.posts()]
        for url, _ in EXPECTED_ALERT:
            assert sum(url in text for text in veille) == 1, (url, veille)
        for url in (
            "https://www.linkedin.com/groups/4711/posts/7170000000000000001",
            "https://www.linkedin.com/feed/update/urn:li:activity:7170000000000000002",
        ):
            assert sum(url in text for text in veille) == 1, (url, veille)
        assert len(veille) == 5
        assert not any("google.com/search" in text or "trk=" in text for text in veille)

        rename(mailbox, "Veille", "Veille Acmé")
        clock.advance(minutes=10)
        app.poller.poll(all_sources=True)
        app.outbox.drain()
    finally:
        app.close()
    ops = [json.dumps(post, ensure_ascii=False) for post in slack.posts()[5:]]
    assert len(ops) == 1, ops
    assert nb("Source en panne : veille-mail") in ops[0]
    assert "dossier Veille est introuvable" in ops[0]
    assert nb("dossiers présents : INBOX, Veille Acmé") in ops[0]
    assert PASSWORD not in ops[0]
