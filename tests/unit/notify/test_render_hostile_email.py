"""A stranger's title, author, excerpt, source name or link, through every e-mail
that carries item text (mention, grouped summary, digest, spike alert,
escalation), in both languages, as the SMTP server receives it and a mail
client parses it: one Subject and no other header from the item, RFC 2047 for
what is not ASCII, no line over SMTP's 998, and in the HTML part no tag or
attribute from the item and only http(s) links.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterator
from email import message_from_bytes, policy
from email.message import EmailMessage
from html.parser import HTMLParser
from typing import Any

import pytest

from tests.servers.smtp import SmtpServer
from watchtower.models import Notification
from watchtower.notify.email import EmailNotifier

RLO = "\u202e"
TITLES = {
    "crlf": "Acmé\r\nBcc: leak@attacker.example\r\n\r\n<b>corps</b>",
    "separators": "Acmé\u2028Bcc: leak@attacker.example\u2029\x85X-Evil: 1",
    "encoded": "Acmé =?utf-8?q?Avis=0D=0ABcc=3A_leak=40attacker.example?=",
    "markup": "Acmé</td></table><script>alert(1)</script><img src=x onerror=alert(2)>",
    "attribute": 'Acmé" onmouseover="alert(3)" x="',
    "bidi": f"Acmé {RLO}gpj.exe\u202c \x1b[8m",
    "long": "Acmé rachète " + "é" * 3_000,
}
URLS = {
    "plain": "https://forum.example.fr/t/1?a=1&b=2",
    "javascript": "javascript:alert(document.cookie)",
    "spaced": " JaVaScRiPt:alert(4)",
    "data": "data:text/html,<script>alert(5)</script>",
    "breakout": 'https://evil.example/"><script>alert(6)</script><a href="x',
    "header": "https://forum.example.fr/\r\nBcc: leak@attacker.example",
}
LANGUAGES = ("fr", "en")
#: Tags watchtower writes; the item's own are text.
OUR_TAGS = {"html", "head", "meta", "body", "div", "h2", "h3", "p", "ul", "li", "a", "em",
            "strong", "table", "tr", "th", "td", "blockquote", "span", "img"}  # fmt: skip
OUR_ATTRIBUTES = {"href", "style", "charset", "name", "content", "role", "align", "aria-hidden",
                  "src", "alt", "width"}  # fmt: skip


def _rows(title: str, url: str) -> list[dict[str, Any]]:
    return [
        {
            "title": title,
            "url": url,
            "source": title,
            "severity": "critical",
            "brands": ["Acmé"],
            "story": i,
        }
        for i in range(3)
    ]


def _mention(title: str, url: str) -> Notification:
    payload = {
        "title": title,
        "url": url,
        "source": title,
        "brands": ["Acmé"],
        "terms": ["Acmé"],
        "rules": ["crise"],
        "severity": "critical",
        "excerpt": title,
        "extra": {"author": title, "reviewed": title, "app_version": title},
    }
    return Notification.from_payload(7, "email:dircom@example.fr", payload)


def _summary(reason: str, title: str, url: str) -> Notification:
    summary = {
        "reason": reason,
        "what": "crise",
        "period": "daily",
        "count": 3,
        "items": _rows(title, url),
        "apart": _rows(title, url)[:1],
        "sent_apart": 1,
        "by_brand": {"Acmé": {"critical": 3}},
        "since": "2026-11-25T07:30:00+00:00",
        "last": "2026-11-26T06:00:00+00:00",
    }
    n = Notification.from_payload(8, "email:dircom@example.fr", {"brands": ["Acmé"]})
    return dataclasses.replace(n, extra={"kind": "summary", "summary": summary})


def _spike(title: str, url: str, *, escalation: bool) -> Notification:
    spike = {
        "name": "Acmé",
        "observed": 13,
        "baseline": 0.4,
        "window": "1h",
        "timeout": "15m",
        "top_sources": [[title, 9]],
        "top_terms": [[title, 13]],
        "examples": _rows(title, url),
        "escalation": escalation,
        "original": {"copies": [], "permalink": url},
    }
    n = Notification.from_payload(9, "email:dircom@example.fr", {"brands": ["Acmé"]})
    n = dataclasses.replace(n, title=title, severity=n.severity.critical)
    return dataclasses.replace(n, extra={"kind": "spike", "spike": spike})


KINDS: dict[str, Callable[[str, str], Notification]] = {
    "mention": _mention,
    "group": lambda title, url: _summary("group", title, url),
    "digest": lambda title, url: _summary("digest", title, url),
    "spike": lambda title, url: _spike(title, url, escalation=False),
    "escalation": lambda title, url: _spike(title, url, escalation=True),
}


def _cases() -> Iterator[tuple[str, str, str, str]]:
    for kind in KINDS:
        for lang in LANGUAGES:
            for title in TITLES:
                yield kind, lang, title, "plain"
            for url in URLS:
                if url != "plain":
                    yield kind, lang, "markup", url


CASES = list(_cases())
IDS = [f"{kind}-{lang}-title:{title}-url:{url}" for kind, lang, title, url in CASES]


class _Tags(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))


def _raw(kind: str, lang: str, title: str, url: str) -> bytes:
    notifier = EmailNotifier("127.0.0.1", 25, "veille@example.fr", language=lang)
    n = KINDS[kind](TITLES[title], URLS[url])
    return notifier.build(notifier.render(n, "dircom@example.fr")).as_bytes()


@pytest.mark.parametrize(("kind", "lang", "title", "url"), CASES, ids=IDS)
def test_an_email_says_only_what_watchtower_wrote(
    kind: str, lang: str, title: str, url: str
) -> None:
    raw = _raw(kind, lang, title, url)
    assert all(len(line) <= 998 for line in raw.splitlines())
    head = raw.split(b"\n\n", 1)[0]
    assert head.isascii()  # what is not ASCII is an RFC 2047 encoded word
    mail = message_from_bytes(raw, policy=policy.default)
    assert isinstance(mail, EmailMessage)
    names = [name.lower() for name in mail]
    assert names.count("subject") == 1
    assert not {"bcc", "x-evil"} & set(names)
    subject = str(mail["Subject"])
    assert not {"\r", "\n", RLO, "\x1b"} & set(subject)
    text, html = mail.get_body(("plain",)), mail.get_body(("html",))
    assert isinstance(text, EmailMessage) and isinstance(html, EmailMessage)
    parser = _Tags()
    parser.feed(html.get_content())
    for tag, attributes in parser.tags:
        assert tag in OUR_TAGS and set(attributes) <= OUR_ATTRIBUTES, (tag, attributes)
        if tag == "a":
            assert str(attributes["href"]).startswith(("https://", "http://"))
            assert "\n" not in str(attributes["href"])
        if tag == "img":
            assert str(attributes["src"]).startswith("cid:")
    for part in (text.get_content(), html.get_content()):
        assert "javascript:" not in part.lower() and "data:text" not in part
        assert RLO not in part and "\x1b" not in part


@pytest.mark.parametrize("lang", LANGUAGES)
def test_a_long_non_ascii_title_is_a_short_subject_still_in_its_letters(lang: str) -> None:
    mail = message_from_bytes(_raw("mention", lang, "long", "plain"), policy=policy.default)
    subject = str(mail["Subject"])
    assert "Acmé rachète éé" in subject and subject.endswith("…")
    assert len(subject) < 300


def test_the_smtp_server_gets_one_message_with_the_hostile_title_as_text(
    smtp: SmtpServer,
) -> None:
    notifier = EmailNotifier(
        "127.0.0.1", smtp.port, "veille@example.fr", starttls=False, language="en"
    )
    notifier.send(notifier.render(_mention(TITLES["crlf"], URLS["header"]), "dircom@example.fr"))
    (received,) = smtp.messages
    assert received.get_all("Bcc") is None
    assert "Acmé Bcc: leak@attacker.example <b>corps</b>" in str(received["Subject"])
    html = received.get_body(("html",))
    assert isinstance(html, EmailMessage)
    assert "&lt;b&gt;corps&lt;/b&gt;" in html.get_content()
    # The address is one line, in the text part too: no forged "Bcc:" line.
    text = received.get_body(("plain",))
    assert isinstance(text, EmailMessage)
    assert "https://forum.example.fr/%0D%0ABcc:%20leak@attacker.example" in text.get_content()
    assert "forum.example.fr/\nBcc:" not in text.get_content().replace("\r", "")
