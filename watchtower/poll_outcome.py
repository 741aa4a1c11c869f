"""What a poll records of a fetch: the figures of a round, the outcome of a
success as one UPDATE's parameters, and the quiet successes written together.

A success without items (a 304, an empty page) from a healthy source is only
bookkeeping (validators, next check): :class:`QuietSuccesses` writes such
outcomes :data:`LEDGER_SIZE` at a time and at the end of the round, instead of
one transaction each. Losing them in a crash is harmless: the lease expires and
the source is fetched again.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import bindparam, update

from watchtower.adapters.base import FetchResult, SourceSettings
from watchtower.logs import kv
from watchtower.pipeline.runner import BatchStats
from watchtower.poll_timing import next_check
from watchtower.redact import redact_text
from watchtower.sanitise import printable
from watchtower.storage.queries import Claim
from watchtower.storage.tables import SOURCES

if TYPE_CHECKING:
    from watchtower.storage.db import Database

__all__ = [
    "LEDGER_SIZE",
    "SUCCESS",
    "SUCCESS_WITH_NEWS",
    "WARNING_MAX",
    "PollStats",
    "QuietSuccesses",
    "stored_warning",
    "success_outcome",
]

log = logging.getLogger("watchtower.poll")

#: Quiet successes (no items, healthy source) written together, at most this many at once.
LEDGER_SIZE = 64


@dataclass
class PollStats:
    """The figures of one poll round (of a whole ``run --once``, its retry included)."""

    sources: int = 0
    ok: int = 0
    failed: int = 0
    #: Sources whose fetch waited too long for other fetches of its site: neither ok
    #: nor failed (:mod:`watchtower.poll_deferral`); their claims, for ``run --once``
    #: to try them again once those fetches are done.
    put_off: int = 0
    put_off_claims: list[Claim] = field(default_factory=list)
    not_modified: int = 0
    items: int = 0
    new_items: int = 0
    mentions: int = 0
    queued: int = 0
    #: Sources still being fetched when the round stopped waiting (they finish later).
    running: int = 0
    errors: dict[str, str] = field(default_factory=dict)

    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False, compare=False)

    def note_put_off(self, claim: Claim) -> None:
        """Count ``claim``'s source as put off (poll threads call this together)."""
        with self._lock:
            self.put_off += 1
            self.put_off_claims.append(claim)

    def take_put_off(self) -> list[Claim]:
        """The claims put off so far, no longer counted: a retry counts them again."""
        with self._lock:
            claims, self.put_off_claims = self.put_off_claims, []
            self.put_off -= len(claims)
            return claims

    def add(self, batch: BatchStats) -> None:
        self.new_items += batch.new_items
        self.mentions += batch.mentions
        self.queued += batch.queued

    def summary(self) -> dict[str, int]:
        """The figures a log line reports for a round."""
        return {
            "sources": self.sources,
            "ok": self.ok,
            "failed": self.failed,
            **({"put_off": self.put_off} if self.put_off else {}),
            "new": self.new_items,
            "mentions": self.mentions,
            "queued": self.queued,
            **({"still_running": self.running} if self.running else {}),
        }


# The outcome of a success, as parameters of one UPDATE (``b_`` names: a bind
# parameter may not share a column's name in an UPDATE).
SUCCESS = (
    update(SOURCES)
    .where(SOURCES.c.id == bindparam("b_id"))
    .values(
        etag=bindparam("b_etag"),
        last_modified=bindparam("b_last_modified"),
        cursor=bindparam("b_cursor"),
        last_success_at=bindparam("b_now"),
        consecutive_failures=0,
        failing_since=None,
        last_error=None,
        last_warning=bindparam("b_warning"),
        next_check_at=bindparam("b_next"),
    )
)
SUCCESS_WITH_NEWS = SUCCESS.values(
    last_item_at=bindparam("b_now"), items_total=SOURCES.c.items_total + bindparam("b_new")
)


#: A source's stored warning (``status``) is cut to this many characters.
WARNING_MAX = 500


def stored_warning(warnings: list[str]) -> str | None:
    """What ``status`` shows of a fetch's warnings: one line, redacted (an adapter
    may quote the page), cut; ``None`` when the fetch warned about nothing."""
    if not warnings:
        return None
    text = printable(redact_text("; ".join(warnings)), keep="")
    return text if len(text) <= WARNING_MAX else text[: WARNING_MAX - 1] + "…"


def success_outcome(
    claim: Claim, settings: SourceSettings, result: FetchResult, now: datetime
) -> dict[str, Any]:
    """The parameters of :data:`SUCCESS` for ``result``."""
    return {
        "b_id": claim.id,
        "b_etag": result.etag,
        "b_last_modified": result.last_modified,
        "b_cursor": result.cursor if result.cursor is not None else claim.cursor,
        "b_now": now,
        "b_next": now if _catching_up(claim, result) else next_check(settings.every, now),
        "b_warning": stored_warning([*result.warnings, *result.reminders]),
    }


def _catching_up(claim: Claim, result: FetchResult) -> bool:
    """A source that says more is waiting (``FetchResult.more``) is due again at the
    next round, not after ``every``: a backlog is read chunk after chunk. Only while
    its cursor moves: one that says ``more`` without progress keeps its rhythm.
    Other due sources are claimed first (claims go by ``next_check_at``), and a
    failure backs off as usual."""
    return result.more and result.cursor is not None and result.cursor != claim.cursor


class QuietSuccesses:
    """Outcomes of quiet successes, written together (see the module docstring)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._pending: list[dict[str, Any]] = []

    def note(self, outcome: dict[str, Any], db: Database) -> None:
        """Keep ``outcome``; write the lot once :data:`LEDGER_SIZE` wait."""
        with self._lock:
            self._pending.append(outcome)
            full = len(self._pending) >= LEDGER_SIZE
        if full:
            self.flush(db)

    def flush(self, db: Database) -> None:
        """Write what waits, in one statement."""
        with self._lock:
            pending, self._pending = self._pending, []
        if not pending:
            return
        try:
            with db.writing() as session:
                session.execute(SUCCESS, pending)
        except Exception:  # the lease expires and these sources are simply fetched again
            log.exception("could not record quiet successes", extra=kv(sources=len(pending)))
