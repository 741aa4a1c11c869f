"""The poller's side of placeholder sources (:mod:`watchtower.placeholders`).

A source still pointing at config.example.toml's placeholder (or at a domain
reserved for documentation) is not claimed: no lookup, no request, no failure
recorded, so no "source down" alert for a source never polled. Its row stays in
the database (``sync_sources`` keeps every configured source): once its address
is edited, a reload sees a new address, makes it due at once and the next round
polls it. The log says so once per source, at the first round and after a
reload that brings a new one, not every round; and once more, in one line, when
every enabled source is a placeholder: the process then polls nothing at all
(the daemon waits for the edit; ``run --once`` exits 2, :mod:`watchtower.cli`).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterable

from watchtower.adapters.base import SourceSettings
from watchtower.logs import kv
from watchtower.placeholders import Placeholder, placeholder, placeholder_fields

__all__ = ["PlaceholderSkips"]

log = logging.getLogger("watchtower.poll")

#: A source's settings, what the verdict read of them, and the verdict.
_Judged = tuple[SourceSettings, tuple[object, ...], Placeholder | None]


class PlaceholderSkips:
    """Which sources a round must not claim, each told once in the log."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._told: frozenset[tuple[str, str]] = frozenset()  # (source, host)
        self._all_told: frozenset[str] = frozenset()  # the sources of "no source polled"
        # Each enabled source's verdict, by name, with the settings and fields it
        # was read from (settings are frozen: the same object, the same fields).
        self._judged: dict[str, _Judged] = {}

    def names(self, sources: Iterable[SourceSettings]) -> frozenset[str]:
        """The names of the placeholder sources among ``sources`` (the config in
        use); a WARNING for each not told about yet, and one more when they are
        every enabled source."""
        config = list(sources)
        held = self._held(config)
        now = frozenset((name, found.host) for name, found in held.items())
        # Nothing to poll at all: said once, again only if a reload changes which.
        every = frozenset(held) if held and len(held) == sum(s.enabled for s in config) else None
        with self._lock:
            new, self._told = now - self._told, now
            tell_all = every is not None and every != self._all_told
            self._all_told = every or frozenset()
        for name, host in sorted(new):
            example = held[name].example
            log.warning(
                "source not polled: still the example's placeholder"
                if example
                else "source not polled: its host is reserved for documentation",
                extra=kv(source=name, reason="placeholder", host=host),
            )
        if tell_all:
            log.warning(
                "no source polled: every enabled source is a placeholder; each is polled "
                "once its address is edited in the config",
                extra=kv(placeholders=len(held), sources=",".join(held)),
            )
        return frozenset(held)

    def _held(self, config: list[SourceSettings]) -> dict[str, Placeholder]:
        """``placeholder_names(config)``, each source judged again only when a field
        the verdict reads changed (a reload): judging parses its address three
        times, which every round over a thousand sources made 65 ms of work."""
        judged = self._judged
        now: dict[str, _Judged] = {}
        held: dict[str, Placeholder] = {}
        for source in config:
            if not source.enabled:
                continue
            known = judged.get(source.name)
            if known is None or known[0] is not source:  # new, or a reload's settings
                fields = placeholder_fields(source)
                if known is None or known[1] != fields:
                    known = (source, fields, placeholder(source))
                else:
                    known = (source, fields, known[2])
            now[source.name] = known
            if known[2] is not None:
                held[source.name] = known[2]
        self._judged = now  # only the sources of this config: a removed one is forgotten
        return held
