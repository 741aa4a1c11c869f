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
- a **suspect** row is one whose send found its target unreachable (a 5xx can be
  the service choking on that one message). The next probe is another row when
  one is due (:meth:`TargetHealth.last_probes`), so one poisoned notification
  cannot keep the target down; once the target delivered others since the
  row's first failure, the row is **proven** to fail alone: its failures spend
  attempts and no longer hold the target (:meth:`TargetHealth.failed_alone`).
  With nothing else waiting, a check that sends nothing proves it once the
  row has failed for :data:`~watchtower.pipeline.target_checks.CHECK_AFTER`
  (:mod:`watchtower.pipeline.target_checks`).

Thread-safe: each target kind has its own worker thread.
"""

from __future__ import annotations

import dataclasses
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from watchtower.notify.registry import split_target
from watchtower.pipeline.retry_policy import probe_delay

__all__ = ["PER_TARGET_KINDS", "SUSPECTS_KEPT", "Outage", "TargetHealth", "scope"]

#: Suspect rows remembered at most (the oldest half is dropped beyond): a row
#: forgotten costs one more probe, not a notification.
SUSPECTS_KEPT = 10_000

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
    last_row: int | None = None  # the row whose send failed last: another one probes next


class TargetHealth:
    """Rate-limited targets, paused and failing target kinds, unreachable scopes."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._slowed: dict[str, tuple[datetime, str]] = {}  # target → (until, reason)
        self._paused: set[str] | None = None  # None: not read from the database yet
        self._failing: set[str] = set()
        self._outages: dict[str, Outage] = {}  # scope → outage
        self._suspects: dict[int, datetime] = {}  # row id → its first unreachable failure
        self._proven: set[int] = set()  # suspects that failed while their target delivered

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
    def unreachable(
        self, scope: str, now: datetime, reason: str, *, row_id: int | None = None
    ) -> tuple[Outage, bool]:
        """A send (of row ``row_id``) to ``scope`` found it unreachable: the outage
        (its next probe moved back) and whether it is new (its first failure)."""
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
                last_row=row_id,
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

    def last_probes(self, kind: str) -> list[int]:
        """The rows of ``kind`` whose send failed last in an outage still on: the
        next probe should be another row (a message the service chokes on would
        otherwise probe, and fail, for ever)."""
        with self._lock:
            return [
                outage.last_row
                for where, outage in self._outages.items()
                if outage.last_row is not None and split_target(where)[0] == kind
            ]

    # --------------------------------------------------------------- suspects
    def suspect(self, row_id: int, now: datetime) -> datetime:
        """Row ``row_id`` found its target unreachable: since when it is suspect."""
        with self._lock:
            if len(self._suspects) >= SUSPECTS_KEPT:  # rows pruned or long gone
                oldest = sorted(self._suspects, key=self._suspects.__getitem__)
                for stale in oldest[: SUSPECTS_KEPT // 2]:
                    del self._suspects[stale]
                    self._proven.discard(stale)
            return self._suspects.setdefault(row_id, now)

    def suspected_since(self, row_id: int) -> datetime | None:
        """When ``row_id`` first found its target unreachable (None: never, or done)."""
        with self._lock:
            return self._suspects.get(row_id)

    def failed_alone(
        self, row_id: int, scope: str, delivered_since: Callable[[datetime], bool]
    ) -> bool:
        """Whether the failure of ``row_id`` is its own, not ``scope``'s: its
        target delivered other notifications since the row first failed
        (``delivered_since(when)``, asked of the database, so another replica's
        deliveries count) and is not known down now."""
        with self._lock:
            since = self._suspects.get(row_id)
            proven = row_id in self._proven
            down = scope in self._outages
        if since is None or down:
            return False
        if not proven and delivered_since(since):
            with self._lock:
                self._proven.add(row_id)
            proven = True
        return proven

    def forget(self, row_id: int) -> None:
        """``row_id`` is done (sent or failed for good): no longer a suspect."""
        with self._lock:
            self._suspects.pop(row_id, None)
            self._proven.discard(row_id)
