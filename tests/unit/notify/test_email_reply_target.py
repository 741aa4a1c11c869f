"""A spike's follow-up e-mail answers the alert's e-mail only at the address it went to.

``spike.reply_to`` names its target (:func:`watchtower.spike_copies.email_replies`);
a notice for another target (moved there by a reload) is a message of its own:
no In-Reply-To, no "Re: ", a subject that reads alone. A ``reply_to`` queued
before it named its target is answered as it was. Checked on the MIME message
the notifier builds.
"""

from __future__ import annotations

from email.message import EmailMessage
from typing import Any

import pytest

from tests.french import nb
from tests.unit.notify.spikes import spike_notification
from watchtower.notify.email import EmailNotifier

TARGET = "email:dircom@example.fr"
REPLY_TO = {"message_id": "<wt-1.abc@example.fr>", "outbox_id": 1, "created_at": 1.0e9}
ACK = {"user": "U0CM", "via": "reply", "at": "2026-02-22T11:02:00+00:00"}


def mail(language: str = "fr", **spike: Any) -> EmailMessage:
    notifier = EmailNotifier(
        "127.0.0.1", 25, "veille@example.fr", starttls=False, timeout=10, language=language
    )
    built = notifier.build(
        notifier.render(spike_notification(TARGET, **spike), "dircom@example.fr")
    )
    assert isinstance(built, EmailMessage)
    return built


@pytest.mark.parametrize("reply_to", [dict(REPLY_TO, target=TARGET), REPLY_TO])
@pytest.mark.parametrize("follow_up", [{"ack": ACK}, {"calm": True, "since": ACK["at"]}])
def test_a_follow_up_for_the_alerts_reader_answers_its_email(
    reply_to: dict[str, Any], follow_up: dict[str, Any]
) -> None:
    sent = mail(reply_to=reply_to, **follow_up)
    assert sent["In-Reply-To"] == sent["References"] == "<wt-1.abc@example.fr>"
    assert nb(sent["Subject"]) == nb("Re: [veille] 🚨 Pic de mentions : Acmé")


@pytest.mark.parametrize("message_id", ["<wt-1.abc@example.fr>", ""])
def test_a_calm_down_for_another_reader_is_a_message_of_its_own(message_id: str) -> None:
    moved = dict(REPLY_TO, message_id=message_id, target="email:ancien@example.fr")
    sent = mail(reply_to=moved, calm=True, since=ACK["at"])
    assert sent["In-Reply-To"] is None and sent["References"] is None
    assert nb(sent["Subject"]) == nb("[veille] ✅ Retour au calme : Acmé")


@pytest.mark.parametrize(
    ("language", "subject"),
    [
        (
            "fr",
            "[veille] Pic de mentions : Acmé — ✅ Pris en charge par @U0CM à 12:02"
            " : pas d'escalade",
        ),
        ("en", "[watchtower] Mention spike: Acmé — ✅ Taken by @U0CM at 12:02: no escalation"),
    ],
)
def test_a_taken_email_for_another_reader_says_which_alert_and_who_took_it(
    language: str, subject: str
) -> None:
    moved = dict(REPLY_TO, target="email:ancien@example.fr")
    sent = mail(language, reply_to=moved, ack=ACK)
    assert sent["In-Reply-To"] is None and sent["References"] is None
    assert nb(sent["Subject"]) == nb(subject)
