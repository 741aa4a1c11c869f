"""What this process learned from the targets' answers, shared by the outbox's workers.

- a target **rate-limited** by its provider waits until a given time (in memory:
  a Retry-After is seconds, and a restart is a natural retry point anyway);
- a target kind **paused** (its token refused: ``TargetDisabled``) has ops told
  once when it delivers again; the set is read from the database once
  (:func:`~watchtower.storage.outbox_queries.paused_kinds`), so it survives a restart;
- a target kind **failing** (its last send failed and could be retried: a
  timeout, a 5xx) is left alone by the flush at shutdown;
- a target **unreachable** (:class:`~watchtower.notify.base.TargetUnreachable`:
  the network or the service is down) has an :class:`Outage`: until its next
  probe its rows wait without trying, then one row is tried; each failed probe
  doubles the wait (:func:`~watchtower.pipeline.retry_policy.probe_delay`, up to
  10 minutes). What is unreachable is the :func:`scope` of a target: all of Slack
  (one API) or all e-mail (one SMTP server), but each Apprise URL on its own.
  The database shares it with the other replicas: the waiting rows are due at
  the next probe (:func:`~watchtower.pipeline.outbox_rows.hold_scope`), a
  delivery by any replica ends the others' wait
  (:func:`~watchtower.pipeline.outbox_rows.sent_since`), and an outage that
  lasts is a pause, recorded by its ops notice like the others. A replica that
  never saw the outage tries one row before it knows (one probe, one warning).

Thread-safe: each target kind has its own worker thread.
"""

from __future__ import annotations

import dataclasses
import threading
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from watchtower.notify.registry import split_target
from watchtower.pipeline.retry_policy import probe_delay

__all__ = ["PER_TARGET_KINDS", "Outage", "TargetHealth", "scope"]

#: Kinds whose targets are separate services (each Apprise URL): one can be down alone.
PER_TARGET_KINDS = frozenset({"apprise"})


def scope(target: str) -> str:
    """What goes down together with ``target``: its kind (``slack``, ``email``), or
    the target itself for :data:`PER_TARGET_KINDS`."""
    kind = split_target(target)[0]
    return target if kind in PER_TARGET_KINDS else kind


@dataclass(frozen=True)
class Outage:
    """An unreachable target scope, as this process saw it."""

    since: datetime  # the first failed send
    reason: str  # the latest failure
    probes: int  # failed sends since ``since``
    failed_at: datetime  # the latest failed send
    next_probe: datetime  # when one row may be tried again
    told: bool = False  # ops were told (it lasted): the scope's kind is paused


class TargetHealth:
    """Rate-limited targets, paused and failing target kinds, unreachable scopes."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._slowed: dict[str, tuple[datetime, str]] = {}  # target → (until, reason)
        self._paused: set[str] | None = None  # None: not read from the database yet
        self._failing: set[str] = set()
        self._outages: dict[str, Outage] = {}  # scope → outage

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

    # ------------------------------------------------------------ unreachable
    def unreachable(self, scope: str, now: datetime, reason: str) -> tuple[Outage, bool]:
        """A send to ``scope`` found it unreachable: the outage (its next probe
        moved back) and whether it is new (its first failure)."""
        with self._lock:
            known = self._outages.get(scope)
            probes = known.probes + 1 if known else 1
            outage = Outage(
                since=known.since if known else now,
                reason=reason,
                probes=probes,
                failed_at=now,
                next_probe=now + timedelta(seconds=probe_delay(probes)),
                told=known.told if known else False,
            )
            self._outages[scope] = outage
        return outage, known is None

    def told(self, scope: str) -> None:
        """Ops were told of the outage of ``scope`` (once per outage)."""
        with self._lock:
            known = self._outages.get(scope)
            if known is not None:
                self._outages[scope] = dataclasses.replace(known, told=True)

    def waiting(self, scope: str, now: datetime) -> Outage | None:
        """The outage of ``scope`` while its rows must wait (its next probe is
        later than ``now``); None when a row may go (no outage, or probe time)."""
        with self._lock:
            outage = self._outages.get(scope)
        return outage if outage is not None and now < outage.next_probe else None

    def down(self, scope: str) -> Outage | None:
        """The outage of ``scope``, probe due or not (None: it answers)."""
        with self._lock:
            return self._outages.get(scope)

    def outages(self) -> dict[str, Outage]:
        with self._lock:
            return dict(self._outages)

    def reachable(self, scope: str) -> Outage | None:
        """A send to ``scope`` worked: the outage it ends, if there was one."""
        with self._lock:
            return self._outages.pop(scope, None)
