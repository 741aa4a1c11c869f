"""Notification wording in the configured language (``fr`` default, ``en``)."""

from __future__ import annotations

from datetime import datetime
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
        "severity.warning": "À surveiller",
        "severity.critical": "CRITIQUE",
        "subject": "[veille] {severity} – {brands} : {title}",
        "language": "Langue",
        "untitled": "(sans titre)",
        "date_format": "%d/%m/%Y à %H:%M",
        "colon": " : ",
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
        "severity.warning": "Watch",
        "severity.critical": "CRITICAL",
        "subject": "[watchtower] {severity} – {brands}: {title}",
        "language": "Language",
        "untitled": "(untitled)",
        "date_format": "%Y-%m-%d %H:%M",
        "colon": ": ",
    },
}

SEVERITY_EMOJI = {Severity.info: "🔎", Severity.warning: "⚠️", Severity.critical: "🚨"}


def t(language: str, key: str) -> str:
    """The text for ``key`` in ``language`` (falls back to French)."""
    return STRINGS.get(language, STRINGS["fr"]).get(key, STRINGS["fr"][key])


def published_text(n: Notification, language: str, timezone: str) -> str:
    """The publication time in the configured zone, or "unknown date"."""
    if n.published is None:
        return t(language, "unknown_date")
    local: datetime = n.published.astimezone(ZoneInfo(timezone))
    return local.strftime(t(language, "date_format")) + f" ({local.tzname()})"


def severity_text(n: Notification, language: str) -> str:
    return t(language, f"severity.{n.severity.name}")


def title_text(n: Notification, language: str) -> str:
    return n.title.strip() or t(language, "untitled")


def label(language: str, key: str) -> str:
    """``"Source : "`` in French, ``"Source: "`` in English."""
    return t(language, key) + t(language, "colon")
