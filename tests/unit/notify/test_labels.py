"""The label that heads a notification says what it is."""

from __future__ import annotations

import dataclasses
from typing import Any

import pytest

from tests.french import nb
from watchtower.models import Notification
from watchtower.notify._text import severity_text


def payload(**overrides: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "title": "Source rétablie : forum",
        "url": "",
        "source": "watchtower",
        "brands": [],
        "terms": [],
        "rules": [],
        "severity": "info",
        "excerpt": "La source fonctionne de nouveau.",
        "kind": "ops",
    }
    return base | overrides


@pytest.mark.parametrize(
    ("overrides", "fr", "en"),
    [
        ({}, "Info", "Info"),  # a source back: nothing to do, and no brand mentioned
        ({"severity": "warning"}, "À surveiller", "Watch"),  # a source down
        ({"kind": "item", "brands": ["Acmé"], "title": "Acmé"}, "Mention", "Mention"),
        ({"kind": "item", "brands": ["Acmé"], "severity": "critical"}, "CRITIQUE", "CRITICAL"),
    ],
)
def test_severity_labels(overrides: dict[str, Any], fr: str, en: str) -> None:
    n = Notification.from_payload(1, "slack:#ops", payload(**overrides))
    assert (severity_text(n, "fr"), severity_text(n, "en")) == (fr, en)


def test_an_escalation_email_subject_says_so() -> None:
    from watchtower.notify.email_render import spike_email

    spike = {"name": "Acmé", "observed": 12, "window": "1h", "baseline": 1.5, "timeout": "15m"}

    def spike_notification(**fields: Any) -> Notification:
        n = Notification.from_payload(1, "email:dircom@example.fr", payload(severity="critical"))
        return dataclasses.replace(n, extra={"kind": "spike", "spike": dict(spike, **fields)})

    alert, escalation = spike_notification(), spike_notification(escalation=True)
    assert spike_email(alert, "fr")[0] == nb("[veille] 🚨 Pic de mentions : Acmé")
    assert spike_email(escalation, "fr")[0] == nb(
        "[veille] ⏫ ESCALADE – 🚨 Pic de mentions : Acmé"
    )

    assert spike_email(escalation, "en")[0].startswith("[watchtower] ⏫ ESCALATION – 🚨 ")
