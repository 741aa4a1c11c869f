"""A digest tells its times in its own zone, in every notifier: the zone of its
``[[digests]]`` entry, which :func:`watchtower.digest.enrich` stores in the
summary; a row queued without one (an older watchtower) in the notifier's
``timezone``. E-mail, console and Apprise say the same period."""

from __future__ import annotations

import io
from datetime import UTC, datetime, timedelta, timezone
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from tests.french import nb
from watchtower import digest
from watchtower.models import Notification
from watchtower.notify.apprise import AppriseNotifier
from watchtower.notify.console import ConsoleNotifier
from watchtower.notify.email import EmailNotifier
from watchtower.notify.plain import plain_text

# 22:00 UTC on 25 and 26 November 2026: 07:00 the next morning in Tokyo,
# 23:00 the same evening in Paris, 17:00 in New York.
SINCE, UNTIL = "2026-11-25T22:00:00+00:00", "2026-11-26T22:00:00+00:00"
TOKYO = "Du 26 novembre à 07:00 au 27 novembre à 07:00"
PARIS = "Du 25 novembre à 23:00 au 26 novembre à 23:00"
NEW_YORK = "Du 25 novembre à 17:00 au 26 novembre à 17:00"


def _digest(**stored: Any) -> Notification:
    summary = {
        "reason": "digest",
        "what": "",
        "count": 1,
        "period": "daily",
        "since": SINCE,
        "until": UNTIL,
        "items": [
            {
                "title": "Acmé rachète un concurrent",
                "url": "https://presse.example.fr/acme",
                "source": "presse",
                "severity": "info",
                "brands": ["Acmé"],
            }
        ],
        "by_brand": {"Acmé": {"info": 1}},
        **stored,
    }
    payload = {
        "title": "",
        "brands": ["Acmé"],
        "severity": "info",
        "extra": {"kind": "summary", "summary": summary, "created_at": 1.0},
    }
    return Notification.from_payload(1, "email:dircom@acme.example.fr", payload)


def _mail(zone: str, language: str = "fr") -> EmailNotifier:
    return EmailNotifier(
        "127.0.0.1", 25, "veille@acme.example.fr", language=language, timezone=zone
    )


def _console(n: Notification, zone: str, language: str = "fr") -> str:
    console = ConsoleNotifier(language=language, timezone=zone, stream=io.StringIO())
    return console.render(n, "console").text


def test_the_e_mail_tells_period_and_day_in_the_digests_own_zone() -> None:
    message = _mail("Europe/Paris").render(_digest(timezone="Asia/Tokyo"), "dircom@acme.fr")
    assert nb(TOKYO) in message.text
    assert "23:00" not in message.text
    # Its day is Tokyo's 27 November, not Paris's 26.
    assert message.subject.endswith("27 novembre"), message.subject


def test_an_old_row_without_a_zone_is_told_in_the_notifiers_zone() -> None:
    message = _mail("Europe/Paris").render(_digest(), "dircom@acme.fr")
    assert nb(PARIS) in message.text
    assert message.subject.endswith("26 novembre"), message.subject


def test_a_zone_this_machine_does_not_know_falls_back_to_the_notifiers() -> None:
    message = _mail("Europe/Paris").render(_digest(timezone="Mars/Olympus"), "dircom@acme.fr")
    assert nb(PARIS) in message.text


@pytest.mark.parametrize(
    ("stored", "period"), [({"timezone": "Asia/Tokyo"}, TOKYO), ({}, NEW_YORK)]
)
def test_console_and_apprise_tell_the_period_as_the_e_mail(
    stored: dict[str, str], period: str
) -> None:
    """Their own zone (New York) when the row names none; never Paris, which
    they used whatever their configuration."""
    n = _digest(**stored)
    mail = _mail("America/New_York").render(n, "dircom@acme.fr").text.splitlines()[1]
    assert mail.startswith(nb(period)), mail
    apprise = AppriseNotifier("fr", "America/New_York").render(n, "json://127.0.0.1:9/")
    for text in (_console(n, "America/New_York"), apprise.text):
        assert mail in text
        assert "23:00" not in text


def test_the_plain_text_of_a_digest_says_the_same_period_in_english() -> None:
    zone = "Asia/Tokyo"  # 07:00 there
    period = _mail(zone, "en").render(_digest(), "dircom@acme.fr").text.splitlines()[1]
    assert period.startswith("From November 26 at 07:00 to November 27 at 07:00"), period
    assert period in plain_text(_digest(), "en", zone).body
    assert period in _console(_digest(), zone, "en")


def test_a_digests_since_names_its_zone() -> None:
    instant = datetime(2026, 11, 26, 13, 30, tzinfo=UTC)
    zone_name, in_zone = digest.zone_name, digest.in_zone
    assert zone_name(in_zone(instant, "America/New_York")) == "America/New_York"
    assert zone_name(in_zone(instant, "UTC")) == "UTC"
    # A period guessed from its length (plain UTC) or an unnamed offset names none.
    assert zone_name(instant) is None
    assert zone_name(instant.astimezone(timezone(timedelta(hours=2)))) is None
    assert zone_name(instant.replace(tzinfo=None)) is None
    assert zone_name(instant.astimezone(ZoneInfo("Europe/Paris"))) == "Europe/Paris"
