"""The label that heads a notification says what it is."""

from __future__ import annotations

from typing import Any

import pytest

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
