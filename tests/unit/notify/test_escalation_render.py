"""How an escalation names the alert it repeats, on every target kind (no I/O)."""

from __future__ import annotations

import dataclasses
import io
import json
from typing import Any

import pytest

from tests.french import nb
from watchtower.models import Notification
from watchtower.notify._spike_text import original_text
from watchtower.notify.console import ConsoleNotifier
from watchtower.notify.email_render import spike_email
from watchtower.notify.slack_render import spike_blocks

LINK = "https://acme.slack.com/archives/C0CRISE/p1771757940000001"
COPIES = [
    {"target": "slack:#crise", "status": "sent", "at": "2026-07-01T08:30:00+00:00"},
    {"target": "email:dircom@example.fr", "status": "failed", "at": None},
    {"target": "apprise:json://127.0.0.1/…", "status": "pending", "at": None},
]


def spike(**fields: Any) -> dict[str, Any]:
    base = {"name": "Acmé", "observed": 12, "window": "1h", "baseline": 1.5, "timeout": "15m"}
    base["examples"] = [{"title": "Panne", "url": "https://x/1", "source": "presse"}]
    return base | fields


def notification(**fields: Any) -> Notification:
    payload = {"title": "Spike", "url": "", "brands": ["Acmé"], "severity": "critical"}
    n = Notification.from_payload(7, "slack:#direction", payload)
    return dataclasses.replace(n, extra={"kind": "spike", "spike": spike(**fields)})


ORIGINAL = {"copies": COPIES, "permalink": LINK}


@pytest.mark.parametrize(
    ("language", "timezone", "expected"),
    [
        (
            "fr",
            "Europe/Paris",
            nb(
                "Alerte initiale : Slack #crise le 01/07/2026 à 10:30 (CEST), "
                "e-mail à dircom@example.fr (non remise), apprise:json://127.0.0.1/… "
                "(pas encore remise)"
            ),
        ),
        (
            "en",
            "America/New_York",
            "Original alert: Slack #crise on 2026-07-01 04:30 (EDT), "
            "e-mail to dircom@example.fr (not delivered), apprise:json://127.0.0.1/… "
            "(not delivered yet)",
        ),
    ],
)
def test_where_and_when_the_alert_went(language: str, timezone: str, expected: str) -> None:
    assert original_text(spike(original=ORIGINAL), language, timezone) == expected


def test_slack_links_the_escalation_to_the_alert() -> None:
    blocks, text = spike_blocks(notification(escalation=True, original=ORIGINAL), "fr")
    shown = json.dumps(blocks, ensure_ascii=False)  # str() would write "\xa0"
    assert f"<{LINK}|Ouvrir l'alerte initiale dans Slack>" in shown
    assert nb("Alerte initiale : Slack #crise le 01/07/2026 à 10:30 (CEST)") in shown
    assert LINK in text and "<https://x/1|Panne>" in shown


def test_the_alert_itself_names_no_original() -> None:
    for blocks in (
        spike_blocks(notification(original=ORIGINAL), "fr")[0],
        spike_blocks(notification(), "fr")[0],
    ):
        assert "Alerte initiale" not in str(blocks) and LINK not in str(blocks)
    subject, text, html = spike_email(notification(original=ORIGINAL), "fr")
    assert "Alerte initiale" not in text + html and "ESCALADE" not in subject


def test_an_escalation_queued_by_an_older_version_still_renders() -> None:
    """Rows queued before the upgrade carry no ``original``: no origin line, no crash."""
    n = notification(escalation=True)
    blocks, _ = spike_blocks(n, "fr")
    assert "Escalade" in str(blocks) and "Alerte initiale" not in str(blocks)
    _, text, _ = spike_email(n, "en")
    assert text.splitlines()[1].startswith("Escalation: nobody took charge")
    assert "Original alert" not in text


def test_without_a_permalink_the_escalation_shows_where_it_went() -> None:
    n = notification(escalation=True, original={"copies": COPIES[:1], "permalink": ""})
    blocks, text = spike_blocks(n, "en")
    assert "Original alert: Slack #crise on" in str(blocks)
    assert "Open the original alert" not in str(blocks) + text
    _, mail, html = spike_email(n, "en")
    assert "Original alert: Slack #crise on" in mail and '<a href="https://x/1">' in html
    assert "Open the original alert" not in mail + html


def test_the_console_prints_the_escalation_as_such() -> None:
    out = io.StringIO()
    console = ConsoleNotifier("fr", "Europe/Paris", out)
    n = dataclasses.replace(notification(escalation=True, original=ORIGINAL), target="console:")
    console.send(console.render(n, ""))
    lines = out.getvalue().splitlines()
    assert lines[0] == nb("⏫ ESCALADE – 🚨 Pic de mentions : Acmé")
    assert nb("  Ouvrir l'alerte initiale dans Slack : ") + LINK in lines
    assert any(
        line.startswith(nb("  Alerte initiale : Slack #crise le 01/07/2026")) for line in lines
    )
