"""A spike alert's e-mail says how to take it in charge and when it escalates,
as its Apprise copies do: acks are read in Slack only, so the e-mail names the
Slack message's thread and the deadline (``ack_hint_elsewhere``).

Checked on the MIME message the notifier builds (plain and HTML parts), in
French and English; no hint where there is nothing to take (no Slack copy, an
escalation, a calm-down). The Apprise text is the e-mail's: one hint, not two.
"""

from __future__ import annotations

import html
from email.message import EmailMessage
from typing import Any

import pytest

from tests.french import nb
from tests.unit.notify.spikes import spike_notification
from watchtower.models import Notification
from watchtower.notify.email import EmailNotifier
from watchtower.notify.plain import plain_text

HINT = {
    "fr": nb(
        "Pour prendre l'alerte en charge : réagissez avec ✅ ou répondez « je prends » dans "
        "le fil de son message Slack, sinon elle est escaladée après 30 min."
    ),
    "en": 'To take charge of the alert, react with ✅ or reply "ack" in the thread of its '
    "Slack message, or it is escalated after 30 min.",
}
EXAMPLES = {"fr": "Exemples", "en": "Examples"}


def spike(**overrides: Any) -> Notification:
    return spike_notification("email:dircom@example.fr", **overrides)


def parts(n: Notification, language: str) -> tuple[str, str]:
    """The plain and HTML parts of the e-mail the notifier would send."""
    notifier = EmailNotifier(
        "127.0.0.1", 25, "veille@example.fr", starttls=False, timeout=10, language=language
    )
    mail = notifier.build(notifier.render(n, "dircom@example.fr"))
    assert isinstance(mail, EmailMessage)
    text, markup = mail.get_body(("plain",)), mail.get_body(("html",))
    assert text is not None and markup is not None
    return str(text.get_content()), str(markup.get_content())


@pytest.mark.parametrize("language", ["fr", "en"])
def test_the_email_says_how_to_take_the_alert_and_when_it_escalates(language: str) -> None:
    text, markup = parts(spike(), language)
    hint = HINT[language]
    assert text.count(hint) == 1
    # After the figures (the terms are the last of them), before the examples.
    assert text.index("(14)\n" + hint + "\n\n" + EXAMPLES[language]) > 0
    assert markup.count(f"<p>{html.escape(hint)}</p>") == 1
    assert markup.index(html.escape(hint)) < markup.index(f"<strong>{EXAMPLES[language]}")
    assert "l'alerte" not in markup  # escaped: &#x27;


@pytest.mark.parametrize(
    "overrides",
    [
        {"ack_in_slack": False},  # no Slack copy: it escalates anyway, nothing to ack
        {"ack_in_slack": None},  # queued before the flag existed
        {"escalation": True},  # too late: already escalated
        {"calm": True, "since": None},  # the calm-down
    ],
)
def test_no_hint_when_there_is_nothing_to_take(overrides: dict[str, Any]) -> None:
    for language in ("fr", "en"):
        text, markup = parts(spike(**overrides), language)
        assert HINT[language][:20] not in text and html.escape(HINT[language][:20]) not in markup


@pytest.mark.parametrize("language", ["fr", "en"])
def test_the_apprise_copy_carries_the_hint_once(language: str) -> None:
    body = plain_text(spike(), language, "Europe/Paris").body
    assert body.count(HINT[language]) == 1
    assert body.index(HINT[language]) < body.index(EXAMPLES[language])
