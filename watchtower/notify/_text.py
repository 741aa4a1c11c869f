"""Notification wording in the configured language (``fr`` default, ``en``)."""

from __future__ import annotations

from datetime import UTC, datetime, time
from typing import Any
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

from watchtower.models import Notification, Severity

STRINGS: dict[str, dict[str, str]] = {
    "fr": {
        "source": "Source",
        "brand": "Marque",
        "brands": "Marques",
        "terms": "Termes",
        "rule": "Règle",
        "published": "Publié le",
        "unknown_date": "date inconnue",
        "open": "Ouvrir",
        "severity.info": "Mention",
        "severity.notice": "Info",
        "severity.warning": "À surveiller",
        "severity.critical": "CRITIQUE",
        "subject": "[veille] {severity} – {brands} : {title}",
        "language": "Langue",
        "untitled": "(sans titre)",
        "date_format": "%d/%m/%Y à %H:%M",
        "date_only_format": "%d/%m/%Y",
        "colon": " : ",
        "notice_subject": "[veille] {severity} : {title}",
        "rating": "Note",
        "review": "avis",
        "reviews": "avis",
        "author": "Auteur",
        "mentions_one": "{count} mention",
        "mentions_other": "{count} mentions",
        # alerting (grouping, quiet hours, digests, story threads, spikes)
        "also_seen": "Aussi vu sur {source}",
        "source_down": "Source en panne : {name}",
        "source_down_body": "{failures} échecs consécutifs. Dernière erreur : {error}",
        "source_silent": "Source silencieuse : {name}",
        "source_silent_body": "Aucun nouvel élément depuis {since} (d'habitude, un toutes les "
        "{gap}). Le flux a peut-être changé d'adresse ou de format.",
        "source_up": "Source rétablie : {name}",
        "source_up_body": "La source fonctionne de nouveau.",
        "edited_on": "Modifié sur {source}",
        "seen_on": "Vu sur {count} sources",
        "more": "… et {count} de plus",
        "read_more": "Lire la suite",
        "group_title": "{mentions} · {what}",
        "quiet_title": "Pendant les heures calmes : {mentions}",
        "digest_title": "Résumé {period} : {mentions}",
        "digest_daily": "quotidien",
        "digest_hourly": "horaire",
        "chart_title": "Mentions par marque",
        "spike_title": "Pic de mentions : {name}",
        "spike_stats": "{observed} mentions sur {window} (d'habitude {baseline})",
        "top_sources": "Principales sources",
        "top_terms": "Termes",
        "examples": "Exemples",
        "ack_hint": "Réagissez avec ✅ ou répondez « ack » dans le fil pour prendre en charge.",
        "escalated": "Escalade : personne n'a pris en charge l'alerte en {timeout}.",
        "escalation_prefix": "ESCALADE – ",
        "original_alert": "Alerte initiale",
        "original_sent": "{target} le {when}",
        "original_failed": "{target} (non remise)",
        "original_waiting": "{target} (pas encore remise)",
        "original_link": "Ouvrir l'alerte initiale dans Slack",
        "ops_auth_subject": "Slack est en pause : {reason}",
        "ops_auth_body": "Les notifications Slack sont conservées et repartiront dès que "
        "le service aura un jeton de bot valide (SLACK_BOT_TOKEN). Cause : {reason}",
        "ops_back_subject": "{kind} fonctionne à nouveau",
        "ops_back_body": "Les notifications en attente repartent.",
        "ops_failed_subject": "Notifications perdues pour {target}",
        "ops_failed_body": "{count} notification(s) n'ont pas pu être livrées à {target} "
        "et ne seront pas renvoyées. Dernière erreur : {reason}",
    },
    "en": {
        "source": "Source",
        "brand": "Brand",
        "brands": "Brands",
        "terms": "Terms",
        "rule": "Rule",
        "published": "Published",
        "unknown_date": "unknown date",
        "open": "Open",
        "severity.info": "Mention",
        "severity.notice": "Info",
        "severity.warning": "Watch",
        "severity.critical": "CRITICAL",
        "subject": "[watchtower] {severity} – {brands}: {title}",
        "language": "Language",
        "untitled": "(untitled)",
        "date_format": "%Y-%m-%d %H:%M",
        "date_only_format": "%Y-%m-%d",
        "colon": ": ",
        "notice_subject": "[watchtower] {severity}: {title}",
        "rating": "Rating",
        "review": "review",
        "reviews": "reviews",
        "author": "Author",
        "mentions_one": "{count} mention",
        "mentions_other": "{count} mentions",
        "also_seen": "Also seen on {source}",
        "source_down": "Source down: {name}",
        "source_down_body": "{failures} failures in a row. Last error: {error}",
        "source_silent": "Source silent: {name}",
        "source_silent_body": "Nothing new since {since} (usually one item every {gap}). "
        "The feed may have moved or changed format.",
        "source_up": "Source back: {name}",
        "source_up_body": "The source works again.",
        "edited_on": "Edited on {source}",
        "seen_on": "Seen on {count} sources",
        "more": "… and {count} more",
        "read_more": "Read more",
        "group_title": "{mentions} · {what}",
        "quiet_title": "During quiet hours: {mentions}",
        "digest_title": "{period} digest: {mentions}",
        "digest_daily": "Daily",
        "digest_hourly": "Hourly",
        "chart_title": "Mentions per brand",
        "spike_title": "Mention spike: {name}",
        "spike_stats": "{observed} mentions in {window} (usually {baseline})",
        "top_sources": "Top sources",
        "top_terms": "Terms",
        "examples": "Examples",
        "ack_hint": 'React with ✅ or reply "ack" in the thread to take charge.',
        "escalated": "Escalation: nobody took charge of the alert within {timeout}.",
        "escalation_prefix": "ESCALATION – ",
        "original_alert": "Original alert",
        "original_sent": "{target} on {when}",
        "original_failed": "{target} (not delivered)",
        "original_waiting": "{target} (not delivered yet)",
        "original_link": "Open the original alert in Slack",
        "ops_auth_subject": "Slack is paused: {reason}",
        "ops_auth_body": "Slack notifications are kept and will go out once the service "
        "has a valid bot token (SLACK_BOT_TOKEN). Cause: {reason}",
        "ops_back_subject": "{kind} works again",
        "ops_back_body": "The waiting notifications are going out.",
        "ops_failed_subject": "Notifications lost for {target}",
        "ops_failed_body": "{count} notification(s) could not be delivered to {target} "
        "and will not be retried. Last error: {reason}",
    },
}

SEVERITY_EMOJI = {Severity.info: "🔎", Severity.warning: "⚠️", Severity.critical: "🚨"}


def http_url(url: str) -> str:
    """``url`` if it is an absolute http(s) URL, else ``""``.

    Items' URLs are already only http(s) (:func:`watchtower.pipeline.canonical.
    canonical_url`); every notifier checks again before it makes a link or shows
    an address, so a ``javascript:`` or ``data:`` URL that reached a payload by
    another way (an old row, a new producer) is never one.
    """
    try:
        parts = urlsplit(url.strip())
    except ValueError:
        return ""
    return url.strip() if parts.scheme.lower() in ("http", "https") and parts.netloc else ""


def t(language: str, key: str) -> str:
    """The text for ``key`` in ``language`` (falls back to French)."""
    return STRINGS.get(language, STRINGS["fr"]).get(key, STRINGS["fr"][key])


def published_text(n: Notification, language: str, timezone: str) -> str:
    """The publication time in the configured zone, or "unknown date"."""
    if n.published is None:
        return t(language, "unknown_date")
    try:
        if n.published.astimezone(UTC).time() == time(0):
            # A date without a time (JSON-LD "2026-11-25") is stored as midnight UTC:
            # shown in the local zone it would claim "01:00", an hour nobody wrote.
            # An item really published at 00:00:00 UTC loses its time, which is rare.
            return n.published.astimezone(UTC).strftime(t(language, "date_only_format"))
        return local_time_text(n.published, language, timezone)
    except OverflowError:  # year 1 or 9999 moved to another zone: not a real date
        return t(language, "unknown_date")


def local_time_text(when: datetime, language: str, timezone: str) -> str:
    """``when`` in the configured zone: "04/03/2026 à 11:00 (CET)"."""
    local = when.astimezone(ZoneInfo(timezone))
    return local.strftime(t(language, "date_format")) + f" ({local.tzname()})"


def original_text(spike: dict[str, Any], language: str, timezone: str) -> str:
    """Where and when an escalated alert first went, or "" when unknown.

    "Alerte initiale : slack:#crise le 04/03/2026 à 11:00 (CET), email:… (non remise)".
    Plain text: each notifier escapes it for its format.
    """
    original = spike.get("original")
    if not isinstance(original, dict):
        return ""
    parts = []
    for copy in original.get("copies") or []:
        target = str(copy.get("target") or "?")
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


def original_permalink(spike: dict[str, Any]) -> str:
    """The Slack permalink of the escalated alert's first message, or ""."""
    original = spike.get("original")
    return str(original.get("permalink") or "") if isinstance(original, dict) else ""


def mentions_text(language: str, count: int) -> str:
    """``"1 mention"``, ``"3 mentions"``; French also says "0 mention"."""
    one = count in (0, 1) if language == "fr" else count == 1
    return t(language, "mentions_one" if one else "mentions_other").format(count=count)


def rating_text(n: Notification, language: str) -> str:
    """A review's rating as stars and a score ("★★☆☆☆ 2/5"), or "" without one."""
    raw = n.extra.get("rating")
    if raw is None or isinstance(raw, bool):
        return ""
    try:
        rating = min(5.0, max(0.0, float(raw)))
    except (TypeError, ValueError):
        return ""
    full = int(rating + 0.5)  # round half up: 2.5 shows three stars, as review sites do
    score = f"{rating:g}"
    if language == "fr":
        score = score.replace(".", ",")
    text = "★" * full + "☆" * (5 - full) + f" {score}/5"
    count = str(n.extra.get("rating_count") or "")
    if count.isdigit():  # an average: over how many reviews
        text += f" ({count} {t(language, 'review' if count == '1' else 'reviews')})"
    return text


def spike_stats(spike: dict[str, Any], language: str) -> str:
    """ "13 mentions sur 1h (d'habitude 0,4)": the spike against its usual level."""
    usual = f"{float(spike.get('baseline', 0.0)):.1f}"
    return t(language, "spike_stats").format(
        observed=spike.get("observed", 0),
        window=spike.get("window", "1h"),
        baseline=usual.replace(".", ",") if language == "fr" else usual,
    )


def author_text(n: Notification) -> str:
    """Who wrote the item (a review's author), or ""."""
    return str(n.extra.get("author") or "").strip()


def kind_of(n: Notification) -> str:
    """``item``, ``summary``, ``spike`` or ``ops``.

    A notice queued without a ``kind`` (a rejected configuration) names no
    brand: no mention does, since every match is a brand's.
    """
    kind = str(n.extra.get("kind") or "item")
    return "ops" if kind == "item" and not n.brands else kind


def severity_text(n: Notification, language: str) -> str:
    """The label of ``n``'s urgency; an ops notice that needs nothing (a source
    back) is "Info", not "Mention"."""
    if n.severity is Severity.info and kind_of(n) == "ops":
        return t(language, "severity.notice")
    return t(language, f"severity.{n.severity.name}")


def title_text(n: Notification, language: str) -> str:
    return n.title.strip() or t(language, "untitled")


def label(language: str, key: str) -> str:
    """``"Source : "`` in French, ``"Source: "`` in English."""
    return t(language, key) + t(language, "colon")
