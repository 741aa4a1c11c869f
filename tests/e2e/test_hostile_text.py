"""Text no database takes: a NUL character, a lone UTF-16 surrogate.

Anyone writes a forum post, a review, an e-mail. JSON may carry ``"\\u0000"``
(PostgreSQL refuses NUL in a text column: "A string literal cannot contain NUL
(0x00) characters") or a lone ``"\\ud800"`` (Python decodes it to a str no
UTF-8 encoder takes: SQLite and PostgreSQL raise ``UnicodeEncodeError``); an
e-mail's undecodable header bytes become surrogates too. Before, such an item
failed its source at every poll, and every other item fetched with it was lost.
Each adapter's real parsing runs here against a local server, on SQLite and
PostgreSQL: the items are stored, NUL dropped, a lone surrogate read as U+FFFD.
"""

from __future__ import annotations

import base64
import imaplib
import json
import tempfile
import threading
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from email.utils import format_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy

from tests.servers.http import FeedServer, Resource
from tests.servers.slack import FakeSlack
from tests.unit.adapters.dovecot import PASSWORD, Dovecot, dovecot_or_skip
from watchtower.app import App
from watchtower.config import load_config
from watchtower.storage.engines import make_engine

pytestmark = pytest.mark.timeout(180)

ENV = "WT_TEST_HOSTILE_IMAP_PASSWORD"
NOW = datetime(2026, 11, 24, 9, 0, tzinfo=UTC)
STAMP = "2026-11-24T08:00:00.000Z"


def no_bad(value: Any) -> bool:
    """No NUL and no lone surrogate anywhere in ``value``."""
    text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
    return "\x00" not in text and not any("\ud800" <= c <= "\udfff" for c in text)


class Run:
    """One poll round of a real App on ``sources`` (TOML), then what it stored."""

    def __init__(self, database_url: str, slack: FakeSlack, tmp_path: Path) -> None:
        self.database_url = database_url
        self.slack = slack
        self.tmp_path = tmp_path

    def __call__(self, sources: str, drain: bool = False) -> dict[str, str]:
        path = self.tmp_path / "watchtower.toml"
        path.write_text(
            f"""
[watchtower]
database_url = "{self.database_url}"
backlog = "all"

[slack]
default_channel = "#veille"
api_url = "{self.slack.api_url}"
channel_interval = "0s"

[[brands]]
name = "Acmé"
terms = ["Acmé"]
{sources}
""",
            "utf-8",
        )
        app = App(load_config(path), clock=lambda: NOW)
        try:
            app.start()
            stats = app.poller.poll(all_sources=True)
            if drain:
                app.outbox.drain()
            return dict(stats.errors)
        finally:
            app.close()

    def rows(self, sql: str) -> list[Any]:
        engine = make_engine(self.database_url)
        try:
            with engine.connect() as conn:
                return [tuple(r) for r in conn.execute(sqlalchemy.text(sql)).all()]
        finally:
            engine.dispose()

    def items(self) -> list[tuple[str, str, str | None]]:
        return sorted(self.rows("SELECT title, text, author FROM items"))


@pytest.fixture
def run(
    database_url: str, slack: FakeSlack, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Run:
    monkeypatch.setenv("SLACK_BOT_TOKEN", slack.token)
    return Run(database_url, slack, tmp_path)


def web_source(name: str, kind: str, url: str, more: str = "") -> str:
    return (
        f'\n[[sources]]\nname = "{name}"\nkind = "{kind}"\nurl = "{url}"\n'
        f"allow_private = true\n{more}"
    )


# ---------------------------------------------------------------- Discourse JSON
def discourse(feeds: FeedServer, title: str, cooked: str, username: str) -> str:
    latest = {
        "topic_list": {
            "topics": [
                {"id": 7, "slug": "acme", "title": title, "highest_post_number": 1},
                {"id": 8, "slug": "autre", "title": "Acmé autre", "highest_post_number": 1},
            ]
        }
    }

    def post(topic: int, cooked: str, username: str) -> dict[str, Any]:
        return {
            "post_stream": {
                "posts": [
                    {
                        "id": topic * 10,
                        "post_number": 1,
                        "topic_id": topic,
                        "cooked": cooked,
                        "raw": cooked,
                        "username": username,
                        "name": username,
                        "created_at": STAMP,
                        "updated_at": STAMP,
                    }
                ]
            }
        }

    def served(payload: dict[str, Any]) -> Resource:
        return Resource(json.dumps(payload).encode(), "application/json")

    feeds.resources["/latest.json"] = served(latest)
    feeds.resources["/t/7/posts.json"] = served(post(7, cooked, username))
    feeds.resources["/t/8/posts.json"] = served(post(8, "<p>Acmé ok</p>", "b"))
    return (
        f'\n[[sources]]\nname = "forum"\nkind = "discourse"\nbase_url = "{feeds.base_url}"\n'
        "allow_private = true\n"
    )


@pytest.mark.parametrize("bad", ["\x00", "\ud800", "\udfff"], ids=["nul", "high", "low"])
def test_a_discourse_post_with_unstorable_characters_is_stored(
    run: Run, feeds: FeedServer, bad: str
) -> None:
    sources = discourse(feeds, f"Acmé{bad} titre", f"<p>Acmé{bad} texte</p>", f"user{bad}")
    assert run(sources) == {}
    items = run.items()
    assert len(items) == 2, items
    assert all(no_bad(i) for i in items), items
    assert any("Acmé" in title and "titre" in title for title, _, _ in items), items
    assert run.rows("SELECT last_error FROM sources") == [(None,)]


# ---------------------------------------------------------------- JSON-LD reviews, App Store
def review_page(body: str) -> bytes:
    reviews = [
        {
            "@type": "Review",
            "author": {"@type": "Person", "name": f"Karim{body[-1]}"},
            "datePublished": "2026-11-20",
            "reviewRating": {"@type": "Rating", "ratingValue": "1"},
            "reviewBody": body,
        },
        {
            "@type": "Review",
            "author": {"@type": "Person", "name": "Lucie"},
            "datePublished": "2026-11-20",
            "reviewRating": {"@type": "Rating", "ratingValue": "2"},
            "reviewBody": "Attente au guichet.",
        },
    ]
    data = {"@context": "https://schema.org", "@type": "BankOrCreditUnion", "review": reviews}
    return (
        '<html lang="fr"><head><script type="application/ld+json">'
        + json.dumps(data)
        + "</script></head><body></body></html>"
    ).encode()


@pytest.mark.parametrize("bad", ["\x00", "\ud800"], ids=["nul", "surrogate"])
def test_a_review_page_with_unstorable_characters_is_stored(
    run: Run, feeds: FeedServer, bad: str
) -> None:
    feeds.resources["/avis"] = Resource(review_page(f"Banque Acmé refus{bad}"), "text/html")
    assert run(web_source("avis", "reviews", feeds.url("/avis"))) == {}
    items = run.items()
    assert len(items) == 2 and all(no_bad(i) for i in items), items


@pytest.mark.parametrize("bad", ["\x00", "\ud800"], ids=["nul", "surrogate"])
def test_an_app_store_feed_with_unstorable_characters_is_stored(
    run: Run, feeds: FeedServer, bad: str
) -> None:
    def entry(n: int, text: str) -> dict[str, Any]:
        return {
            "author": {"name": {"label": f"auteur{n}{bad}"}, "label": ""},
            "updated": {"label": "2026-11-20T10:21:07-07:00"},
            "im:rating": {"label": "1"},
            "im:version": {"label": f"5.1{bad}"},
            "id": {"label": str(n)},
            "title": {"label": f"Acmé {n}"},
            "content": {"label": text, "attributes": {"type": "text"}},
            "link": {
                "attributes": {"rel": "related", "href": "https://apps.apple.com/fr/app/x/id1"}
            },
        }

    feed = {"feed": {"entry": [entry(1, f"Acmé refus{bad}"), entry(2, "Acmé lent")]}}
    feeds.resources["/app.json"] = Resource(json.dumps(feed).encode(), "application/json")
    assert run(web_source("appli", "reviews", feeds.url("/app.json"))) == {}
    items = run.items()
    assert len(items) == 2 and all(no_bad(i) for i in items), items
    extras = run.rows("SELECT payload FROM outbox")
    assert all(no_bad(p) for p in extras), extras


# ---------------------------------------------------------------- html kind (selectolax)
def test_an_html_page_with_nul_bytes_is_stored(run: Run, feeds: FeedServer) -> None:
    page = (
        b'<html><body><article class="news"><h2><a href="/a\x001">Acm\xc3\xa9\x00 un</a></h2>'
        b'<time datetime="2026-11-20">20/11</time><p>texte\x00</p></article>'
        b'<article class="news"><h2><a href="/b&#0;2">Acm\xc3\xa9&#0; deux</a></h2>'
        b'<time datetime="2026-11-20">20/11</time></article></body></html>'
    )
    feeds.resources["/actus"] = Resource(page, "text/html; charset=utf-8")
    more = 'item = "article.news"\ntitle = "h2 a"\ndate = "time"\n'
    assert run(web_source("actus", "html", feeds.url("/actus"), more)) == {}
    items = run.items()
    assert len(items) == 2 and all(no_bad(i) for i in items), items
    urls = run.rows("SELECT url, guid FROM items")
    assert all(no_bad(u) for u in urls), urls


# ---------------------------------------------------------------- RSS / Atom (lxml)
@pytest.mark.parametrize(
    "broken",
    [
        False,
        True,  # with a stray tag too: the entries after it are read
    ],
    ids=["well-formed", "recovered"],
)
def test_a_feed_with_a_nul_byte_is_read(run: Run, feeds: FeedServer, broken: bool) -> None:
    """XML forbids NUL; a feed that holds one is read entry by entry all the same."""
    stray = b"<br>" if broken else b""
    feed = (
        b'<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>F</title>'
        b"<item><title>Acm\xc3\xa9\x00 un</title><link>https://f.example/1\x00</link>"
        b"<guid>g1\x00</guid><author>a\x00@f.example</author>"
        b"<description>texte\x00" + stray + b"</description>"
        b"<pubDate>Fri, 20 Nov 2026 09:00:00 +0000</pubDate></item>"
        b"<item><title>Acm\xc3\xa9 deux</title><link>https://f.example/2</link><guid>g2</guid>"
        b"<pubDate>Fri, 20 Nov 2026 09:00:00 +0000</pubDate></item></channel></rss>"
    )
    feeds.resources["/f.rss"] = Resource(feed, "application/rss+xml")
    run(web_source("flux", "rss", feeds.url("/f.rss")))
    assert run.rows("SELECT last_error FROM sources") == [(None,)]
    rows = run.rows("SELECT title, text, author, url, guid FROM items")
    assert rows and all(no_bad(r) for r in rows), rows
    assert sorted((r[0], r[3]) for r in rows) == [
        ("Acmé deux", "https://f.example/2"),
        ("Acmé un", "https://f.example/1"),
    ]


# ---------------------------------------------------------------- IMAP (Dovecot)
@pytest.fixture(scope="module")
def dovecot() -> Iterator[Dovecot]:
    server = Dovecot(dovecot_or_skip(), Path(tempfile.mkdtemp(prefix="wt-hostile-dovecot-")))
    server.start()
    yield server
    server.stop()


def mail(n: int, subject: bytes, headers: bytes, body: bytes) -> bytes:
    head = (
        f"From: Lettre {n} <lettre@example.org>\r\nTo: veille@acme.example\r\n"
        f"Message-ID: <h{n}-{uuid.uuid4().hex}@example.org>\r\n"
        f"Date: {format_datetime(NOW)}\r\n"
    ).encode()
    return head + b"Subject: " + subject + b"\r\n" + headers + b"\r\n" + body + b"\r\n"


MAILS = {
    # RFC 2047 words that decode to NUL, and a base64 body holding NUL bytes.
    "encoded-nul": mail(
        1,
        b"=?utf-8?q?Acm=C3=A9=00_nul?=",
        b"Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: base64\r\n",
        base64.b64encode("Banque Acmé\x00 corps".encode()),
    ),
    # A header in raw Latin-1 bytes: Python's parser reads them as surrogates.
    "raw-8bit": mail(
        2,
        b"Acm\xe9 brut",
        b"Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n",
        b"Banque Acm\xe9 corps en latin-1 annonc\xe9 utf-8",
    ),
    # A quoted-printable body with NUL and a broken charset name.
    "qp-bad-charset": mail(
        3,
        b"=?x-unknown?q?Acm=E9?= charset",
        b"Content-Type: text/plain; charset=x-unknown\r\n"
        b"Content-Transfer-Encoding: quoted-printable\r\n",
        b"Banque Acm=E9=00 corps",
    ),
}


def test_e_mails_with_nul_and_undecodable_bytes_are_stored(
    run: Run, dovecot: Dovecot, monkeypatch: pytest.MonkeyPatch
) -> None:
    user = f"u{uuid.uuid4().hex[:10]}"
    monkeypatch.setenv(ENV, PASSWORD)
    client = imaplib.IMAP4("127.0.0.1", dovecot.plain_port)
    try:
        client.login(user, PASSWORD)
        for data in MAILS.values():
            assert client.append("INBOX", None, None, data)[0] == "OK"
    finally:
        client.logout()
    sources = (
        f'\n[[sources]]\nname = "mail"\nkind = "imap"\nhost = "127.0.0.1"\n'
        f'port = {dovecot.plain_port}\ntls = "none"\nusername = "{user}"\n'
        f'password_env = "{ENV}"\nallow_private = true\n'
    )
    assert run(sources) == {}
    rows = run.rows("SELECT title, text, author, url, guid FROM items")
    assert len(rows) == len(MAILS) and all(no_bad(r) for r in rows), rows


# ---------------------------------------------------------------- error texts quoting a server
class Refusing:
    """A token endpoint on 127.0.0.1 that refuses every request with ``description``."""

    def __init__(self, description: str) -> None:
        body = json.dumps({"error": "invalid_request", "error_description": description}).encode()

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                pass

            def do_POST(self) -> None:
                self.rfile.read(int(self.headers.get("Content-Length") or 0))
                self.send_response(400)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/token"

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.mark.parametrize("bad", ["\x00", "\ud800"], ids=["nul", "surrogate"])
def test_a_token_server_refusal_quoting_unstorable_text_is_recorded(
    run: Run, monkeypatch: pytest.MonkeyPatch, bad: str
) -> None:
    """The source's error (and the ops alert it queues) quotes the server's words."""
    tokens = Refusing(f"AADSTS9000{bad}: bad request{bad}")
    monkeypatch.setenv("WT_TEST_HOSTILE_SECRET", "s3cret")
    try:
        errors = run(
            '\n[[sources]]\nname = "m365"\nkind = "imap"\nhost = "127.0.0.1"\nport = 1\n'
            'tls = "none"\nusername = "veille@acme.example"\nauth = "oauth2"\n'
            f'token_url = "{tokens.url}"\nclient_id = "c"\n'
            'client_secret_env = "WT_TEST_HOSTILE_SECRET"\nallow_private = true\n'
        )
    finally:
        tokens.stop()
    assert "AADSTS9000" in errors["m365"], errors
    [(error,)] = run.rows("SELECT last_error FROM sources")
    assert error and "AADSTS9000" in error and no_bad(error), error


@pytest.mark.parametrize("bad", ["\x00", "\ud800"], ids=["nul", "surrogate"])
def test_a_slack_error_quoting_unstorable_text_is_recorded(
    run: Run, feeds: FeedServer, bad: str
) -> None:
    """Slack's answer is stored on the outbox row as its last error."""
    feed = (
        '<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>F</title>'
        "<item><title>Acmé en panne</title><link>https://f.example/1</link><guid>g1</guid>"
        "<pubDate>Tue, 24 Nov 2026 08:00:00 +0000</pubDate></item></channel></rss>"
    )
    feeds.resources["/f.rss"] = Resource(feed.encode(), "application/rss+xml")
    run.slack.error_next = [f"invalid_blocks{bad}"] * 10
    run(web_source("flux", "rss", feeds.url("/f.rss")), drain=True)
    rows = run.rows("SELECT status, last_error FROM outbox")
    assert rows and all(error and no_bad(error) for _, error in rows), rows
