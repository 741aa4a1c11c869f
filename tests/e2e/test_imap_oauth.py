"""The daemon reads a Microsoft 365 mailbox that accepts no password, only OAuth 2.0.

Microsoft 365 switched off basic authentication for IMAP: the marketing team's
"veille@entreprise.fr" box could not be read by ``kind = "imap"`` (user and
``password_env``). Now ``auth = "oauth2"`` logs in with AUTHENTICATE XOAUTH2
and an app-only token from the token endpoint (client credentials), kept
until shortly before it expires. A token server that is down is a failure
retried later; an app whose secret was revoked is a permanent failure that
``watchtower status`` shows with what to fix. Neither the secret nor a token
ever reaches the journal.

Real parts on loopback: the fake token server, Dovecot checking bearer tokens
against it (its ``oauth2`` passdb), the fake Slack, SQLite; the daemon's own
poller on a simulated clock; the real ``status`` command.
"""

from __future__ import annotations

import imaplib
import io
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import select

from tests.e2e.alerting_helpers import Clock
from tests.e2e.test_imap_catch_up import mail
from tests.servers.oauth import CLIENT_ID, CLIENT_SECRET, OAuthServer, sasl_xoauth2
from tests.servers.slack import FakeSlack
from tests.unit.adapters.dovecot import OAuthDovecot, dovecot_or_skip
from watchtower.app import App
from watchtower.cli import main
from watchtower.config import load_config
from watchtower.logs import KeyValueFormatter
from watchtower.storage.tables import SourceRow

pytestmark = pytest.mark.timeout(120)

SECRET_ENV = "WT_TEST_M365_SECRET"


@pytest.fixture
def tokens() -> Iterator[OAuthServer]:
    # One per test: its URL keys the daemon's token cache, which lives as long
    # as the process (the source kinds are instantiated once).
    server = OAuthServer().start()
    yield server
    server.stop()


@pytest.fixture
def dovecot(tokens: OAuthServer, tmp_path: Path) -> Iterator[OAuthDovecot]:
    server = OAuthDovecot(dovecot_or_skip(), tmp_path / "dovecot", tokens.introspection_url)
    server.start()
    yield server
    server.stop()


def append(dovecot: OAuthDovecot, tokens: OAuthServer, messages: list[bytes]) -> None:
    client = imaplib.IMAP4("127.0.0.1", dovecot.plain_port)
    try:
        token = tokens.mint()
        client.authenticate("XOAUTH2", lambda _: sasl_xoauth2(tokens.mailbox, token))
        for data in messages:
            assert client.append("INBOX", None, None, data)[0] == "OK"
    finally:
        client.logout()


def source_row(app: App) -> SourceRow:
    with app.db.session() as session:
        row = session.scalars(select(SourceRow).where(SourceRow.name == "veille-m365")).one()
        session.expunge(row)
        return row


def daemon(
    tmp_path: Path, dovecot: OAuthDovecot, tokens: OAuthServer, slack: FakeSlack
) -> tuple[App, Clock, Path]:
    path = tmp_path / "watchtower.toml"
    path.write_text(
        f"""
[watchtower]
database_url = "sqlite:///{tmp_path / "wt.db"}"
poll_interval = "30s"
request_timeout = "10s"

[slack]
default_channel = "#veille"
api_url = "{slack.api_url}"
channel_interval = "0s"

[[brands]]
name = "Acmé"
terms = ["Acmé"]

[[sources]]
name = "veille-m365"
kind = "imap"
host = "127.0.0.1"
port = {dovecot.tls_port}
ca_file = "{dovecot.cert}"
username = "{tokens.mailbox}"
auth = "oauth2"
token_url = "{tokens.token_url}"
client_id = "{CLIENT_ID}"
client_secret_env = "{SECRET_ENV}"
scope = "https://outlook.office365.com/.default"
allow_private = true
every = "5m"
""",
        "utf-8",
    )
    clock = Clock(now=datetime.now(UTC))
    app = App(load_config(path), clock=clock, console=io.StringIO())
    app.start()
    return app, clock, path


def test_the_daemon_reads_an_oauth_mailbox_and_says_when_the_app_is_revoked(
    tmp_path: Path,
    tokens: OAuthServer,
    dovecot: OAuthDovecot,
    slack: FakeSlack,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setenv(SECRET_ENV, CLIENT_SECRET)
    monkeypatch.setenv("SLACK_BOT_TOKEN", slack.token)
    tokens.mailbox = f"veille-{uuid.uuid4().hex[:6]}@entreprise.fr"
    caplog.set_level("DEBUG", logger="watchtower")
    append(dovecot, tokens, [mail(1, "Bienvenue", "Premier message.")])
    app, clock, path = daemon(tmp_path, dovecot, tokens, slack)
    try:
        # First check: one token, the box is read (its one e-mail, a first check's past).
        assert app.poller.poll().failed == 0
        assert len(tokens.issued) == 1

        # Later checks within the hour reuse the token; a mention reaches Slack.
        append(dovecot, tokens, [mail(2, "Acmé : carte bloquée", "Client mécontent d'Acmé.")])
        clock.advance(minutes=6)
        assert app.poller.poll().new_items == 1
        app.outbox.drain()
        assert any("carte bloquée" in post["text"] for post in slack.posts())
        assert len(tokens.issued) == 1

        # An hour later the token has expired: a new one, without a failure.
        append(dovecot, tokens, [mail(3, "Acmé encore", "Acmé, deuxième avis.")])
        clock.advance(minutes=60)
        assert app.poller.poll().new_items == 1
        assert len(tokens.issued) == 2

        # The token server is down: the check fails, to be retried (not permanent).
        tokens.status = 503
        clock.advance(minutes=60)
        assert app.poller.poll().failed == 1
        row = source_row(app)
        assert row.last_error is not None and "token server 127.0.0.1 failed (503)" in (
            row.last_error
        )

        # The app's secret is revoked: a permanent failure saying what to fix.
        tokens.status = None
        tokens.revoke_client()
        clock.advance(hours=2)
        assert app.poller.poll().failed == 1
        row = source_row(app)
        assert row.last_error is not None
        assert "invalid_client" in row.last_error and SECRET_ENV in row.last_error
    finally:
        app.close()

    capsys.readouterr()
    main(["status", "--config", str(path)])
    shown = capsys.readouterr().out
    assert "refused to give an access token (401, invalid_client" in shown
    assert f"check client_id and the secret in {SECRET_ENV}" in shown

    formatter = KeyValueFormatter()
    journal = "\n".join(formatter.format(record) for record in caplog.records)
    assert "invalid_client" in journal  # the failure was logged…
    for secret in (CLIENT_SECRET, *tokens.issued):  # …and no secret with it
        assert secret not in journal
        assert secret not in shown
