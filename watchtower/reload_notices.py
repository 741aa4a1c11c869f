"""What a reload tells operators through the outbox (``ops_notify``), fr/en.

The payloads of the notices :class:`~watchtower.reload.Reloader` queues: a
configuration refused (:func:`ops_payload`), valid again
(:func:`accepted_payload`), waiting notifications re-addressed
(:func:`readdressed_payload`); :func:`notice_id` makes their dedup keys.
"""

from __future__ import annotations

import hashlib
from typing import Any

from watchtower.errors import ConfigProblem
from watchtower.pipeline.readdress import Readdressed
from watchtower.redact import redact_target, redact_text
from watchtower.storage.outbox_queries import notice_payload
from watchtower.typography import french_spacing

__all__ = ["accepted_payload", "notice_id", "ops_payload", "readdressed_payload"]

MAX_PROBLEMS_IN_MESSAGE = 10


def notice_id(*parts: str) -> str:
    return hashlib.sha256("\0".join(parts).encode()).hexdigest()[:40]


def ops_payload(problems: list[ConfigProblem], language: str, now: str) -> dict[str, Any]:
    """The outbox payload telling operators that a configuration was refused."""
    count = len(problems)
    if language == "fr":
        title = french_spacing(
            f"Configuration refusée ({count} problème{'s' if count > 1 else ''}) : "
            "watchtower continue avec la précédente",
            language,
        )
    else:
        title = (
            f"Configuration rejected ({count} problem{'s' if count > 1 else ''}): "
            "watchtower keeps running on the previous one"
        )
    # A problem quotes the refused value: a source URL may hold its password.
    lines = [redact_text(str(p)) for p in problems[:MAX_PROBLEMS_IN_MESSAGE]]
    if count > MAX_PROBLEMS_IN_MESSAGE:
        lines.append(f"… (+{count - MAX_PROBLEMS_IN_MESSAGE})")
    return _notice(title, "\n".join(lines), language, now, "warning")


def accepted_payload(language: str, now: str) -> dict[str, Any]:
    """The outbox payload telling operators that the file is valid again."""
    if language == "fr":
        title = french_spacing("Configuration de nouveau valide : watchtower l'applique", language)
    else:
        title = "Configuration valid again: watchtower applies it"
    return _notice(title, "", language, now, "info")  # good news: no "À surveiller" badge


def readdressed_payload(moved: list[Readdressed], language: str, now: str) -> dict[str, Any]:
    """The outbox payload telling operators where waiting notifications went."""
    count = sum(done.moved for done in moved)
    plural = "s" if count > 1 else ""
    lines = []
    for done in moved:
        old, new = redact_target(done.old), ", ".join(redact_target(t) for t in done.new)
        if language == "fr":
            lines.append(f"{done.moved} de {old} vers {new}")
        else:
            lines.append(f"{done.moved} from {old} to {new}")
    if language == "fr":
        title = f"{count} notification{plural} en attente ré-adressée{plural} après rechargement"
    else:
        title = f"{count} waiting notification{plural} re-addressed after the reload"
    return _notice(title, "\n".join(lines), language, now, "info")


def _notice(title: str, excerpt: str, language: str, now: str, severity: str) -> dict[str, Any]:
    return notice_payload(title, excerpt, severity, published=now, rules=["config"], lang=language)
