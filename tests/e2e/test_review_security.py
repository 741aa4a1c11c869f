"""Security review: hostile content from sources, through the real local servers.

Each test asserts the *safe* behaviour and is marked ``xfail(strict=True)`` while
the defect it reproduces is open: once fixed, the test passes and strict xfail
turns it red, so the mark is removed with the fix.

Everything stays on loopback: sources are served by the local feed server, Slack
is the fake Web API, e-mail is aiosmtpd, and every TCP connect outside
127.0.0.0/8 and ::1 is refused by the ``_loopback_only`` guard below before a
packet is sent (SSRF tests assert the refusal came from watchtower, earlier).
"""

from __future__ import annotations

import io
import ipaddress
import json
import logging
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from rich.console import Console

from tests.e2e.alerting_helpers import rows
from tests.e2e.scenario import targets
from tests.servers.http import FeedServer, Resource
from tests.servers.loopback import guard_loopback
from tests.servers.slack import FakeSlack
from tests.servers.smtp import SmtpServer
from watchtower.adapters._http import HttpFetcher
from watchtower.adapters.base import FetchContext, SourceState
from watchtower.adapters.rss import RssSettings, RssSource
from watchtower.app import App
from watchtower.cli import main
from watchtower.config import load_config
from watchtower.errors import PermanentError
from watchtower.progress import print_status
from watchtower.reload import Reloader

# C0 and C1 control characters and DEL: a terminal acts on them (ESC[…, CSI U+009B,
# OSC U+009D: colours, hidden text, hyperlinks, window titles, clipboard).
TERMINAL_CONTROLS = {chr(c) for c in [*range(0x20), 0x7F, *range(0x80, 0xA0)]} - {"\n"}
BIDI_CONTROLS = set("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")


# ------------------------------------------------------------------ fixtures
@pytest.fixture(autouse=True)
def _loopback_only(monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, int]]:
    """Refuse (before any packet) every TCP connect outside loopback; record attempts."""
    return guard_loopback(monkeypatch, ConnectionRefusedError)


def _rss(*items: str) -> bytes:
    return (
        '<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>t</title>'
        + "".join(items)
        + "</channel></rss>"
    ).encode()


def _item(title: str, link: str, text: str, guid: str, extra: str = "") -> str:
    return (
        f"<item><title>{title}</title><link>{link}</link><description>{text}</description>"
        f"<guid>{guid}</guid>{extra}</item>"
    )


CRISIS_RULE = """
[[rules]]
name = "crise"
query = "arnaque"
severity = "critical"
notify = ["slack:#crise", "email:dircom@example.fr"]
"""


def _source(feeds: FeedServer, kind: str = "rss", path: str = "/f.xml", extra: str = "") -> str:
    return f"""
[[sources]]
name = "forum"
kind = "{kind}"
url = "{feeds.url(path)}"
allow_private = true
{extra}
"""


def _poll_and_drain(app: App) -> Any:
    stats = app.poller.poll(all_sources=True)
    app.outbox.drain()
    return stats


def _slack_payloads(slack: FakeSlack) -> list[dict[str, Any]]:
    """Every message body watchtower sent to Slack (posts and updates)."""
    return [c.body for c in slack.calls if c.method in ("chat.postMessage", "chat.update")]


def _html_parts(smtp: SmtpServer) -> list[str]:
    return [
        str(part.get_content())
        for mail in smtp.messages
        for part in mail.walk()
        if part.get_content_type() == "text/html"
    ]


def _text_parts(smtp: SmtpServer) -> list[str]:
    return [
        str(part.get_content())
        for mail in smtp.messages
        for part in mail.walk()
        if part.get_content_type() == "text/plain"
    ]


# ------------------------------------------------- 1. non-http item links
def test_a_feed_link_cannot_ping_the_whole_channel_through_the_fallback_text(
    app_for: Callable[[str], App], feeds: FeedServer, slack: FakeSlack
) -> None:
    feeds.resources["/f.xml"] = Resource(
        _rss(_item("Acmé arnaque", "javascript:0//&lt;!channel&gt;", "Acmé arnaque", "g1"))
    )
    app = app_for(_source(feeds) + CRISIS_RULE)
    _poll_and_drain(app)

    payloads = _slack_payloads(slack)
    assert payloads, "the crisis mention must reach Slack"
    for body in payloads:
        sent = str(body.get("text")) + json.dumps(body.get("blocks"))
        assert "<!channel>" not in sent


@pytest.mark.parametrize(
    "link",
    [
        "javascript:alert(document.cookie)",
        "data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==",
    ],
    ids=["javascript", "data"],
)
def test_a_non_http_item_url_is_never_a_link(
    app_for: Callable[[str], App],
    feeds: FeedServer,
    slack: FakeSlack,
    smtp: SmtpServer,
    link: str,
) -> None:
    feeds.resources["/f.xml"] = Resource(_rss(_item("Acmé arnaque", link, "Acmé arnaque", "g1")))
    app = app_for(_source(feeds) + CRISIS_RULE)
    _poll_and_drain(app)

    scheme = link.split(":", 1)[0] + ":"
    [html] = _html_parts(smtp)
    assert f'href="{scheme}' not in html
    blocks = json.dumps([body.get("blocks") for body in _slack_payloads(slack)])
    assert f"<{scheme}" not in blocks


# ------------------------------------------- 2. quadratic HTML-to-text (ReDoS)
@pytest.mark.timeout(60)
def test_hostile_markup_in_a_feed_is_parsed_in_bounded_time(
    app_for: Callable[[str], App], feeds: FeedServer, slack: FakeSlack
) -> None:
    hostile = "&lt;a " * 8000  # 48 kB of XML, 24 kB of unclosed "<a " tags
    feeds.resources["/f.xml"] = Resource(
        _rss(
            _item("Acmé arnaque", "https://example.org/1", hostile, "g1"),
            _item("Acmé arnaque encore", "https://example.org/2", "Acmé", "g2"),
        )
    )
    app = app_for(_source(feeds) + CRISIS_RULE)

    started = time.perf_counter()
    stats = app.poller.poll(all_sources=True)
    elapsed = time.perf_counter() - started

    assert stats.failed == 0
    assert elapsed < 1.0, f"one 48 kB feed took {elapsed:.1f}s to poll"


# --------------------------------------------------------- 3. extreme dates
def test_a_far_future_date_does_not_stop_the_alert(
    app_for: Callable[[str], App], feeds: FeedServer, slack: FakeSlack, smtp: SmtpServer
) -> None:
    feeds.resources["/f.xml"] = Resource(
        _rss(
            _item(
                "Acmé arnaque",
                "https://example.org/1",
                "Acmé arnaque",
                "g1",
                "<pubDate>Fri, 31 Dec 9999 23:30:00 GMT</pubDate>",
            )
        )
    )
    app = app_for(_source(feeds) + CRISIS_RULE)
    _poll_and_drain(app)

    assert len(slack.posts()) == 1
    assert len(smtp.messages) == 1
    assert {r.status for r in rows(app)} == {"sent"}


@pytest.mark.parametrize("date", ["9999-12-31T23:30:00-05:00", "0001-01-01T00:30:00+01:00"])
def test_one_entry_with_an_out_of_range_date_does_not_block_its_feed(
    database_url: str,
    app_for: Callable[[str], App],
    feeds: FeedServer,
    slack: FakeSlack,
    date: str,
) -> None:
    if not database_url.startswith("sqlite"):
        pytest.skip("PostgreSQL stores the aware datetime as given; SQLite's converts to UTC")
    atom = f"""<?xml version="1.0"?><feed xmlns="http://www.w3.org/2005/Atom"><title>t</title>
<entry><title>Acmé piégé</title><link href="https://example.org/a"/><id>g1</id>
<updated>{date}</updated><summary>Acmé</summary></entry>
<entry><title>Acmé arnaque</title><link href="https://example.org/b"/><id>g2</id>
<updated>2026-03-04T09:00:00Z</updated><summary>Acmé arnaque</summary></entry></feed>"""
    feeds.resources["/f.xml"] = Resource(atom.encode(), "application/atom+xml")
    app = app_for(_source(feeds) + CRISIS_RULE)
    stats = _poll_and_drain(app)

    assert stats.failed == 0, stats.errors
    assert any("Acmé arnaque" in post["text"] for post in slack.posts())


# ------------------------------------------------------ 4. NaN review rating
def test_a_nan_rating_does_not_stop_a_review_source(
    database_url: str, app_for: Callable[[str], App], feeds: FeedServer, slack: FakeSlack
) -> None:
    if database_url.startswith("sqlite"):
        pytest.skip("PostgreSQL refuses NaN in JSON; SQLite stores it")
    page = """<html><head><script type="application/ld+json">
{"@context": "https://schema.org", "@type": "LocalBusiness", "name": "Banque Acmé Lyon",
 "review": [
  {"@type": "Review", "author": {"@type": "Person", "name": "A"}, "datePublished": "2026-03-01",
   "reviewBody": "Acmé : nul", "reviewRating": {"@type": "Rating", "ratingValue": "NaN"}},
  {"@type": "Review", "author": {"@type": "Person", "name": "B"}, "datePublished": "2026-03-02",
   "reviewBody": "Acmé : arnaque", "reviewRating": {"@type": "Rating", "ratingValue": "1"}}]}
</script></head><body></body></html>"""
    feeds.resources["/avis"] = Resource(page.encode(), "text/html; charset=utf-8")
    app = app_for(_source(feeds, "reviews", "/avis") + CRISIS_RULE)
    stats = _poll_and_drain(app)

    assert stats.failed == 0, stats.errors
    assert any("B" in post["text"] for post in slack.posts())


# ------------------------------------------- 5. terminal control characters
def test_the_console_prints_no_terminal_control_from_a_feed(
    app_for: Callable[[str], App], feeds: FeedServer
) -> None:
    # CSI 8 m (conceal) and an OSC 8 hyperlink, written as 8-bit C1 controls.
    title = "Acmé arnaque &#x9b;8m cach&#xe9; &#x9d;8;;https://evil.example/&#x9c;lien&#x7f;"
    feeds.resources["/f.xml"] = Resource(
        _rss(_item(title, "https://example.org/1", f"Acmé {title}", "g1"))
    )
    app = app_for(
        _source(feeds) + '\n[[rules]]\nname = "crise"\nquery = "arnaque"\nnotify = ["console:"]\n'
    )
    app.console = out = io.StringIO()
    _poll_and_drain(app)

    printed = out.getvalue()
    assert "Acmé arnaque" in printed
    assert not TERMINAL_CONTROLS & set(printed), sorted(TERMINAL_CONTROLS & set(printed))


def test_status_prints_no_terminal_control_from_a_server(
    database_url: str,
    feeds: FeedServer,
    write_config: Callable[[str], Path],
    capsys: pytest.CaptureFixture[str],
) -> None:
    # ESC [ 8 m hides what follows; ESC ] 8 ;; URL BEL opens a terminal hyperlink.
    feeds.resources["/f.xml"] = Resource(
        b"x", headers={"Content-Encoding": "\x1b[8m\x1b]8;;https://evil.example/\x07\x9b8m"}
    )
    path = write_config(
        f"""[watchtower]
database_url = "{database_url}"

[[brands]]
name = "Acmé"
terms = ["Acmé"]
{_source(feeds)}"""
    )
    assert main(["run", "--once", "--config", str(path)]) == 1
    capsys.readouterr()

    assert main(["status", "--config", str(path)]) == 0
    printed = capsys.readouterr().out
    assert "unsupported compression" in printed
    assert not TERMINAL_CONTROLS & set(printed), sorted(TERMINAL_CONTROLS & set(printed))


# ------------------------------------------------- 6. SSRF through IPv6 forms
@pytest.fixture
def fetcher() -> Iterator[HttpFetcher]:
    f = HttpFetcher(timeout=3.0, connect_timeout=2.0, politeness_delay=0.0)
    yield f
    f.close()


def _fetch(fetcher: HttpFetcher, url: str) -> Any:
    ctx = FetchContext(http=fetcher, now=lambda: datetime.now(UTC), log=logging.getLogger("t"))
    return RssSource().fetch(RssSettings(name="s", url=url), SourceState(), ctx)


@pytest.mark.parametrize(
    "host",
    [
        "[64:ff9b::a9fe:a9fe]",  # NAT64 of 169.254.169.254 (cloud metadata)
        "[64:ff9b:1::a9fe:a9fe]",  # local-use NAT64 prefix
        "[2002:a9fe:a9fe::1]",  # 6to4 of 169.254.169.254
        "[::a9fe:a9fe]",  # IPv4-compatible 169.254.169.254
        "[fec0::1]",  # site-local
    ],
)
def test_ipv6_forms_of_private_addresses_are_refused_before_connecting(
    fetcher: HttpFetcher, _loopback_only: list[tuple[str, int]], host: str
) -> None:
    with pytest.raises(PermanentError, match="refused"):
        _fetch(fetcher, f"http://{host}:8080/latest/meta-data/")
    assert all(ipaddress.ip_address(h.split("%")[0]).is_loopback for h, _ in _loopback_only)


# ------------------------------------------- 7. spoofed hosts in shown URLs
def test_bidi_controls_in_an_item_host_are_not_shown(
    app_for: Callable[[str], App], feeds: FeedServer, slack: FakeSlack, smtp: SmtpServer
) -> None:
    link = "https://\u202erf.acme-banque.evil.example/login"
    feeds.resources["/f.xml"] = Resource(_rss(_item("Acmé arnaque", link, "Acmé", "g1")))
    app = app_for(_source(feeds) + CRISIS_RULE)
    _poll_and_drain(app)

    shown = "".join(_text_parts(smtp)) + "".join(str(b.get("text")) for b in _slack_payloads(slack))
    assert "evil.example" in shown
    assert not BIDI_CONTROLS & set(shown)


def test_a_discourse_post_links_to_its_forum(
    app_for: Callable[[str], App], feeds: FeedServer, slack: FakeSlack
) -> None:
    latest = {
        "topic_list": {
            "topics": [{"id": 7, "slug": "acme", "title": "Acmé arnaque", "highest_post_number": 1}]
        }
    }
    posts = {
        "post_stream": {
            "posts": [
                {
                    "id": 70,
                    "post_number": 1,
                    "topic_id": 7,
                    "post_url": "@evil.example/phish",
                    "cooked": "<p>Acmé arnaque</p>",
                    "username": "u",
                }
            ]
        }
    }
    feeds.resources["/latest.json"] = Resource(json.dumps(latest).encode(), "application/json")
    feeds.resources["/t/7/posts.json"] = Resource(json.dumps(posts).encode(), "application/json")
    base = feeds.base_url
    app = app_for(
        f'\n[[sources]]\nname = "forum"\nkind = "discourse"\nbase_url = "{base}"\n'
        "allow_private = true\n" + CRISIS_RULE
    )
    _poll_and_drain(app)

    [post] = slack.posts()
    link = post["blocks"][0]["text"]["text"].split("<", 1)[1].split("|", 1)[0]
    assert urlsplit(link).hostname == "127.0.0.1", link


# ---------------------------------------------- 8. secrets in ops notices
def test_a_rejected_config_sends_no_url_password_to_ops(
    database_url: str,
    slack: FakeSlack,
    smtp: SmtpServer,
    write_config: Callable[[str], Path],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("SLACK_BOT_TOKEN", slack.token)
    ops = 'ops_notify = ["slack:#ops", "email:ops@example.fr"]'

    def text(scheme: str) -> str:
        return f"""{targets(database_url, slack, smtp, ops)}
[[brands]]
name = "Acmé"
terms = ["Acmé"]

[[sources]]
name = "prive"
kind = "rss"
url = "{scheme}://feeduser:HUNTER2PASS@127.0.0.1:9/flux.rss"
allow_private = true
"""

    path = write_config(text("https"))
    app = App(load_config(path), console=io.StringIO())
    try:
        app.start()
        reloader = Reloader(app)
        path.write_text(text("htps"), "utf-8")  # a typo in the scheme
        assert reloader.reload() is False
        app.outbox.drain()
    finally:
        app.close()

    sent = json.dumps([c.body for c in slack.calls]) + "".join(_text_parts(smtp))
    assert "feeduser" in sent  # the notice went out, naming the source URL
    assert "HUNTER2PASS" not in sent


# ------------------------------------------ 9. Rich markup in the TTY tables
@pytest.mark.parametrize(
    "encoding",
    ["[/]", "[link=https://evil.example/]support acme[/link]"],
    ids=["crash", "hyperlink"],
)
def test_status_on_a_terminal_shows_a_server_error_as_plain_text(
    app_for: Callable[[str], App], feeds: FeedServer, encoding: str
) -> None:
    feeds.resources["/f.xml"] = Resource(b"x", headers={"Content-Encoding": encoding})
    app = app_for(_source(feeds))
    assert app.poller.poll(all_sources=True).failed == 1
    out = io.StringIO()

    with app.db.session() as session:
        print_status(session, app.clock(), Console(file=out, force_terminal=True, width=300))

    printed = out.getvalue()
    assert encoding in printed  # shown as the server sent it, not interpreted
    assert "\x1b]8;" not in printed  # no terminal hyperlink


# ------------------------------------- 10. deeply nested JSON is unclassified
def test_deeply_nested_json_is_a_plain_source_error(
    app_for: Callable[[str], App], feeds: FeedServer
) -> None:
    feeds.resources["/latest.json"] = Resource(b"[" * 100_000, "application/json")
    app = app_for(
        f'\n[[sources]]\nname = "forum"\nkind = "discourse"\nbase_url = "{feeds.base_url}"\n'
        "allow_private = true\n"
    )
    stats = app.poller.poll(all_sources=True)

    assert stats.failed == 1
    assert not stats.errors["forum"].startswith("internal error"), stats.errors["forum"]
