"""A LinkedIn group digest, as the community manager reads it in Slack: who started
each discussion, and one message per member.

Before, every discussion of a digest had the author "LinkedIn": Slack said
"Auteur LinkedIn", and two members posting the same complaint looked like one
author's words on one site, so the second was folded into the first's story
and nobody answered that member. Now each discussion names its member; two
members are two stories (as on a forum, see test_forum_members.py), and the
same discussion in the next day's digest is still one story, not a new alert.

Real parts on loopback: Dovecot (digests placed with IMAP APPEND), the fake
Slack, SQLite; the daemon's poller on a simulated clock. The digests are
SYNTHETIC, following the public structure of LinkedIn group digest e-mails.
"""

from __future__ import annotations

import io
import json
import tempfile
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from pathlib import Path

import pytest

from tests.e2e.alerting_helpers import Clock
from tests.e2e.test_imap_catch_up import ENV, append
from tests.french import nb
from tests.servers.slack import FakeSlack
from tests.unit.adapters.dovecot import PASSWORD, Dovecot, dovecot_or_skip
from watchtower.app import App
from watchtower.config import load_config

pytestmark = pytest.mark.timeout(120)

POST = "https://www.linkedin.com/comm/groups/4711/posts/{}?midToken={}&amp;trk=eml-digest"
COMPLAINT = (
    "Banque Acmé, encore une panne de l'appli ce soir : impossible de me connecter, "
    "impossible de consulter mes comptes ou de faire un virement, et le service client "
    "ne répond pas au téléphone. {end}"
)


@pytest.fixture(scope="module")
def dovecot() -> Iterator[Dovecot]:
    server = Dovecot(dovecot_or_skip(), Path(tempfile.mkdtemp(prefix="wt-e2e-dovecot-")))
    server.start()
    yield server
    server.stop()


def digest(day: datetime, posts: list[tuple[int, str, str]]) -> bytes:
    """A group digest of ``(discussion id, member, text)``."""
    rows = "".join(
        f'<tr><td><a href="{POST.format(post_id, uuid.uuid4().hex[:6])}">'
        f"Panne de l'appli Banque Acmé</a><p>{member} · {text}</p></td></tr>"
        for post_id, member, text in posts
    )
    html = f"<html><body><table>{rows}</table></body></html>"
    return (
        "From: LinkedIn <groups-noreply@linkedin.com>\r\nTo: veille@acme.example\r\n"
        "Subject: Nouvelles discussions dans Clients Banque Acmé\r\n"
        f"Message-ID: <{uuid.uuid4().hex}@linkedin.com>\r\nDate: {format_datetime(day)}\r\n"
        "MIME-Version: 1.0\r\nContent-Type: text/html; charset=UTF-8\r\n"
        f"Content-Transfer-Encoding: 8bit\r\n\r\n{html}\r\n"
    ).encode()


def test_each_member_of_a_digest_is_named_and_gets_their_own_message(
    tmp_path: Path, dovecot: Dovecot, slack: FakeSlack, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(ENV, PASSWORD)
    monkeypatch.setenv("SLACK_BOT_TOKEN", slack.token)
    user = f"u{uuid.uuid4().hex[:10]}"
    path = tmp_path / "watchtower.toml"
    path.write_text(
        f"""
[watchtower]
database_url = "sqlite:///{tmp_path / "wt.db"}"

[slack]
default_channel = "#veille"
api_url = "{slack.api_url}"
channel_interval = "0s"

[[brands]]
name = "Acmé"
terms = ["Acmé"]

[[sources]]
name = "linkedin"
kind = "imap"
host = "127.0.0.1"
port = {dovecot.plain_port}
tls = "none"
username = "{user}"
password_env = "{ENV}"
allow_private = true
""",
        "utf-8",
    )
    clock = Clock(now=datetime.now(UTC))
    app = App(load_config(path), clock=clock, console=io.StringIO())
    try:
        app.start()
        monday = clock.now
        append(
            dovecot,
            user,
            [
                digest(
                    monday,
                    [
                        (7001, "Marie Dupont", COMPLAINT.format(end="Vraiment pénible.")),
                        (7002, "Paul Roux", COMPLAINT.format(end="Vraiment pénible.")),
                    ],
                )
            ],
        )
        app.poller.poll(all_sources=True)
        app.outbox.drain()
        first = slack.posts()
        assert len(first) == 2  # two members, two messages
        shown = [json.dumps(post, ensure_ascii=False) for post in first]
        assert nb("*Auteur :* Marie Dupont") in shown[0] and nb("*Auteur :* Paul Roux") in shown[1]
        assert not any("LinkedIn" in text for text in shown)

        # Tuesday's digest repeats Marie's discussion (new tracking) with a new one.
        clock.advance(days=1)
        append(
            dovecot,
            user,
            [
                digest(
                    monday + timedelta(days=1),
                    [
                        (7001, "Marie Dupont", COMPLAINT.format(end="Vraiment pénible.")),
                        (7003, "Lina Ben", "Banque Acmé : virement bloqué depuis lundi."),
                    ],
                )
            ],
        )
        app.poller.poll(all_sources=True)
        app.outbox.drain()
        new = slack.posts()[len(first) :]
        assert len(new) == 1 and nb("*Auteur :* Lina Ben") in json.dumps(new[0], ensure_ascii=False)

    finally:
        app.close()
