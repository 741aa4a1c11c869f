"""The wording of a spike alert (:mod:`watchtower.spikes`): its heading, its
numbers against the usual level, where the escalated alert first went, and the
calm that ends it, in the configured language."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from watchtower.notify._strings import STRINGS
from watchtower.notify._text import (
    duration_text,
    label,
    local_time_text,
    mentions_text,
    number_text,
    one_line,
    t,
)


def original_text(spike: dict[str, Any], language: str, timezone: str) -> str:
    """Where and when an escalated alert first went, or "" when unknown.

    "Alerte initiale : Slack #crise le 04/03/2026 à 11:00 (CET), e-mail à … (non remise)".
    Plain text: each notifier escapes it for its format.
    """
    original = spike.get("original")
    if not isinstance(original, dict):
        return ""
    parts = []
    for copy in original.get("copies") or []:
        target = target_text(str(copy.get("target") or "?"), language)
        at = copy.get("at")
        if copy.get("status") == "sent" and at:
            when = local_time_text(datetime.fromisoformat(str(at)), language, timezone)
            parts.append(t(language, "original_sent").format(target=target, when=when))
        elif copy.get("status") == "failed":
            parts.append(t(language, "original_failed").format(target=target))
        else:
            parts.append(t(language, "original_waiting").format(target=target))
    if not parts:
        return ""
    return label(language, "original_alert") + ", ".join(parts)


def target_text(target: str, language: str) -> str:
    """A target as people say it: "Slack #crise", "e-mail à cm@acme.fr", not the
    configuration's "slack:#crise". Another kind (an Apprise URL, already
    redacted by its caller) is shown as it is."""
    kind, sep, address = target.partition(":")
    key = f"target_{kind}"
    if not sep or key not in STRINGS["fr"]:
        return target
    return t(language, key).format(address=address)


def spike_heading(spike: dict[str, Any], language: str) -> str:
    """ "🚨 Pic de mentions : Acmé", or "✅ Retour au calme : Acmé" when it is over."""
    name = one_line(str(spike.get("name", "")))
    if spike.get("calm"):
        return "✅ " + t(language, "calm_title").format(name=name)
    return "🚨 " + t(language, "spike_title").format(name=name)


def calm_text(spike: dict[str, Any], language: str, timezone: str) -> str:
    """ "Pic signalé le 04/03/2026 à 08:06 (CET) : 62 mentions depuis.", or "" for an alert."""
    since = spike.get("since")
    if not spike.get("calm") or not since:
        return ""
    when = local_time_text(datetime.fromisoformat(str(since)), language, timezone)
    mentions = mentions_text(language, int(spike.get("total", 0)))
    return t(language, "calm_since").format(when=when, mentions=mentions)


def original_permalink(spike: dict[str, Any]) -> str:
    """The Slack permalink of the escalated alert's first message, or ""."""
    original = spike.get("original")
    return str(original.get("permalink") or "") if isinstance(original, dict) else ""


def spike_stats(spike: dict[str, Any], language: str) -> str:
    """ "13 mentions sur 1 h (d'habitude 0,4)": the spike against its usual level."""
    return t(language, "spike_stats").format(
        mentions=mentions_text(language, int(spike.get("observed", 0))),
        window=duration_text(str(spike.get("window", "1h")), language),
        # "0", not "0,0": a usual level of nothing is said as a whole number.
        baseline=number_text(float(spike.get("baseline", 0.0)), language),
    )
