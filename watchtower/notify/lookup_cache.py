"""Host names whose bounded pre-check answered a moment ago, not looked up first again.

slack-sdk and Apprise resolve their host themselves, with no bound, so
:func:`watchtower.notify.lookups.precheck` looks it up first within the send's
timeout. Done before every call, that doubles the lookups (and starts a thread
each) for every Slack call of a drain: a post, a join, a permalink, a
reaction check. A name whose pre-check answered less than :data:`TTL` seconds
ago is not looked up first again: its name server answered just now, and the
library's own lookup, which the pre-check only bounds, still runs.

Only an answer is remembered. A lookup that did not answer in time, or
answered an error (an unknown name), is asked again at the next call, so a
name server that is fixed is seen at once and one that died is met by the
bounded lookup again once the name's answer is :data:`TTL` seconds old. At
most :data:`SIZE` names are kept (the least recently answered go first).

One :class:`RecentAnswers` per :class:`~watchtower.adapters._resolve.Lookups`
(:func:`answered_for`): a test's own lookups never see another's answers.
"""

from __future__ import annotations

import threading
import time
import weakref
from collections.abc import Callable

from watchtower.adapters._resolve import Lookups

__all__ = ["SIZE", "TTL", "RecentAnswers", "answered_for"]

#: Seconds a name's answer spares the next pre-checks.
TTL = 60.0
#: Names remembered at most.
SIZE = 256


class RecentAnswers:
    """The ``(host, port)`` pairs whose lookup answered within the last ``ttl``
    seconds of ``clock`` (``time.monotonic``; a test's own), ``size`` at most;
    thread-safe."""

    def __init__(
        self,
        *,
        ttl: float = TTL,
        size: int = SIZE,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.ttl = ttl
        self.size = max(1, size)
        self.clock = clock
        self._answered: dict[tuple[str, int], float] = {}  # oldest answer first
        self._lock = threading.Lock()

    def fresh(self, host: str, port: int) -> bool:
        """Whether ``host`` answered less than ``ttl`` seconds ago (forgotten past it)."""
        key = (host.lower(), port)
        with self._lock:
            when = self._answered.get(key)
            if when is None:
                return False
            if self.clock() - when < self.ttl:
                return True
            del self._answered[key]
            return False

    def note(self, host: str, port: int) -> None:
        """Remember that ``host`` answered now, dropping the oldest name when full."""
        key = (host.lower(), port)
        with self._lock:
            self._answered.pop(key, None)  # re-inserted last: the newest answer
            self._answered[key] = self.clock()
            while len(self._answered) > self.size:
                del self._answered[next(iter(self._answered))]

    def __len__(self) -> int:
        with self._lock:
            return len(self._answered)


_BY_LOOKUPS: weakref.WeakKeyDictionary[Lookups, RecentAnswers] = weakref.WeakKeyDictionary()
_REGISTRY_LOCK = threading.Lock()


def answered_for(lookups: Lookups) -> RecentAnswers:
    """The recent answers of the pre-checks made through ``lookups`` (created at
    the first call, gone with ``lookups``)."""
    with _REGISTRY_LOCK:
        answers = _BY_LOOKUPS.get(lookups)
        if answers is None:
            answers = _BY_LOOKUPS[lookups] = RecentAnswers()
        return answers
