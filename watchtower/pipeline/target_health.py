"""What this process learned from the targets' answers, shared by the outbox's workers.

- a target **rate-limited** by its provider waits until a given time (in memory:
  a Retry-After is seconds, and a restart is a natural retry point anyway);
- a target kind **paused** (its token refused: ``TargetDisabled``) has ops told
  once when it delivers again; the set is read from the database once
  (:func:`~watchtower.storage.outbox_queries.paused_kinds`), so it survives a restart;
- a target kind **failing** (its last send failed and could be retried: a
  timeout, a 5xx) is left alone by the flush at shutdown.

Thread-safe: each target kind has its own worker thread.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable
from datetime import datetime

__all__ = ["TargetHealth"]


class TargetHealth:
    """Rate-limited targets, paused and failing target kinds."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._slowed: dict[str, tuple[datetime, str]] = {}  # target → (until, reason)
        self._paused: set[str] | None = None  # None: not read from the database yet
        self._failing: set[str] = set()

    # ------------------------------------------------------------ rate limits
    def slow(self, target: str, until: datetime, reason: str) -> None:
        """The provider asked ``target`` to wait until ``until``."""
        with self._lock:
            self._slowed[target] = (until, reason)

    def slowed_until(self, target: str, now: datetime) -> tuple[datetime, str] | None:
        """``(until, reason)`` while ``target`` must still wait, else None."""
        with self._lock:
            slowed = self._slowed.get(target)
            if slowed is not None and slowed[0] <= now:
                del self._slowed[target]
                return None
            return slowed

    # ----------------------------------------------------------------- pauses
    @property
    def paused_known(self) -> bool:
        """Whether the paused kinds were read from the database already."""
        return self._paused is not None

    def know_paused(self, kinds: Iterable[str]) -> None:
        """The kinds paused and not back, as the database says (read once)."""
        self._paused = set(kinds)

    def pause(self, kind: str) -> None:
        with self._lock:
            if self._paused is not None:
                self._paused.add(kind)

    def back(self, kind: str) -> bool:
        """``kind`` delivered: True the first time after a pause (ops hear of it)."""
        with self._lock:
            back = self._paused is not None and kind in self._paused
            if back and self._paused is not None:
                self._paused.discard(kind)
        return back

    # ---------------------------------------------------------------- failing
    def failing(self, kind: str) -> None:
        """A send to ``kind`` failed and could be retried."""
        with self._lock:
            self._failing.add(kind)

    def answering(self, kind: str) -> None:
        """A send to ``kind`` worked."""
        with self._lock:
            self._failing.discard(kind)

    def is_failing(self, kind: str) -> bool:
        with self._lock:
            return kind in self._failing

    def failing_kinds(self) -> list[str]:
        with self._lock:
            return sorted(self._failing)
