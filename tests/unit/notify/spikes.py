"""A spike alert's notification as :mod:`watchtower.spike_alert` queues it, for
the notifier tests of each target kind."""

from __future__ import annotations

from typing import Any

from watchtower.models import Notification


def spike_notification(target: str, **overrides: Any) -> Notification:
    """The alert for "Acmé" (14 mentions in 1 h, usually 0.4) sent to ``target``,
    acknowledged in Slack within 30 min; ``overrides`` replace its spike fields."""
    data: dict[str, Any] = {
        "name": "Acmé",
        "observed": 14,
        "baseline": 0.4,
        "window": "1h",
        "top_sources": [["presse", 9]],
        "top_terms": [["Acmé", 14]],
        "examples": [{"title": "Panne", "url": "https://x.example/1", "source": "presse"}],
        "escalate_to": ["@U123"],
        "escalation": False,
        "timeout": "30m",
        "ack_in_slack": True,
    } | overrides
    payload = {
        "kind": "spike",
        "title": "Pic de mentions : Acmé",
        "url": "",
        "source": "",
        "brands": ["Acmé"],
        "terms": [],
        "rules": [],
        "severity": "critical",
        "extra": {"kind": "spike", "spike": data},
    }
    return Notification.from_payload(5, target, payload)
