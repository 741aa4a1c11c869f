"""Delivery errors are redacted before they are stored, not only when shown.

A copy of the database (a backup sent to support, ``sqlite3`` by an operator,
a PostgreSQL replica) must not hold what an error quoted: a webhook token in a
URL path, a Telegram bot token, a URL password, an SMTP or IMAP server's echo
of the login it refused. The error texts are the real ones the libraries
produce against servers on 127.0.0.1; the rows are read back with plain SQL.
What an operator needs stays: the host, the status, the kind of failure.
"""

from __future__ import annotations

import base64
import logging
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import httpx
import pytest
import sqlalchemy
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from tests.servers.echoing import EchoingImap, EchoingSmtp
from tests.servers.slack import FakeSlack
from tests.servers.webhook import Webhook
from tests.unit.notify.test_email import notification
from watchtower.adapters._http import HttpFetcher
from watchtower.adapters._imap_settings import ImapSettings
from watchtower.adapters.base import FetchContext, SourceState
from watchtower.adapters.imap import ImapSource
from watchtower.errors import DeliveryError, SourceError
from watchtower.notify.apprise import AppriseNotifier
from watchtower.notify.email import EmailNotifier
from watchtower.pipeline import outbox_rows
from watchtower.pipeline.delivery import Verdict
from watchtower.redact import redact_text
from watchtower.storage.db import Database
from watchtower.storage.tables import OutboxRow

pytestmark = pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS")

NOW = datetime(2026, 11, 27, 9, 0, tzinfo=UTC)
SLACK_TOKEN = "aB3dE5fG7hI9jK1lM3nO5pQ7"  # a Slack webhook's secret part
BOT_TOKEN = "123456789:AAHfiqksKZ8WmR2zSjiQ7_v4TMAKdiHm9T0"
PASSWORD = "Hunter2-Pa55"


@dataclass(frozen=True)
class Case:
    """A real error text, what must not be stored of it, and what must stay."""

    name: str
    text: str
    secrets: tuple[str, ...]
    kept: tuple[str, ...]


class _NotFound(BaseHTTPRequestHandler):
    def log_message(self, *args: Any) -> None:
        pass

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers.get("Content-Length") or 0))
        self.send_response(404)
        self.send_header("Content-Length", "0")
        self.end_headers()


def _http_errors(port: int) -> list[Case]:
    """httpx's HTTPStatusError quotes the whole URL it posted to."""
    where = f"127.0.0.1:{port}"
    posts = [
        ("webhook path", f"http://{where}/services/T0AB12CD3/B0CD45EF6/{SLACK_TOKEN}",
         (SLACK_TOKEN,), ("/services/T0AB12CD3/B0CD45EF6/",)),
        ("bot token", f"http://{where}/bot{BOT_TOKEN}/sendMessage",
         (BOT_TOKEN, BOT_TOKEN.split(":")[1]), ("/bot", "/sendMessage")),
        ("url password", f"http://bot:{PASSWORD}@{where}/feed.xml",
         (PASSWORD,), ("bot:***@",)),
        ("token parameter", f"http://{where}/send?access_token=ya29{PASSWORD}&id=7",
         (PASSWORD,), ("access_token=***", "id=7")),
    ]  # fmt: skip
    cases = []
    with httpx.Client(trust_env=False) as client:  # no proxy: 127.0.0.1 itself
        for name, url, secrets, kept in posts:
            with pytest.raises(httpx.HTTPStatusError) as caught:
                client.post(url, json={}).raise_for_status()
            # As the outbox words a notifier's unexpected exception (dispatch).
            text = f"internal error: HTTPStatusError: {caught.value}"
            cases.append(Case(f"httpx {name}", text, secrets, (*kept, "404 Not Found", where)))
    return cases


def _smtp_error() -> Case:
    """smtplib's SMTPAuthenticationError from a server quoting the AUTH PLAIN line."""
    server = EchoingSmtp().start()
    mailer = EmailNotifier(
        "127.0.0.1", server.port, "veille@example.fr", starttls=False,
        username="veille", password=PASSWORD, timeout=5.0,
    )  # fmt: skip
    try:
        with pytest.raises(DeliveryError) as caught:
            mailer.send(mailer.render(notification(), "dircom@example.fr"))
    finally:
        server.stop()
    sent = base64.b64encode(f"\0veille\0{PASSWORD}".encode()).decode()
    assert sent in caught.value.reason  # the server did quote it
    kept = ("535", f"127.0.0.1:{server.port}", "refused the login", "SMTP_PASSWORD")
    return Case("smtplib AUTH echo", caught.value.reason, (sent, PASSWORD), kept)


def _imap_error(monkeypatch: pytest.MonkeyPatch) -> Case:
    """imaplib's error from a server quoting the LOGIN command, as the source stores it."""
    server = EchoingImap().start()
    monkeypatch.setenv("WT_TEST_ECHO_PASSWORD", PASSWORD)
    settings = ImapSettings(
        name="boite", host="127.0.0.1", port=server.port, tls="none", username="veille",
        password_env="WT_TEST_ECHO_PASSWORD", allow_private=True,
    )  # fmt: skip
    fetcher = HttpFetcher()
    ctx = FetchContext(http=fetcher, now=lambda: NOW, log=logging.getLogger("test"))
    try:
        with pytest.raises(SourceError) as caught:
            ImapSource().fetch(settings, SourceState(), ctx)
    finally:
        fetcher.close()
        server.stop()
    assert PASSWORD in caught.value.message  # the server did quote it
    kept = ("refused the login", "AUTHENTICATIONFAILED", "LOGIN", "veille")
    return Case("imaplib LOGIN echo", caught.value.message, (PASSWORD,), kept)


def _slack_error() -> Case:
    """slack-sdk's SlackApiError text: nothing secret, all of it useful."""
    slack = FakeSlack().start()
    client = WebClient(token="xoxb-1234567890-wrong", base_url=slack.api_url)
    try:
        with pytest.raises(SlackApiError) as caught:
            client.chat_postMessage(channel="#veille", text="x")
    finally:
        slack.stop()
    text = f"internal error: SlackApiError: {caught.value}"
    return Case("slack-sdk", text, ("xoxb-1234567890-wrong",), ("chat.postMessage", "invalid_auth"))


def _apprise_error() -> Case:
    """An Apprise failure, its URL (password and token in the path) refused."""
    hook = Webhook().start()
    hook.fail_next, hook.fail_status = 1, 404
    address = f"json://bot:{PASSWORD}@127.0.0.1:{hook.port}/hooks/{SLACK_TOKEN}"
    apprise = AppriseNotifier()
    try:
        with pytest.raises(DeliveryError) as caught:
            apprise.send(apprise.render(notification(), address))
    finally:
        hook.stop()
    return Case("apprise", caught.value.reason, (PASSWORD, SLACK_TOKEN), ("json", "404"))


@pytest.fixture(scope="module")
def not_found() -> Iterator[int]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _NotFound)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield int(server.server_address[1])
    server.shutdown()
    server.server_close()


@pytest.fixture
def real_errors(not_found: int, monkeypatch: pytest.MonkeyPatch) -> list[Case]:
    return [
        *_http_errors(not_found),
        _smtp_error(),
        _imap_error(monkeypatch),
        _slack_error(),
        _apprise_error(),
    ]


def test_redaction_of_real_error_texts_keeps_what_matters_and_is_idempotent(
    real_errors: list[Case],
) -> None:
    for case in real_errors:
        once = redact_text(case.text)
        for secret in case.secrets:
            assert secret not in once, case.name
        for part in case.kept:
            assert part in once, (case.name, part, once)
        # ``status`` and ops notices redact what they read again (rows stored
        # before): a stored text must come out unchanged.
        assert redact_text(once) == once, case.name


def _outbox_row(db: Database, n: int) -> int:
    with db.writing() as session:
        row = OutboxRow(
            dedup_key=f"item:{n}",
            target="email:dircom@example.fr",
            status="sending",
            attempts=1,
            next_attempt_at=NOW,
            created_at=NOW,
        )
        session.add(row)
        session.flush()
        return row.id


def _stored_error(db: Database, row_id: int) -> str:
    with db.engine.connect() as conn:
        query = sqlalchemy.text("SELECT last_error FROM outbox WHERE id = :id")
        return str(conn.execute(query, {"id": row_id}).scalar_one())


def test_outbox_stores_delivery_errors_redacted(
    migrated: Database, real_errors: list[Case]
) -> None:
    """Every way an error reaches ``outbox.last_error``: a send's outcome
    (retry, failure), a deferral's reason, a skip's reason."""
    writes = [
        lambda s, i, text: outbox_rows.finish(s, i, "pending", NOW, error=text, delay=60),
        lambda s, i, text: outbox_rows.finish(s, i, "failed", NOW, error=text),
        lambda s, i, text: outbox_rows.park(s, i, Verdict("defer", reason=text), NOW),
        lambda s, i, text: outbox_rows.park(s, i, Verdict("skip", reason=text), NOW),
    ]
    n = 0
    for case in real_errors:
        for write in writes:
            n += 1
            row_id = _outbox_row(migrated, n)
            with migrated.writing() as session:
                write(session, row_id, case.text)
            stored = _stored_error(migrated, row_id)
            for secret in case.secrets:
                assert secret not in stored, (case.name, n)
            for part in case.kept:
                assert part in stored, (case.name, part, stored)


@pytest.mark.parametrize(
    ("text", "shown"),
    [
        # A server quoting the SASL line it refused (PLAIN: "\0veille\0s3cr3t-Pa55").
        ("535 5.7.8 failed: AUTH PLAIN AHZlaWxsZQBzM2NyM3QtUGE1NQ==",
         "535 5.7.8 failed: AUTH PLAIN ***"),
        ("NO auth login dmVpbGxl failed", "NO auth login *** failed"),
        # The credential quoted alone, recognised by what it decodes to.
        ("535 5.7.8 AHZlaWxsZQBzM2NyM3QtUGE1NQ== refused", "535 5.7.8 *** refused"),
        ("BAD dXNlcj12ZWlsbGVAYWNtZS5mcgFhdXRoPUJlYXJlciB5YTI5LmFiY2RlZmdoAQE=",
         "BAD ***"),
        # IMAP LOGIN after its tag, quoted or not; the user name stays.
        ('a001 LOGIN "veille" "s3 cr\\"3t" said NO', 'a001 LOGIN "veille" *** said NO'),
        ("[b'PBKF1 LOGIN veille s3cr3t']", "[b'PBKF1 LOGIN veille ***']"),
        # An Authorization header, whatever its scheme.
        ("Authorization: Basic dmVpbGxlOnMzY3IzdA==", "Authorization: Basic ***"),
        ("{'authorization': 'Token abc123'}", "{'authorization': 'Token ***'}"),
        # Prose is left as written.
        ("the AUTH PLAIN mechanism is not offered", "the AUTH PLAIN mechanism is not offered"),
        ("LOGIN command error: NO [b'Invalid credentials']",
         "LOGIN command error: NO [b'Invalid credentials']"),
        ("authorization failed for this account", "authorization failed for this account"),
        ("AAAABBBBCCCCDDDD and aGVsbG8gd29ybGQ=", "AAAABBBBCCCCDDDD and aGVsbG8gd29ybGQ="),
    ],
)  # fmt: skip
def test_credentials_a_server_quotes_are_redacted(text: str, shown: str) -> None:
    assert redact_text(text) == shown
    assert redact_text(shown) == shown
