"""A mailbox that has fallen behind is caught up at every poll round, not at its ``every``.

The daemon was stopped over a week-end: 3,000 e-mails (newsletters, and a few
mentions of Acmé, the last one from this morning) wait in the box. Before, the
IMAP source read ``max_messages`` of them per ``every`` (here 500 per 10 minutes:
an hour before this morning's mention; at the default 50 per 5 minutes, five
hours). Now the real poller checks it again at each round (``poll_interval``,
30 s) until it has caught up, then goes back to its rhythm; an RSS source checked
every 10 minutes keeps that rhythm throughout.

Real parts on loopback: Dovecot (messages placed with IMAP APPEND), the feed
server, the fake Slack; the clock is simulated so that rounds are 30 s apart.
"""

from __future__ import annotations

import imaplib
import io
import tempfile
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from email.utils import format_datetime
from pathlib import Path

import pytest
from sqlalchemy import select

from tests.e2e.alerting_helpers import Clock
from tests.e2e.test_review_ops import rss
from tests.servers.http import FeedServer, Resource
from tests.servers.slack import FakeSlack
from tests.unit.adapters.dovecot import PASSWORD, Dovecot, dovecot_or_skip
from watchtower.app import App
from watchtower.config import load_config
from watchtower.storage.tables import SourceRow

pytestmark = pytest.mark.timeout(120)

ENV = "WT_TEST_IMAP_PASSWORD"
WAITING = 3000


@pytest.fixture(scope="module")
def dovecot() -> Iterator[Dovecot]:
    server = Dovecot(dovecot_or_skip(), Path(tempfile.mkdtemp(prefix="wt-e2e-dovecot-")))
    server.start()
    yield server
    server.stop()


def mail(n: int, subject: str, text: str) -> bytes:
    return (
        f"From: Lettre {n} <lettre@example.org>\r\nTo: veille@acme.example\r\n"
        f"Subject: {subject}\r\nMessage-ID: <c{n}-{uuid.uuid4().hex}@example.org>\r\n"
        f"Date: {format_datetime(datetime.now(UTC))}\r\n\r\n{text}\r\n"
    ).encode()


def append(dovecot: Dovecot, user: str, messages: list[bytes]) -> None:
    client = imaplib.IMAP4("127.0.0.1", dovecot.plain_port)
    try:
        client.login(user, PASSWORD)
        for data in messages:
            assert client.append("INBOX", None, None, data)[0] == "OK"
    finally:
        client.logout()


def config(database_url: str, dovecot: Dovecot, user: str, feeds: FeedServer, slack: str) -> str:
    return f"""
[watchtower]
database_url = "{database_url}"
poll_interval = "30s"

[slack]
default_channel = "#veille"
api_url = "{slack}"
channel_interval = "0s"

[[brands]]
name = "Acmé"
terms = ["Acmé"]

[[sources]]
name = "veille-mail"
kind = "imap"
host = "127.0.0.1"
port = {dovecot.plain_port}
tls = "none"
username = "{user}"
password_env = "{ENV}"
allow_private = true
max_messages = 500
every = "10m"

[[sources]]
name = "presse"
kind = "rss"
url = "{feeds.url("/presse.rss")}"
allow_private = true
every = "10m"
"""


def checked_at(app: App, name: str) -> datetime | None:
    with app.db.session() as session:
        row = session.scalars(select(SourceRow).where(SourceRow.name == name)).one()
        return row.last_attempt_at


def test_a_mailbox_behind_is_read_at_every_round_until_caught_up(
    tmp_path: Path,
    dovecot: Dovecot,
    feeds: FeedServer,
    slack: FakeSlack,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv(ENV, PASSWORD)
    monkeypatch.setenv("SLACK_BOT_TOKEN", slack.token)
    user = f"u{uuid.uuid4().hex[:10]}"
    feeds.resources["/presse.rss"] = Resource(rss("Acmé ouvre une agence"))
    append(dovecot, user, [mail(0, "Bienvenue", "Premier message.")])
    path = tmp_path / "watchtower.toml"
    path.write_text(
        config(f"sqlite:///{tmp_path / 'wt.db'}", dovecot, user, feeds, slack.api_url), "utf-8"
    )
    clock = Clock(now=datetime.now(UTC))
    app = App(load_config(path), clock=clock, console=io.StringIO())
    try:
        app.start()
        assert app.poller.poll().sources == 2  # both sources' first check
        # The week-end: 3,000 e-mails, a few about Acmé, the last one this morning.
        waiting = [
            mail(n, f"Lettre d'information {n}", "Rien à signaler.")
            if n % 1000
            else mail(n, f"Acmé dans la presse ({n})", "Un article cite Acmé.")
            for n in range(1, WAITING)
        ]
        waiting.append(mail(WAITING, "Acmé : carte bloquée ce matin", "Client mécontent d'Acmé."))
        append(dovecot, user, waiting)

        clock.advance(minutes=11)  # both are due again (`every` is 10 minutes, ±10%)
        rounds = [app.poller.poll()]
        presse_checked = checked_at(app, "presse")
        while rounds[-1].sources and len(rounds) < 12:
            clock.advance(seconds=30)  # the next round
            rounds.append(app.poller.poll())

        # 500 per round: six rounds read the 3,000, 30 s apart; then the box is quiet.
        assert [r.sources for r in rounds] == [2, 1, 1, 1, 1, 1, 0]
        assert [r.failed for r in rounds] == [0] * 7
        assert sum(r.new_items for r in rounds) == WAITING  # each e-mail once
        assert checked_at(app, "presse") == presse_checked  # its rhythm: every 10 minutes
        app.outbox.drain()
        texts = [post["text"] for post in slack.posts()]
        assert any("carte bloquée ce matin" in text for text in texts)
        assert sum("Acmé dans la presse" in text for text in texts) == 2

        # Caught up: the mailbox is back to its `every`, like the feed.
        clock.advance(minutes=11)
        assert app.poller.poll().sources == 2
    finally:
        app.close()
