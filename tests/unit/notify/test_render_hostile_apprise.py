"""A stranger's title, excerpt, source name or link through Apprise, per the body
format each service gets: Markdown written by watchtower (Teams, Google Chat),
plain text a service shows as Markdown (Discord), plain text Apprise converts
for the service (Telegram, e-mail, a JSON webhook). In every kind that carries
item text, in both languages: no mass mention, no link or formatting of the
item's own, no reordered text; and an HTML-capable service (Apprise's e-mail,
delivered to the local aiosmtpd) shows the item's markup as text.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Callable
from email.message import EmailMessage
from typing import Any

import apprise
import pytest

from tests.servers.smtp import SmtpServer
from watchtower.models import Notification
from watchtower.notify.apprise import AppriseNotifier

RLO = "\u202e"
TITLE = (
    "Acmé [site officiel https://acme.fr](https://evil.example/login) "
    "<https://evil.example/login|Banque Acmé — site officiel> <!channel> @here "
    "@everyone <@&42> <at>Tous</at> <users/all> *gratuit* `code` "
    f"<script>alert(1)</script> {RLO}gpj.exe"
)
MARKDOWN = {
    "teams": "workflows://127.0.0.1:8443/wf0123/s3cr3tSig0123",
    "gchat": "gchat://AAAAwork/keyKEYkey/tokTOKtok",
}
SHOWN_AS_MARKDOWN = {"discord": "discord://112233445566/AbCdEfGhIjKlMn"}
PLAIN = {
    "telegram": "tgram://123456789:abcdefghijklmnopqrstuvwxyz/-100123",
    "json": "json://127.0.0.1:9/hook",
}
ADDRESSES = MARKDOWN | SHOWN_AS_MARKDOWN | PLAIN
LANGUAGES = ("fr", "en")


def _rows() -> list[dict[str, Any]]:
    return [
        {
            "title": TITLE,
            "url": "https://forum.example.fr/t/1",
            "source": TITLE,
            "severity": "critical",
            "brands": ["Acmé"],
            "story": i,
        }
        for i in range(3)
    ]


def _mention() -> Notification:
    payload = {
        "title": TITLE,
        "url": "https://forum.example.fr/t/1",
        "source": TITLE,
        "brands": ["Acmé"],
        "terms": ["Acmé"],
        "severity": "critical",
        "excerpt": TITLE,
        "extra": {"author": TITLE},
    }
    return Notification.from_payload(7, "apprise:x", payload)


def _with(kind: str, **extra: Any) -> Notification:
    n = Notification.from_payload(8, "apprise:x", {"brands": ["Acmé"], "severity": "critical"})
    return dataclasses.replace(n, extra={"kind": kind, **extra})


def _summary(reason: str) -> Notification:
    summary = {
        "reason": reason,
        "what": "crise",
        "period": "daily",
        "count": 3,
        "items": _rows(),
        "by_brand": {"Acmé": {"critical": 3}},
        "since": "2026-11-25T07:30:00+00:00",
        "last": "2026-11-26T06:00:00+00:00",
    }
    return _with("summary", summary=summary)


def _spike(escalation: bool) -> Notification:
    spike = {
        "name": "Acmé",
        "observed": 13,
        "baseline": 0.4,
        "window": "1h",
        "timeout": "15m",
        "top_sources": [[TITLE, 9]],
        "top_terms": [[TITLE, 13]],
        "examples": _rows(),
        "escalation": escalation,
    }
    return _with("spike", spike=spike)


KINDS: dict[str, Callable[[], Notification]] = {
    "mention": _mention,
    "group": lambda: _summary("group"),
    "digest": lambda: _summary("digest"),
    "spike": lambda: _spike(False),
    "escalation": lambda: _spike(True),
}
_PING = re.compile(r"@(everyone|here|channel)\b|<(@|!|at>|users/)", re.IGNORECASE)


@pytest.mark.parametrize("lang", LANGUAGES)
@pytest.mark.parametrize("service", list(ADDRESSES))
@pytest.mark.parametrize("kind", list(KINDS))
def test_an_item_pings_nobody_and_links_nowhere_on_any_service(
    kind: str, service: str, lang: str
) -> None:
    message = AppriseNotifier(lang).render(KINDS[kind](), ADDRESSES[service])
    expected_format = (
        apprise.NotifyFormat.MARKDOWN if service in MARKDOWN else apprise.NotifyFormat.TEXT
    )
    assert message.extra["body_format"] == expected_format
    for shown in (message.subject, message.text):
        assert not _PING.search(shown), shown[:200]
        assert RLO not in shown
        if service in MARKDOWN or service in SHOWN_AS_MARKDOWN:
            # Markdown: no link but to an address shown as such, no emphasis.
            assert "](https://evil.example" not in shown
            assert "*gratuit*" not in shown and "`code`" not in shown
            links = re.findall(r"\[([^\[\]\n]*)\]\(([^)]*)\)", shown)
            assert all(label.startswith("http") for label, _ in links), links
        # Google Chat's own link syntax, <url|label>, passed on by Apprise.
        assert not re.search(r"<https?:", shown), shown[:200]


def test_markup_from_an_item_is_text_in_an_email_sent_by_apprise(smtp: SmtpServer) -> None:
    address = (
        f"mailto://127.0.0.1:{smtp.port}?from=veille@example.fr&to=dircom@example.fr&mode=insecure"
    )
    notifier = AppriseNotifier("fr")
    notifier.send(notifier.render(_mention(), address))
    (received,) = smtp.messages
    assert "<script>alert(1)</script>" in str(received["Subject"])
    html = received.get_body(("html",))
    if isinstance(html, EmailMessage):  # Apprise converts the text: escaped
        assert "<script>" not in html.get_content()
    text = received.get_body(("plain",))
    assert isinstance(text, EmailMessage)
    assert "<\u200b@&42>" in text.get_content() and RLO not in text.get_content()
