"""What a hostile feed's words become in each format watchtower writes.

A title, a text, an author or a link written by anyone reaches e-mail headers
and bodies (mentions, the morning digest), Slack mrkdwn, Apprise Markdown
(Teams, Google Chat, Discord), the console and logs. Each test renders real
notifications with the real notifiers (no I/O) and reads what a reader's
client would parse.
"""

from __future__ import annotations

import logging
from email import message_from_bytes, policy
from email.message import EmailMessage
from html.parser import HTMLParser
from typing import Any

import pytest

from watchtower.logs import KeyValueFormatter, kv
from watchtower.models import Notification
from watchtower.notify.apprise import AppriseNotifier
from watchtower.notify.email import EmailNotifier, header_value
from watchtower.notify.slack_render import item_blocks
from watchtower.sanitise import printable

RLO, PDF = "\u202e", "\u202c"
#: Decodes to "Avis\r\nBcc: leak@attacker.example".
ENCODED_WORD = "=?utf-8?q?Avis=0D=0ABcc=3A_leak=40attacker.example?="
TEAMS = "workflows://127.0.0.1:8443/wf0123/s3cr3tSig0123"
GCHAT = "gchat://AAAAwork/keyKEYkey/tokTOKtok"
DISCORD = "discord://112233445566/AbCdEfGhIjKlMn"


def mention(**overrides: Any) -> Notification:
    payload: dict[str, Any] = {
        "title": "Arnaque Banque Acmé",
        "url": "https://forum.example.fr/t/101",
        "source": "forum-conso",
        "brands": ["Acmé"],
        "terms": ["Acmé"],
        "rules": ["crise"],
        "severity": "critical",
        "excerpt": "Une arnaque.",
    }
    return Notification.from_payload(7, "email:dircom@example.fr", payload | overrides)


def received(n: Notification) -> EmailMessage:
    """``n`` as the SMTP server would receive it, parsed as a mail client does."""
    notifier = EmailNotifier("127.0.0.1", 25, "veille@example.fr")
    raw = notifier.build(notifier.render(n, "dircom@example.fr")).as_bytes()
    mail = message_from_bytes(raw, policy=policy.default)
    assert isinstance(mail, EmailMessage)
    return mail


def parts(mail: EmailMessage) -> tuple[str, str, str]:
    text, html = mail.get_body(("plain",)), mail.get_body(("html",))
    assert isinstance(text, EmailMessage) and isinstance(html, EmailMessage)
    return str(mail["Subject"]), text.get_content(), html.get_content()


# ------------------------------------------------------------------ e-mail
@pytest.mark.parametrize(
    "title",
    [
        f"Arnaque Banque Acmé {ENCODED_WORD}",
        f"{ENCODED_WORD} Arnaque",
        f"Arnaque {ENCODED_WORD}{ENCODED_WORD}",
        f"Arnaque x{ENCODED_WORD}",
    ],
)
def test_an_encoded_word_in_a_title_is_no_header(title: str) -> None:
    mail = received(mention(title=title))
    assert mail.get_all("Bcc") is None
    assert mail.get_all("Subject") is not None and len(mail.get_all("Subject") or []) == 1
    subject, _, _ = parts(mail)
    assert "\n" not in subject and "\r" not in subject
    # Shown as the feed wrote it, encoded word included.
    assert ENCODED_WORD in subject.replace("\u2060", "")


@pytest.mark.parametrize("separator", ["\u2028", "\u2029", "\x85", "\r\n", "\x0b", "\x1c"])
def test_a_line_separator_in_a_header_value_is_a_space(separator: str) -> None:
    assert header_value(f"Acmé{separator}Bcc: x@attacker.example") == (
        "Acmé Bcc: x@attacker.example"
    )


def test_bidi_controls_never_reach_an_email() -> None:
    mail = received(
        mention(
            title=f"Arnaque Banque Acmé {RLO}gpj.exe{PDF}",
            excerpt=f"Lire {RLO}lmth.fr.emca{PDF} \x1b[8mcaché",
            extra={"author": f"{RLO}nimda{PDF}"},
        )
    )
    for shown in parts(mail):
        assert RLO not in shown and PDF not in shown and "\x1b" not in shown
    subject, text, html = parts(mail)
    assert subject.endswith("Arnaque Banque Acmé gpj.exe")
    assert "Auteur\u00a0: nimda" in text and "nimda" in html


class _Links(HTMLParser):
    """Every tag and attribute a mail client would see."""

    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))


def _tags(html: str) -> list[tuple[str, dict[str, str | None]]]:
    parser = _Links()
    parser.feed(html)
    return parser.tags


HOSTILE_TITLE = (
    "Acmé</td></table><script>alert(1)</script><style>*{display:none}</style>"
    "<img src=x onerror=alert(2)>"
)


def test_the_digest_shows_hostile_items_as_text_with_http_links_only() -> None:
    items = [
        {"title": HOSTILE_TITLE, "url": "javascript:alert(3)", "source": "forum<b>"},
        {"title": "Acmé data", "url": "data:text/html,<script>alert(4)</script>"},
        {"title": "Acmé quote", "url": 'https://evil.example/"onmouseover="alert(5)'},
        {"title": "Acmé local", "url": "file:///etc/passwd"},
        {"title": f"Acmé {RLO}gpj.exe{PDF}", "url": "https://forum.example.fr/t/1"},
    ]
    for i, item in enumerate(items):
        item.update(severity="info", brands=["Acmé"], story=100 + i)
    summary = {
        "reason": "digest",
        "period": "daily",
        "count": len(items),
        "items": items,
        "by_brand": {"Acmé": {"info": len(items)}},
        "since": "2026-11-25T07:30:00+00:00",
        "last": "2026-11-26T06:00:00+00:00",
    }
    payload = {"title": "", "url": "", "source": "", "brands": ["Acmé"]}
    n = Notification.from_payload(
        41, "email:dircom@example.fr", payload | {"extra": {"kind": "summary", "summary": summary}}
    )
    subject, text, html = parts(received(n))
    tags = _tags(html)
    assert {tag for tag, _ in tags} <= {"html", "head", "meta", "body", "div", "h2", "h3", "p",
                                         "ul", "li", "a", "em", "strong", "span"}  # fmt: skip
    hrefs = [attrs["href"] for tag, attrs in tags if tag == "a"]
    assert hrefs == ['https://evil.example/"onmouseover="alert(5)', "https://forum.example.fr/t/1"]
    assert all(set(attrs) <= {"href", "style", "charset", "name", "content"}
               for _, attrs in tags)  # fmt: skip
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    for shown in (subject, text, html):
        assert "javascript:" not in shown and "file:///" not in shown and "data:text" not in shown
        assert RLO not in shown and PDF not in shown


# ------------------------------------------------------------------ Slack
def test_bidi_and_control_characters_never_reach_slack() -> None:
    n = mention(
        title=f"Arnaque Banque Acmé {RLO}gpj.exe{PDF}\x1b[2J",
        excerpt=f"Voir {RLO}lmth.fr{PDF}",
        extra={"author": f"\x9b8m{RLO}nimda"},
    )
    blocks, text = item_blocks(n, "fr", "Europe/Paris")
    shown = text + str(blocks)
    for char in (RLO, PDF, "\x1b", "\x9b"):
        assert char not in shown
    assert "Arnaque Banque Acmé gpj.exe" in text


def test_a_title_cannot_make_a_slack_link_or_ping() -> None:
    n = mention(title="<https://evil.example|Banque Acmé — site officiel> <!here> <@U1> `x`")
    blocks, text = item_blocks(n, "fr", "Europe/Paris")
    shown = text + str(blocks)
    assert "<https://evil.example" not in shown and "<!here>" not in shown
    assert "<@U1>" not in shown and "`x`" not in shown
    long_title = "Acmé " + "a" * 5000
    blocks, text = item_blocks(mention(title=long_title), "fr", "Europe/Paris")
    assert all(len(str(b)) < 3_500 for b in blocks)


# ------------------------------------------------------------------ Apprise
FAKE_LINK = "[Banque Acmé https://acme.fr](https://evil.example/login)"


@pytest.mark.parametrize("address", [TEAMS, GCHAT, DISCORD])
def test_a_feed_makes_no_markdown_link_on_teams_google_chat_or_discord(address: str) -> None:
    n = mention(title=f"Arnaque {FAKE_LINK}", excerpt=f"Voir {FAKE_LINK} vite")
    message = AppriseNotifier("fr").render(n, address)
    for shown in (message.subject, message.text):
        assert "](https://evil.example" not in shown
    assert "https://acme.fr%5D%28https://evil.example/login%29" in message.subject
    # The mention's own link stays one.
    assert "https://forum.example.fr/t/101" in message.text


# ------------------------------------------------------------------ logs, terminal
@pytest.mark.parametrize("separator", ["\u2028", "\u2029"])
def test_a_unicode_line_separator_is_a_line_break(separator: str) -> None:
    assert printable(f"a{separator}b") == "a\nb"
    assert printable(f"a{separator}b", keep="") == "a b"


def test_a_log_field_from_a_feed_stays_on_its_line() -> None:
    forged = "x\u20282026-11-26T10:00:00Z ERROR watchtower.app database lost"
    record = logging.LogRecord("watchtower.poll", logging.WARNING, __file__, 1, "source warning",
                               None, None)  # fmt: skip
    record.__dict__.update(kv(source="forum", warning=forged))
    line = KeyValueFormatter().format(record)
    assert len(line.splitlines()) == 1
    assert line.endswith('warning="x\\n2026-11-26T10:00:00Z ERROR watchtower.app database lost"')
