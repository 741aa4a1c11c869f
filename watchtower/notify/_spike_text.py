"""The wording of a spike alert (:mod:`watchtower.spikes`): its heading, its
numbers against the usual level, where the escalated alert first went and who
was paged, who took it, and the calm that ends it, in the configured language."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

from watchtower.durations import parse_duration
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
    """ "Pic commencé vers 07:06, signalé le 04/03/2026 à 08:06 (CET) : 62 mentions
    en tout.", or "" for an alert.

    The total counts the spike's window before the alert as well as what came
    after (:mod:`watchtower.spike_calm`), so it is said from the window's start.
    """
    since = spike.get("since")
    if not spike.get("calm") or not since:
        return ""
    reported = datetime.fromisoformat(str(since))
    # A calm queued before "started" existed: its window, from the alert back.
    started = spike.get("started")
    start = (
        datetime.fromisoformat(str(started))
        if started
        else reported - parse_duration(str(spike.get("window") or "1h"))
    )
    if start.tzinfo is None:
        start = start.replace(tzinfo=UTC)
    # "vers": the window's start to the nearest 5 minutes (10:59 → 11:00), as people say it.
    around = datetime.fromtimestamp(round(start.timestamp() / 300) * 300, UTC)
    return t(language, "calm_since").format(
        start=clock_text(around, timezone),
        when=local_time_text(reported, language, timezone),
        mentions=mentions_text(language, int(spike.get("total", 0))),
    )


def clock_text(when: datetime, timezone: str) -> str:
    """ "12:02": the hour of ``when`` in the configured zone (a naive ``when`` is UTC)."""
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return when.astimezone(ZoneInfo(timezone)).strftime("%H:%M")


def paged_text(spike: dict[str, Any], language: str) -> str:
    """ "Prévenu sans réponse : @U0123" on an escalation, else "".

    Plain text on purpose: a ``<@U0123>`` in the escalation channel would ping
    the on-call person again, in front of the executives, without saying that
    they are the one who did not answer. Each notifier escapes it for its format.
    """
    who = [str(w).strip() for w in spike.get("escalate_to") or [] if str(w).strip()]
    if not spike.get("escalation") or not who:
        return ""
    names = ", ".join("@" + w.removeprefix("<").removesuffix(">").lstrip("@!") for w in who)
    return t(language, "paged_no_answer").format(who=names)


def ack_text(spike: dict[str, Any], language: str, timezone: str, *, slack: bool = True) -> str:
    """ "✅ Pris en charge par <@U0CM> à 12:02 : pas d'escalade." for an ack notice, else "".

    Slack mrkdwn (the mention shows the name; it only pings the person who took
    the alert, in their own thread). ``user`` may be "" when Slack did not say who.
    ``slack=False``: plain text for an e-mail, "@U0CM" (no Slack to show a name).
    """
    ack = spike.get("ack")
    if not isinstance(ack, dict) or not ack.get("at"):
        return ""
    user = str(ack.get("user") or "")
    mention = f"<@{user}>" if slack else f"@{user}"
    who = mention if user.isalnum() else t(language, "ack_someone")
    when = clock_text(datetime.fromisoformat(str(ack["at"])), timezone)
    return t(language, "ack_taken").format(who=who, time=when)


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
