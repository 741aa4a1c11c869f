"""E-mail notifier against a real local SMTP server (aiosmtpd)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from tests.servers.smtp import SmtpServer, free_port
from watchtower.errors import DeliveryError, TargetDisabled
from watchtower.models import Notification, Severity
from watchtower.notify.email import EmailNotifier


def notification(title: str = "Arnaque chez Acmé ?") -> Notification:
    return Notification(
        outbox_id=7,
        target="email:dircom@example.fr",
        title=title,
        url="https://forum.example.fr/t/1?a=1&b=<2>",
        source="forum-conso",
        brands=("Acmé",),
        terms=("Acmé", "arnaque"),
        rules=("crise",),
        severity=Severity.critical,
        published=datetime(2026, 11, 24, 8, 15, tzinfo=UTC),
        excerpt="<script>alert(1)</script> c'est une arnaque",
    )


def notifier(port: int, *, starttls: bool = False, language: str = "fr") -> EmailNotifier:
    return EmailNotifier(
        "127.0.0.1", port, "veille@example.fr", starttls=starttls, timeout=10, language=language
    )


def test_text_and_html_parts_with_escaped_html(smtp: SmtpServer) -> None:
    mailer = notifier(smtp.port)
    receipt = mailer.send(mailer.render(notification(), "dircom@example.fr"))
    assert receipt.message_id and receipt.message_id.startswith("<")
    [mail] = smtp.messages
    assert mail["To"] == "dircom@example.fr"
    # The template's colon takes a no-break space; the title, a feed's words, is as it came.
    assert mail["Subject"].startswith("[veille] CRITIQUE – Acmé\u00a0: Arnaque chez Acmé ?")

    html = mail.get_body(("html",)).get_content()
    text = mail.get_body(("plain",)).get_content()
    assert "<script>" not in html and "&lt;script&gt;" in html
    assert "https://forum.example.fr/t/1?a=1&amp;b=&lt;2&gt;" in html
    assert "Publication\u00a0: 24/11/2026 à 09:15 (CET)" in text


def test_header_injection_is_neutralised(smtp: SmtpServer) -> None:
    mailer = notifier(smtp.port)
    title = "Acmé\r\nBcc: attacker@evil.example\r\n\r\nfake body"
    mailer.send(mailer.render(notification(title), "dircom@example.fr"))
    [mail] = smtp.messages
    assert mail["Bcc"] is None
    assert "\n" not in mail["Subject"] and "\r" not in mail["Subject"]
    assert smtp.handler.envelopes == [("veille@example.fr", ["dircom@example.fr"])]


def test_starttls_requested_but_not_offered_fails_closed(smtp: SmtpServer) -> None:
    """Nothing goes out in clear, and e-mail pauses (rows wait, ops are told)
    instead of every notification failing for good."""
    mailer = notifier(smtp.port, starttls=True)
    with pytest.raises(TargetDisabled) as caught:
        mailer.send(mailer.render(notification(), "dircom@example.fr"))
    assert caught.value.kind == "email"
    assert "STARTTLS" in caught.value.reason
    assert smtp.messages == []


@pytest.mark.parametrize(
    ("answer", "retryable"), [("451 try later", True), ("554 rejected", False)]
)
def test_smtp_answers_map_to_retryable_or_not(
    smtp: SmtpServer, answer: str, retryable: bool
) -> None:
    smtp.handler.refuse_with = answer
    mailer = notifier(smtp.port)
    with pytest.raises(DeliveryError) as caught:
        mailer.send(mailer.render(notification(), "dircom@example.fr"))
    assert caught.value.retryable is retryable
    assert answer[:3] in caught.value.reason


def test_unreachable_server_is_retryable() -> None:
    mailer = notifier(free_port())
    with pytest.raises(DeliveryError) as caught:
        mailer.send(mailer.render(notification(), "dircom@example.fr"))
    assert caught.value.retryable


def test_english_wording() -> None:
    message = notifier(25, language="en").render(notification(), "dircom@example.fr")
    assert message.subject.startswith("[watchtower] CRITICAL – Acmé: ")
    assert "Published: 2026-11-24 09:15 (CET)" in message.text
