"""A database that cannot grow (a full disk, a quota): ops are told once, directly.

SQLite says ``database or disk is full`` (SQLITE_FULL), PostgreSQL ``could not
extend file …: No space left on device`` (SQLSTATE 53100): both are outages
(:mod:`watchtower.outage`: one log line, the daemon goes on). Ops notices
normally go through the outbox table, which is exactly what cannot take a row
now, so this one is rendered and sent by the ``ops_notify`` notifiers
themselves, once per outage and process (Slack and e-mail need no disk). It is
not recorded anywhere: a restart during the outage tells ops again, which is
the right side to err on.

The SQLite file deleted or replaced under the daemon
(:mod:`watchtower.storage.sqlite_file`) is told the same way, once per
process (:mod:`watchtower.database_lost`, which :meth:`FullDatabase.failed`
asks first): the database refuses every write from then on, the outbox included.

While the database is full, a source that was fetched keeps the lease its claim
took (:data:`~watchtower.storage.queries.LEASE`) instead of being made due at
once: every poll round would otherwise fetch every source again, for nothing,
all night long. So sources resume at most one lease after space returns.
"""

from __future__ import annotations

import logging
import threading
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from watchtower.catalogue_text import catalogue_text
from watchtower.database_lost import LostFileNotice
from watchtower.logs import kv
from watchtower.ops_direct import send_direct
from watchtower.outage import outage_reason
from watchtower.storage.db import shown
from watchtower.storage.outbox_queries import notice_payload

if TYPE_CHECKING:
    from watchtower.app import App

__all__ = [
    "FULL_CAUSES",
    "FULL_WORDS",
    "TELL_AGAIN",
    "FullDatabase",
    "full_cause",
    "full_reason",
]

log = logging.getLogger("watchtower.database")

#: The words of a database that cannot grow — SQLite's SQLITE_FULL, the OS's ENOSPC
#: and EDQUOT (PostgreSQL quotes them), PostgreSQL's own ``disk full`` — and what
#: each means in the notice's language, the database's own words after it
#: ({detail}: the reason as the log says it, which English keeps as it is).
FULL_CAUSES: dict[str, dict[str, str]] = {
    "disk is full": {
        "en": "{detail}",
        "fr": "le disque est plein, ou la base a atteint la taille que SQLite lui permet "
        "({detail})",
    },
    "no space left": {
        "en": "{detail}",
        "fr": "il ne reste plus de place sur le disque ({detail})",
    },
    "quota exceeded": {
        "en": "{detail}",
        "fr": "le quota d'espace disque est dépassé ({detail})",
    },
    "disk full": {"en": "{detail}", "fr": "le disque est plein ({detail})"},
}
FULL_WORDS = tuple(FULL_CAUSES)
#: A process tells ops again after this long if the database is still (or again) full.
TELL_AGAIN = timedelta(hours=24)


def full_reason(exc: BaseException) -> str | None:
    """The first line of ``exc`` when it says the database cannot grow, else None."""
    reason = outage_reason(exc)
    if reason is not None and any(words in reason.lower() for words in FULL_WORDS):
        return reason
    return None


def full_cause(reason: str, language: str) -> str:
    """``reason`` (:func:`full_reason`'s) said in ``language``: what it means, then
    the database's own words; ``reason`` as it is in English."""
    lowered = reason.lower()
    for words in FULL_CAUSES:
        if words in lowered:
            return catalogue_text(FULL_CAUSES, words, {"detail": reason}, language)
    return reason


class FullDatabase:
    """Tells ``ops_notify`` once that the database is full, without writing to it."""

    def __init__(self, app: App) -> None:
        self.app = app
        self._lock = threading.Lock()
        #: When ops were told of the current outage (None: not full, or not told yet).
        self.told_at: datetime | None = None
        #: The SQLite file deleted or replaced: told once per process.
        self.lost = LostFileNotice(app)

    def failed(self, exc: BaseException) -> bool:
        """Whether ``exc`` says the database is full; if so, tell ops (once).
        A SQLite file deleted or replaced is told once too (and is not full)."""
        if self.lost.failed(exc):
            return False
        reason = full_reason(exc)
        if reason is None:
            return False
        now = self.app.clock()
        with self._lock:
            if self.told_at is not None and now - self.told_at < TELL_AGAIN:
                return True
            self.told_at = now
        self._tell(reason)
        return True

    def stored(self) -> None:
        """Something new was written: the outage is over; the next one is told again."""
        if self.told_at is None:  # the usual case: no lock
            return
        with self._lock:
            self.told_at = None
        log.info("database takes new rows again")

    def _tell(self, reason: str) -> None:
        from watchtower.notify._text import t

        config = self.app.loaded.config
        if not config.watchtower.ops_notify:
            log.error("database full: no ops_notify target, nobody is told", extra=kv(error=reason))
            return
        lang = config.watchtower.language
        # The log line keeps the database's English; the notice says what it means.
        fields = {"reason": full_cause(reason, lang), "database": shown(self.app.db.url)}
        payload = notice_payload(
            t(lang, "ops_db_full_subject").format(**fields),
            t(lang, "ops_db_full_body").format(**fields),
            "critical",
        )
        send_direct(self.app, payload, "database full", reason)
