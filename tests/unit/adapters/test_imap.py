"""The IMAP adapter against a real Dovecot on 127.0.0.1, messages placed by IMAP APPEND."""

from __future__ import annotations

import imaplib
import logging
import ssl
import uuid
from datetime import UTC, datetime
from email.utils import format_datetime
from pathlib import Path
from typing import Any

import pytest

from tests.unit.adapters.dovecot import PASSWORD, Dovecot
from watchtower.adapters._http import HttpFetcher
from watchtower.adapters.base import FetchContext, FetchResult, SourceState
from watchtower.adapters.imap import ImapSettings, ImapSource
from watchtower.errors import PermanentError

MAIL = Path(__file__).parent / "mail"
pytestmark = pytest.mark.timeout(60)


def plain_mail(subject: str, n: int, date: datetime | None = None) -> bytes:
    sent = format_datetime(date) if date else f"Thu, 07 Mar 2024 10:0{n % 10}:00 +0100"
    return (
        f"From: Client {n} <client{n}@example.org>\r\nTo: veille@example.fr\r\n"
        f"Subject: {subject}\r\nMessage-ID: <m{n}-{uuid.uuid4().hex}@example.org>\r\n"
        f"Date: {sent}\r\n\r\nBody {n} about Acme.\r\n"
    ).encode()


class Mailbox:
    """A fresh user on the shared Dovecot, with an APPEND helper."""

    def __init__(self, server: Dovecot) -> None:
        self.server = server
        self.user = f"u{uuid.uuid4().hex[:10]}"

    def imap(self) -> imaplib.IMAP4_SSL:
        context = ssl.create_default_context(cafile=str(self.server.cert))
        client = imaplib.IMAP4_SSL("127.0.0.1", self.server.tls_port, ssl_context=context)
        client.login(self.user, PASSWORD)
        return client

    def append(self, data: bytes, folder: str = "INBOX") -> None:
        client = self.imap()
        try:
            if folder != "INBOX":
                client.create(folder)  # "already exists" is fine
            status, _ = client.append(folder, None, None, data)
            assert status == "OK"
        finally:
            client.logout()

    def delete_folder(self, folder: str) -> None:
        client = self.imap()
        try:
            client.delete(folder)
        finally:
            client.logout()

    def settings(self, **overrides: Any) -> ImapSettings:
        values: dict[str, Any] = {
            "name": "mailbox",
            "host": "127.0.0.1",
            "port": self.server.tls_port,
            "tls": "implicit",
            "username": self.user,
            "password_env": "WT_TEST_IMAP_PASSWORD",
            "allow_private": True,
            "ca_file": str(self.server.cert),
        }
        values.update(overrides)
        return ImapSettings(**values)


@pytest.fixture
def mailbox(dovecot_server: Dovecot, monkeypatch: pytest.MonkeyPatch) -> Mailbox:
    monkeypatch.setenv("WT_TEST_IMAP_PASSWORD", PASSWORD)
    return Mailbox(dovecot_server)


def poll(settings: ImapSettings, state: SourceState) -> tuple[FetchResult, SourceState]:
    fetcher = HttpFetcher()
    ctx = FetchContext(http=fetcher, now=lambda: datetime.now(UTC), log=logging.getLogger("t"))
    try:
        result = ImapSource().fetch(settings, state, ctx)
    finally:
        fetcher.close()
    return result, SourceState(cursor=result.cursor or {})


def test_new_message_after_first_poll_is_read_and_old_ones_are_not(mailbox: Mailbox) -> None:
    mailbox.append(plain_mail("Premier", 1))
    mailbox.append(plain_mail("Deuxième", 2))
    settings = mailbox.settings()
    first, state = poll(settings, SourceState())
    assert [i.title for i in first.items] == ["Premier", "Deuxième"]
    assert state.cursor["last_uid"] == 2 and state.cursor["uidvalidity"] > 0

    mailbox.append(plain_mail("Troisième", 3))
    second, state = poll(settings, state)
    assert [i.title for i in second.items] == ["Troisième"]

    third, state = poll(settings, state)
    assert third.items == [] and state.cursor["last_uid"] == 3


def test_nothing_changes_on_the_server(mailbox: Mailbox) -> None:
    mailbox.append(plain_mail("Non lu", 1))
    poll(mailbox.settings(), SourceState())
    client = mailbox.imap()
    try:
        client.select("INBOX", readonly=True)
        _, data = client.fetch("1", "(FLAGS)")
    finally:
        client.logout()
    assert b"\\Seen" not in bytes(data[0])  # type: ignore[arg-type]


def test_mark_seen_when_configured(mailbox: Mailbox) -> None:
    mailbox.append(plain_mail("À marquer", 1))
    poll(mailbox.settings(mark_seen=True), SourceState())
    client = mailbox.imap()
    try:
        client.select("INBOX", readonly=True)
        _, data = client.fetch("1", "(FLAGS)")
    finally:
        client.logout()
    assert b"\\Seen" in bytes(data[0])  # type: ignore[arg-type]


def test_uidvalidity_change_rereads_the_folder(mailbox: Mailbox) -> None:
    old = plain_mail("Avant", 1)  # dated 2024: read long before the last check
    mailbox.append(old, folder="Alerts")
    settings = mailbox.settings(folder="Alerts")
    _, state = poll(settings, SourceState())
    old_validity = state.cursor["uidvalidity"]
    assert datetime.fromisoformat(state.cursor["read_until"]) <= datetime.now(UTC)

    # Rebuild the folder: Dovecot gives the new one a new UIDVALIDITY, and UIDs restart.
    client = mailbox.imap()
    try:
        client.delete("Alerts")
    finally:
        client.logout()
    mailbox.append(old, folder="Alerts")
    mailbox.append(plain_mail("Après", 2, datetime.now(UTC)), folder="Alerts")

    result, state = poll(settings, state)
    assert state.cursor["uidvalidity"] != old_validity
    assert [i.title for i in result.items] == ["Après"]  # "Avant" was read already
    assert any("UIDVALIDITY changed" in w and "1 of them" in w for w in result.warnings)
    assert state.cursor["last_uid"] == 2


def test_a_stale_cursor_from_another_uidvalidity_is_not_trusted(mailbox: Mailbox) -> None:
    mailbox.append(plain_mail("Seul", 1))
    stale = SourceState(cursor={"uidvalidity": 1, "last_uid": 999})
    result, state = poll(mailbox.settings(), stale)
    assert [i.title for i in result.items] == ["Seul"]
    assert state.cursor["last_uid"] == 1


@pytest.mark.parametrize("tls", ["starttls", "none"])
def test_starttls_and_plain(mailbox: Mailbox, tls: str) -> None:
    mailbox.append(plain_mail("Par " + tls, 1))
    settings = mailbox.settings(tls=tls, port=mailbox.server.plain_port)
    result, _ = poll(settings, SourceState())
    assert [i.title for i in result.items] == ["Par " + tls]


def test_google_alerts_and_linkedin_digests_are_split(mailbox: Mailbox) -> None:
    mailbox.append((MAIL / "google_alert.eml").read_bytes())
    mailbox.append((MAIL / "linkedin_group_digest.eml").read_bytes())
    result, _ = poll(mailbox.settings(), SourceState())
    assert [i.url for i in result.items] == [
        "https://www.leparisien.example/economie/banque-acme-panne-2024.php",
        "https://blog.example.org/2024/03/acme-frais",
        "https://www.linkedin.com/groups/4711/posts/7170000000000000001",
        "https://www.linkedin.com/feed/update/urn:li:activity:7170000000000000002",
    ]


def test_wrong_password_is_permanent_and_not_echoed(
    mailbox: Mailbox, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("WT_TEST_IMAP_PASSWORD", "not-the-password-xyz")
    with pytest.raises(PermanentError, match="refused the login") as caught:
        poll(mailbox.settings(), SourceState())
    assert "not-the-password-xyz" not in str(caught.value)


def test_untrusted_certificate_is_refused(mailbox: Mailbox) -> None:
    with pytest.raises(PermanentError, match="TLS"):
        poll(mailbox.settings(ca_file=None), SourceState())


def test_loopback_needs_allow_private(mailbox: Mailbox) -> None:
    with pytest.raises(PermanentError, match="loopback"):
        poll(mailbox.settings(allow_private=False), SourceState())


def test_missing_password_variable(mailbox: Mailbox, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("WT_TEST_IMAP_PASSWORD")
    with pytest.raises(PermanentError, match="WT_TEST_IMAP_PASSWORD is not set"):
        poll(mailbox.settings(), SourceState())


def test_plain_text_needs_allow_private() -> None:
    with pytest.raises(ValueError, match="only with allow_private"):
        ImapSettings(name="m", host="imap.example.fr", tls="none", username="u", password_env="P")


@pytest.mark.parametrize(
    ("ci", "outcome"), [("1", pytest.fail.Exception), (None, pytest.skip.Exception)]
)
def test_missing_dovecot_skips_locally_but_fails_in_ci(
    monkeypatch: pytest.MonkeyPatch, ci: str | None, outcome: type[BaseException]
) -> None:
    from tests.unit.adapters.dovecot import dovecot_or_skip

    if ci is None:
        monkeypatch.delenv("CI", raising=False)
    else:
        monkeypatch.setenv("CI", ci)
    with pytest.raises(outcome, match="dovecot is not installed"):
        dovecot_or_skip(which=lambda name: None, candidates=())
