"""IMAP source fixes: a bad e-mail never blocks the mailbox, non-ASCII passwords,
timeouts and cut connections named as such, ``ca_file`` read from the config's
folder, ``check`` catching a URL as ``host`` and a port/TLS mismatch, and a
rebuilt mailbox that does not announce old mails again.

Against a real Dovecot on 127.0.0.1 (messages placed with IMAP APPEND) or small
scripted IMAP servers on loopback; the e-mails are SYNTHETIC.
"""

from __future__ import annotations

import base64
import contextlib
import logging
import socket
import threading
from datetime import UTC, datetime
from email.utils import format_datetime
from pathlib import Path
from typing import Any

import pytest
from pydantic import ValidationError

from tests.e2e.alerting_helpers import make_app
from tests.servers.slack import FakeSlack
from tests.unit.adapters.dovecot import PASSWORD, Dovecot
from tests.unit.adapters.imap_daemon import ENV, folder_source, slack_clock, slack_daemon_config
from tests.unit.adapters.test_imap import Mailbox, poll
from watchtower.adapters import imap as imap_module
from watchtower.adapters._http import HttpFetcher
from watchtower.adapters.base import FetchContext, SourceState
from watchtower.adapters.imap import ImapSettings
from watchtower.cli import main
from watchtower.config import load_config, parse_config
from watchtower.errors import PermanentError, SourceError, TransientError
from watchtower.models import Item

pytestmark = pytest.mark.timeout(60)


@pytest.fixture
def mailbox(dovecot_server: Dovecot, monkeypatch: pytest.MonkeyPatch) -> Mailbox:
    monkeypatch.setenv(ENV, PASSWORD)
    return Mailbox(dovecot_server)


def mail(subject: str, message_id: str, date: datetime | None = None) -> bytes:
    sent = format_datetime(date or datetime.now(UTC))
    return (
        f"From: Client <client@example.org>\r\nTo: veille@example.fr\r\nSubject: {subject}\r\n"
        f"Date: {sent}\r\nMessage-ID: <{message_id}@example.org>\r\n\r\nDepuis lundi.\r\n"
    ).encode()


# ------------------------------------------------------------- one bad e-mail


def test_one_malformed_header_does_not_block_the_mailbox(mailbox: Mailbox) -> None:
    mailbox.append(
        b"From: =?UTF-8?B?QQ?= <promo@spam.example>\r\nTo: veille@example.fr\r\n"
        b"Subject: =?UTF-8?B?Q?=\r\nDate: Thu, 07 Mar 2024 09:00:00 +0100\r\n"
        b"Message-ID: <spam-1@spam.example>\r\n\r\nGagnez un iPhone\r\n"
    )
    mailbox.append(mail("Banque Acme bloque ma carte", "good-1"))
    result, state = poll(mailbox.settings(), SourceState())
    assert "Banque Acme bloque ma carte" in [item.title for item in result.items]
    assert state.cursor["last_uid"] == 2  # the next poll starts after both


def test_an_e_mail_that_cannot_be_read_is_skipped_with_a_warning(
    mailbox: Mailbox, monkeypatch: pytest.MonkeyPatch
) -> None:
    real = imap_module.parse_email

    def fragile(data: bytes) -> list[Item]:
        if b"piege" in data:
            raise LookupError("unreadable")
        return real(data)

    monkeypatch.setattr(imap_module, "parse_email", fragile)
    mailbox.append(mail("Avant", "m1"))
    mailbox.append(mail("piege", "m2"))
    mailbox.append(mail("Après", "m3"))
    result, state = poll(mailbox.settings(), SourceState())
    assert [item.title for item in result.items] == ["Avant", "Après"]
    assert result.warnings == ["e-mail UID 2 in INBOX skipped: it cannot be read (LookupError)"]
    assert state.cursor["last_uid"] == 3
    again, _ = poll(mailbox.settings(), state)
    assert again.items == [] and again.warnings == []  # skipped once, not retried forever


# --------------------------------------------------------------- log in, talk


class FakeImap:
    """An IMAP server on loopback: greets, answers CAPABILITY, then ``then``:

    ``silent`` never answers again; ``close`` hangs up on the next command;
    ``plain`` answers AUTHENTICATE PLAIN with NO and records the credentials.
    """

    def __init__(self, then: str, capabilities: str = "IMAP4rev1 AUTH=PLAIN") -> None:
        self.then = then
        self.capabilities = capabilities.encode()
        self.credentials: list[bytes] = []
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(4)
        self.port = int(self.sock.getsockname()[1])
        self.clients: list[socket.socket] = []
        threading.Thread(target=self._serve, daemon=True).start()

    @staticmethod
    def _line(conn: socket.socket) -> bytes:
        buffer = b""
        while not buffer.endswith(b"\r\n"):
            chunk = conn.recv(1)
            if not chunk:
                break
            buffer += chunk
        return buffer

    def _serve(self) -> None:
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            self.clients.append(conn)
            with contextlib.suppress(OSError):
                self._talk(conn)

    def _talk(self, conn: socket.socket) -> None:
        conn.sendall(b"* OK [CAPABILITY " + self.capabilities + b"] ready\r\n")
        tag = self._line(conn).split(b" ", 1)[0]
        conn.sendall(b"* CAPABILITY " + self.capabilities + b"\r\n" + tag + b" OK done\r\n")
        command = self._line(conn)
        if self.then == "close":
            conn.close()
        elif self.then == "plain" and b"AUTHENTICATE PLAIN" in command.upper():
            conn.sendall(b"+ \r\n")
            self.credentials.append(base64.b64decode(self._line(conn).strip()))
            tag = command.split(b" ", 1)[0]
            conn.sendall(tag + b" NO [AUTHENTICATIONFAILED] Authentication failed.\r\n")
        # "silent": nothing more

    def settings(self) -> ImapSettings:
        return ImapSettings(
            name="m",
            host="127.0.0.1",
            port=self.port,
            tls="none",
            username="veille",
            password_env=ENV,
            allow_private=True,
        )

    def close(self) -> None:
        self.sock.close()
        for conn in self.clients:
            conn.close()


def test_password_with_accent_is_sent_or_refused_cleanly(
    mailbox: Mailbox, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(ENV, "mot-de-passe-été")
    with pytest.raises(PermanentError, match="refused the login") as caught:
        poll(mailbox.settings(), SourceState())
    assert "é" not in str(caught.value) and "\\xe9" not in str(caught.value)


def test_a_non_ascii_password_is_sent_as_utf_8_with_authenticate_plain(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv(ENV, "mot-de-passe-été")
    server = FakeImap("plain")
    try:
        with pytest.raises(PermanentError, match="refused the login") as caught:
            poll(server.settings(), SourceState())
    finally:
        server.close()
    assert server.credentials == ["\0veille\0mot-de-passe-été".encode()]
    assert "été" not in str(caught.value)


def test_a_non_ascii_password_without_authenticate_plain_is_a_clear_error(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv(ENV, "mot-de-passe-été")
    server = FakeImap("silent", capabilities="IMAP4rev1")
    try:
        with pytest.raises(PermanentError, match="does not offer it") as caught:
            poll(server.settings(), SourceState())
    finally:
        server.close()
    assert "é" not in str(caught.value)


def test_a_server_that_stops_answering_is_reported_as_a_timeout(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv(ENV, "secret")
    server = FakeImap("silent")
    fetcher = HttpFetcher(timeout=1.0)  # [watchtower] request_timeout = "1s"
    ctx = FetchContext(http=fetcher, now=lambda: datetime.now(UTC), log=logging.getLogger("t"))
    try:
        with pytest.raises(TransientError) as caught:
            imap_module.ImapSource().fetch(server.settings(), SourceState(), ctx)
    finally:
        fetcher.close()
        server.close()
    assert "did not answer within 1s" in str(caught.value)


def test_a_cut_connection_is_reported_as_such(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(ENV, "secret")
    server = FakeImap("close")
    try:
        with pytest.raises(TransientError) as caught:
            poll(server.settings(), SourceState())
    finally:
        server.close()
    assert "the mail server closed the connection" in str(caught.value)


# ------------------------------------------------------------------- CA file


def imap_config(folder: Path, keys: str) -> Path:
    """Write a config in ``folder`` whose one source, ``boite``, is an IMAP
    mailbox with these TOML ``keys``."""
    config = folder / "watchtower.toml"
    config.write_text(
        f"""
[watchtower]
database_url = "sqlite:///{folder / "w.db"}"

[[brands]]
name = "Acmé"
terms = ["Acmé"]

[[sources]]
name = "boite"
kind = "imap"
{keys}
""",
        encoding="utf-8",
    )
    return config


def on_loopback(port: int, user: str, extra: str) -> str:
    """The keys of an IMAP source on 127.0.0.1:``port``, logging in as ``user``."""
    return f"""host = "127.0.0.1"
port = {port}
username = "{user}"
password_env = "{ENV}"
allow_private = true
{extra}"""


def test_relative_ca_file_is_resolved_from_the_config_folder(
    mailbox: Mailbox, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = tmp_path / "etc"
    folder.mkdir()
    (folder / "ca.pem").write_bytes(mailbox.server.cert.read_bytes())
    config = imap_config(
        folder, on_loopback(mailbox.server.tls_port, mailbox.user, 'ca_file = "ca.pem"')
    )
    mailbox.append(mail("Bonjour", "ca-1"))
    [settings] = load_config(config).sources
    elsewhere = tmp_path / "var"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)  # systemd: WorkingDirectory is not the config's folder
    assert isinstance(settings, ImapSettings)
    assert settings.ca_file == str(folder.resolve() / "ca.pem")
    result, _ = poll(settings, SourceState())
    assert [item.title for item in result.items] == ["Bonjour"]


def test_check_names_a_missing_relative_ca_file_in_the_config_folder(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = imap_config(tmp_path, on_loopback(993, "veille", 'ca_file = "certs/ca.pem"'))
    assert main(["check", "--config", str(config)]) == 0
    err = capsys.readouterr().err
    assert f"ca_file {tmp_path.resolve() / 'certs' / 'ca.pem'} does not exist here" in err


@pytest.mark.parametrize(
    ("content", "message"),
    [(None, "does not exist"), (b"not a certificate\n", "cannot be read as PEM")],
)
def test_an_unusable_ca_file_is_a_permanent_error(
    mailbox: Mailbox, tmp_path: Path, content: bytes | None, message: str
) -> None:
    ca_file = tmp_path / "ca.pem"
    if content is not None:
        ca_file.write_bytes(content)
    with pytest.raises(PermanentError, match=message):
        poll(mailbox.settings(ca_file=str(ca_file)), SourceState())


# ------------------------------------------------------------------- check


@pytest.mark.parametrize(
    ("keys", "named"),
    [
        ('host = "imaps://imap.example.fr"', "host"),
        ('host = "imap.example.fr"\nport = 993\ntls = "starttls"', "tls"),
    ],
)
def test_check_flags_imap_host_url_and_tls_port_mismatch(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], keys: str, named: str
) -> None:
    config = imap_config(
        tmp_path, f'{keys}\nusername = "veille@example.fr"\npassword_env = "IMAP_PASSWORD"'
    )
    main(["check", "--config", str(config)])
    out = capsys.readouterr()
    about_the_key = [
        line
        for line in (out.out + out.err).splitlines()
        if f"sources[0].{named}" in line or ("'boite'" in line and named in line)
    ]
    assert about_the_key, out


@pytest.mark.parametrize(
    ("host", "hint"),
    [
        ("imaps://imap.example.fr", 'write host = "imap.example.fr" (tls'),
        ("imaps://imap.example.fr:993/INBOX", 'write host = "imap.example.fr" and port = 993'),
        ("imap.example.fr:143", 'write host = "imap.example.fr" and port = 143'),
        ("imap example.fr", "must be a host name"),
        ("veille@imap.example.fr", "must be a host name"),
    ],
)
def test_imap_host_must_be_a_name(host: str, hint: str) -> None:
    with pytest.raises(ValidationError, match=hint.replace("(", r"\(")):
        ImapSettings(name="m", host=host, username="u", password_env="P")


@pytest.mark.parametrize("host", ["imap.example.fr", "127.0.0.1", "::1", "IMAP.Example.FR"])
def test_imap_host_names_and_addresses_are_accepted(host: str) -> None:
    assert ImapSettings(name="m", host=host, username="u", password_env="P").host == host


@pytest.mark.parametrize(
    ("keys", "warned"),
    [
        ('port = 993\ntls = "starttls"', "sources[0].tls: port 993 expects TLS from the first"),
        ('port = 993\ntls = "none"\nallow_private = true', "sources[0].tls: port 993"),
        ('port = 143\ntls = "implicit"', "sources[0].tls: port 143 starts without TLS"),
        ("port = 143", 'sources[0].port: port 143 starts without TLS, so tls = "implicit"'),
        ("port = 993", None),
        ('port = 143\ntls = "starttls"', None),
        ('tls = "starttls"', None),
    ],
)
def test_port_and_tls_mismatch_is_a_warning(tmp_path: Path, keys: str, warned: str | None) -> None:
    text = (
        '[[brands]]\nname = "Acmé"\nterms = ["Acmé"]\n\n[[sources]]\nname = "boite"\n'
        f'kind = "imap"\nhost = "imap.example.fr"\n{keys}\nusername = "u"\n'
        'password_env = "P"\n'
    )
    warnings = [str(w) for w in parse_config(text, tmp_path / "w.toml").warnings]
    about_imap = [w for w in warnings if "sources[0]" in w]
    if warned is None:
        assert about_imap == []
    else:
        assert len(about_imap) == 1 and warned in about_imap[0], about_imap


# ------------------------------------------------------ a rebuilt mailbox


def test_catching_up_keeps_read_until_until_nothing_is_left(mailbox: Mailbox) -> None:
    settings = mailbox.settings(max_messages=1)
    mailbox.append(mail("Un", "c1"))
    _, state = poll(settings, SourceState())
    first = state.cursor["read_until"]
    mailbox.append(mail("Deux", "c2"))
    mailbox.append(mail("Trois", "c3"))
    result, state = poll(settings, state)
    assert [i.title for i in result.items] == ["Deux"]
    assert state.cursor["read_until"] == first  # "Trois" is not read yet
    result, state = poll(settings, state)
    assert [i.title for i in result.items] == ["Trois"]
    assert state.cursor["read_until"] > first


def test_mailbox_rebuilt_after_retention_does_not_announce_old_mails_again(
    mailbox: Mailbox, slack: FakeSlack, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    clock = slack_clock(slack, monkeypatch)
    config = slack_daemon_config(
        tmp_path,
        slack,
        'retention = "90d"',
        f"""
[[brands]]
name = "Acme"
terms = ["Banque Acme"]
{folder_source(mailbox, "boite")}""",
    )

    def complaint(n: int) -> bytes:
        return (
            f"From: Client {n} <client{n}@example.org>\r\nTo: veille@example.fr\r\n"
            f"Subject: Banque Acme, réclamation {n}\r\nMessage-ID: <rec-{n}@example.org>\r\n"
            f"Date: {format_datetime(clock.now)}\r\n\r\nMa carte Banque Acme est bloquée.\r\n"
        ).encode()

    def texts() -> list[Any]:
        return [post["text"][:60] for post in slack.posts()]

    app = make_app(config, clock)
    try:

        def run() -> None:
            app.poller.poll(all_sources=True)
            app.outbox.drain()

        first = complaint(1)
        mailbox.append(first, "Veille")
        run()
        clock.advance(days=100)
        second = complaint(2)
        mailbox.append(second, "Veille")
        run()
        assert len(slack.posts()) == 2
        app.cleanup()  # the first mail was read 100 days ago: pruned

        # The mailbox moves to a new server: same mails, new UIDVALIDITY, and a new one.
        mailbox.delete_folder("Veille")
        mailbox.append(first, "Veille")
        mailbox.append(second, "Veille")
        clock.advance(minutes=5)
        mailbox.append(complaint(3), "Veille")
        run()
    finally:
        app.close()
    assert len(slack.posts()) == 3, texts()
    assert "réclamation 3" in slack.posts()[-1]["text"]


def test_a_source_error_never_quotes_the_password(
    mailbox: Mailbox, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(ENV, "zz-секрет-été")
    with pytest.raises(SourceError) as caught:
        poll(mailbox.settings(), SourceState())
    assert "секрет" not in str(caught.value) and "été" not in str(caught.value)
