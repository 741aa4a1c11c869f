"""End to end: what a hostile feed can make watchtower send.

Anyone can write a forum post; its title, text and link travel through the real
pipeline (local feed server → match → outbox) to the fake Slack and aiosmtpd.
What arrives must carry the attacker's words as text only: no extra e-mail
header, no lost message, no fake link, no ping, no reordered text.
"""

from __future__ import annotations

from collections.abc import Callable
from email.message import EmailMessage
from html import escape
from pathlib import Path

import pytest

from tests.e2e.scenario import targets
from tests.servers.http import FeedServer, Resource
from tests.servers.slack import FakeSlack
from tests.servers.smtp import SmtpServer
from watchtower.cli import main

# An RFC 2047 encoded word that decodes to CR LF and a Bcc header.
ENCODED_WORD = "=?utf-8?q?Avis=0D=0ABcc=3A_leak=40attacker.example?="
RLO, PDF = "\u202e", "\u202c"
ITEMS = {
    "encoded": (f"Arnaque Banque Acmé {ENCODED_WORD} fin", "https://forum.example.fr/t/encoded"),
    "separator": (
        "Arnaque Banque Acmé\u2028Bcc: leak@attacker.example\u2029\u2029corps",
        "https://forum.example.fr/t/separator",
    ),
    # Read as "Arnaque Banque Acmé exe.jpg voir" once reordered.
    "bidi": (f"Arnaque Banque Acmé {RLO}gpj.exe{PDF} voir", "https://forum.example.fr/t/bidi"),
    "fakelink": (
        "Arnaque <https://evil.example/login|Banque Acmé — site officiel> <!here> "
        "<!subteam^S0123> <@U0123> *urgent*",
        "https://forum.example.fr/t/fakelink",
    ),
    "script": ("Un lien piégé sur l'arnaque Acmé", "javascript:alert(document.cookie)"),
}
EXCERPT = (
    "Une arnaque de la Banque Acmé.</td></table><script>alert(1)</script>"
    '<img src=x onerror="alert(2)"><a href="javascript:alert(3)">ici</a>'
)


def feed(items: dict[str, tuple[str, str]]) -> bytes:
    """RSS whose titles and descriptions are the attacker's. A title is HTML,
    escaped in XML: written ``&amp;lt;`` it reads "<" once parsed, as written above."""
    entries = "".join(
        f"<item><title>{escape(escape(title))}</title>"
        f"<link>{escape(link)}</link><guid>{key}</guid>"
        "<pubDate>Tue, 24 Nov 2026 09:15:00 +0100</pubDate>"
        f"<description><![CDATA[{escape(EXCERPT)} Sujet {key} n°{n}.]]></description></item>"
        for n, (key, (title, link)) in enumerate(items.items())
    )
    return (
        '<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel>'
        f"<title>Forum</title><link>https://forum.example.fr/</link>{entries}</channel></rss>"
    ).encode()


@pytest.fixture
def hostile(
    database_url: str,
    feeds: FeedServer,
    slack: FakeSlack,
    smtp: SmtpServer,
    write_config: Callable[[str], Path],
    monkeypatch: pytest.MonkeyPatch,
) -> Path:
    feeds.resources["/forum.rss"] = Resource(feed(ITEMS), "application/rss+xml")
    monkeypatch.setenv("SLACK_BOT_TOKEN", slack.token)
    return write_config(
        f"""
{targets(database_url, slack, smtp)}
[[brands]]
name = "Acmé"
terms = ["Acmé", "Banque Acmé"]

[[sources]]
name = "forum-conso"
kind = "rss"
url = "{feeds.url("/forum.rss")}"
every = "10m"
allow_private = true

[[rules]]
name = "crise"
brands = ["Acmé"]
query = "arnaque"
severity = "critical"
notify = ["slack:#crise", "email:dircom@example.fr"]
"""
    )


def _delivered(smtp: SmtpServer) -> list[tuple[EmailMessage, str, str, str]]:
    """Each message with its subject, text and HTML as the reader's client shows them."""
    out = []
    for mail in smtp.messages:
        text, html = mail.get_body(("plain",)), mail.get_body(("html",))
        assert isinstance(text, EmailMessage) and isinstance(html, EmailMessage)
        out.append((mail, str(mail["Subject"]), text.get_content(), html.get_content()))
    return out


def test_an_encoded_word_in_a_title_adds_no_email_header(hostile: Path, smtp: SmtpServer) -> None:
    assert main(["run", "--once", "--config", str(hostile)]) == 0

    # Every item arrived once, to the configured reader only.
    mails = _delivered(smtp)
    assert len(mails) == len(ITEMS)
    assert smtp.handler.envelopes == [("veille@example.fr", ["dircom@example.fr"])] * len(ITEMS)
    for mail, _, _, _ in mails:
        # No header of the attacker's (the old code wrote "Bcc: leak@…" on its own line).
        assert mail.get_all("Bcc") is None and mail.get_all("Cc") is None
        assert str(mail["To"]) == "dircom@example.fr"
    # The encoded word is shown as the feed wrote it (a word joiner keeps it inert).
    subjects = [subject.replace("\u2060", "") for _, subject, _, _ in mails]
    # The template's colon takes a no-break space; the title after it is the feed's.
    assert f"[veille] CRITIQUE – Acmé\u00a0: Arnaque Banque Acmé {ENCODED_WORD} fin" in subjects
    assert (
        "[veille] CRITIQUE – Acmé\u00a0: Arnaque Banque Acmé Bcc: leak@attacker.example corps"
        in subjects
    )


def test_a_bidi_override_reorders_nothing_in_emails_and_slack(
    hostile: Path, slack: FakeSlack, smtp: SmtpServer
) -> None:
    assert main(["run", "--once", "--config", str(hostile)]) == 0

    mails = _delivered(smtp)
    assert len(mails) == len(ITEMS)
    for _, subject, text, html in mails:
        for shown in (subject, text, html):
            assert RLO not in shown and PDF not in shown and "\u2028" not in shown
    assert any(s.endswith("Arnaque Banque Acmé gpj.exe voir") for _, s, _, _ in mails)
    posts = slack.posts()
    assert len(posts) == len(ITEMS)
    for post in posts:
        shown = post["text"] + str(post["blocks"])
        assert RLO not in shown and PDF not in shown
    assert any("Arnaque Banque Acmé gpj.exe voir" in p["text"] for p in posts)


def test_markup_links_and_pings_from_a_feed_are_text(
    hostile: Path, slack: FakeSlack, smtp: SmtpServer
) -> None:
    assert main(["run", "--once", "--config", str(hostile)]) == 0

    mails = _delivered(smtp)
    assert len(mails) == len(ITEMS)
    for _, _, _, html in mails:
        # The excerpt's markup is text; the javascript: link is no link.
        assert "<script" not in html
        assert "<img" not in html
        assert "&lt;/td&gt;&lt;/table&gt;&lt;script&gt;" in html
        assert 'href="javascript:' not in html and "href='javascript:" not in html
    script = next(text for _, _, text, _ in mails if "n°4" in text)
    assert "javascript:alert(document.cookie)" not in script

    posts = slack.posts()
    assert len(posts) == len(ITEMS)
    for post in posts:
        shown = post["text"] + str(post["blocks"])
        # No fake link to evil.example, no mention: Slack reads them as text.
        assert "<https://evil.example" not in shown
        for ping in ("<!here>", "<!subteam^S0123>", "<@U0123>"):
            assert ping not in shown
        assert "<javascript:" not in shown and "|javascript:" not in shown
    fake = next(p for p in posts if "fakelink" in p["text"])
    assert "&lt;https://evil.example/login|Banque Acmé — site officiel&gt;" in fake["text"]
    assert "&lt;!here&gt; &lt;!subteam^S0123&gt; &lt;@\u200bU0123&gt;" in fake["text"]
