"""When a reload that *failed* is tried again.

A reload fails when something raises on the way (the database locked past its
busy timeout or unreachable, a file gone mid-read): the file itself was not
judged. Nothing else would read it again before the next file event or
``SIGHUP``, so an edit could silently never be applied. The reload worker
(:class:`~watchtower.reload.Reloader`) tries again after :meth:`Backoff.delay`:
1 s, 2 s, 4 s… capped at 60 s, until a reload succeeds or a new trigger
arrives (which reloads at once and starts the count again).

A file *refused* (invalid, emptied) is an answer, not a failure: it stays
refused until the file changes, and is never retried.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["FIRST_RETRY", "MAX_RETRY", "Backoff"]

#: Seconds before the first retry: a lock held by another writer is often gone by then.
FIRST_RETRY = 1.0
#: Seconds between retries at most: an edit waits at most this long once the cause is gone.
MAX_RETRY = 60.0


@dataclass(frozen=True)
class Backoff:
    """Capped exponential delays between reload attempts."""

    first: float = FIRST_RETRY
    cap: float = MAX_RETRY

    def delay(self, failures: int) -> float:
        """Seconds to wait after ``failures`` failed attempts in a row (1 or more)."""
        # The exponent is bounded: a reload failing for weeks must not overflow.
        doublings: int = min(max(failures, 1) - 1, 32)
        return min(self.cap, self.first * float(2**doublings))
