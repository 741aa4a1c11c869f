"""Only http(s) URLs are ever links or shown addresses, in every notifier, even
when a payload holds another scheme (defence in depth: items' URLs are already
http(s) only, see ``canonical_url``); a feed's words never reach a terminal with
their control characters."""

from __future__ import annotations

import io
import json
from typing import Any

import pytest

from watchtower.models import Notification
from watchtower.notify.console import ConsoleNotifier
from watchtower.notify.email import EmailNotifier
from watchtower.notify.email_render import html_link, summary_email
from watchtower.notify.plain import plain_text, reply_text
from watchtower.notify.slack_render import escape_url, item_blocks, link, summary_blocks

HOSTILE = [
    "javascript:alert(document.cookie)",
    "JaVaScRiPt:0//<!channel>",
    "data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==",
    "vbscript:msgbox",
    "file:///etc/passwd",
]


def mention(url: str, **overrides: Any) -> Notification:
    payload: dict[str, Any] = {
        "title": "Acmé arnaque",
        "url": url,
        "source": "forum",
        "brands": ["Acmé"],
        "terms": ["arnaque"],
        "rules": ["crise"],
        "severity": "critical",
        "excerpt": "Acmé arnaque",
    }
    return Notification.from_payload(1, "slack:#crise", payload | overrides)


def summary(url: str) -> Notification:
    item = {"title": "Acmé", "url": url, "source": "forum", "severity": "info", "brands": ["Acmé"]}
    extra = {
        "kind": "summary",
        "summary": {
            "reason": "digest",
            "count": 1,
            "items": [item],
            "by_brand": {"Acmé": {"info": 1}},
        },
    }
    return mention("", extra=extra)


@pytest.mark.parametrize("url", HOSTILE)
def test_slack_never_links_another_scheme(url: str) -> None:
    assert escape_url(url) == ""
    assert link(url, "titre") == "titre"
    for blocks, text in (
        item_blocks(mention(url), "fr", "UTC"),
        summary_blocks(summary(url), "fr"),
    ):
        sent = text + json.dumps(blocks)
        assert "<!channel>" not in sent
        assert url.split(":", 1)[0].lower() + ":" not in sent.lower()


def test_slack_fallback_text_escapes_the_url() -> None:
    url = "https://site.fr/a?x=<!channel>&y=|"
    _, text = item_blocks(mention(url), "fr", "UTC")
    assert "<!channel>" not in text
    assert "https://site.fr/a?x=&lt;!channel&gt;&amp;y=|" in text


def test_a_slack_link_holds_no_control_nor_bidi_character() -> None:
    assert escape_url("https://a.fr/x y<z>|\u202e\x1b\x9b") == (
        "https://a.fr/x%20y%3Cz%3E%7C%E2%80%AE%1B%C2%9B"
    )


@pytest.mark.parametrize("url", HOSTILE)
def test_email_never_links_another_scheme(url: str) -> None:
    scheme = url.split(":", 1)[0].lower()
    assert html_link(url, "<b>titre</b>") == "&lt;b&gt;titre&lt;/b&gt;"
    mailer = EmailNotifier("127.0.0.1", 25, "veille@example.fr", starttls=False)
    message = mailer.render(mention(url), "dircom@example.fr")
    _, text, html_body = summary_email(summary(url), "fr")
    for shown in (message.text, message.html or "", text, html_body):
        assert f"{scheme}:" not in shown.lower()


def test_email_links_an_http_url() -> None:
    assert (
        html_link("https://site.fr/a?b=1&c=2", "t")
        == '<a href="https://site.fr/a?b=1&amp;c=2">t</a>'
    )


@pytest.mark.parametrize("url", HOSTILE)
def test_plain_text_shows_no_other_scheme(url: str) -> None:
    n = mention(url)
    scheme = url.split(":", 1)[0].lower()
    assert f"{scheme}:" not in plain_text(n, "fr", "UTC").body.lower()
    assert f"{scheme}:" not in reply_text(n, "fr").lower()


def test_the_console_prints_no_control_character() -> None:
    title = "Acmé \x1b[8m\x9b8m caché \x9d8;;https://evil.example/\x9clien\x7f\u202e\tfin"
    out = io.StringIO()
    console = ConsoleNotifier(stream=out)
    console.send(console.render(mention("https://site.fr/a", title=title), "#crise"))
    printed = out.getvalue()
    assert "Acmé" in printed and "fin" in printed
    controls = {chr(c) for c in [*range(0x20), *range(0x7F, 0xA0)]} - {"\n"}
    assert not (controls | {"\u202e"}) & set(printed)
