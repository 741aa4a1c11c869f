"""The rows this replica hands back to another one, remembered to log them once.

A replica whose config does not name a row's target leaves the row to the live
replica whose config does (:func:`~watchtower.pipeline.readdress.readdress_row`):
handed back, due again after a drain interval, and claimed here again as long
as that replica does not take it first — every few seconds, for ever if it
never does (its target paused there, its drain stuck). So each row is logged
at INFO the first time only, then at DEBUG; and a row still coming back after
:data:`STUCK_AFTER` is worth a WARNING (once per target, again after
:data:`WARN_AGAIN` if it goes on): that replica is not sending it.

In memory, one :class:`LeftRows` per database (:func:`left_rows`: row ids are
its own), bounded (:data:`REMEMBERED` rows, the oldest forgotten first): a row
forgotten, or met again after a restart, is logged at INFO again.
"""

from __future__ import annotations

import logging
import threading
import weakref
from collections import OrderedDict
from datetime import datetime, timedelta

from sqlalchemy import Engine

from watchtower.durations import format_duration
from watchtower.logs import kv
from watchtower.redact import redact_target

__all__ = ["REMEMBERED", "STUCK_AFTER", "WARN_AGAIN", "LeftRows", "left_rows"]

log = logging.getLogger("watchtower.reload")

#: How many rows handed back are remembered.
REMEMBERED = 10_000
#: A row handed back for this long is reported: the replica naming its target
#: has had many drains to take it.
STUCK_AFTER = timedelta(minutes=30)
#: A target already reported is reported again after this long, if still so.
WARN_AGAIN = timedelta(hours=24)


class LeftRows:
    """Rows handed back to the replica whose config names their target: when
    each was first, and when each target was last reported (thread-safe: each
    target kind has its sending thread)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._first: OrderedDict[int, datetime] = OrderedDict()
        self._warned: dict[str, datetime] = {}

    def left(self, row: int, target: str, now: datetime) -> None:
        """Row ``row``, for ``target``, was handed back ``now``: logged."""
        with self._lock:
            first = self._first.get(row)
            if first is None:
                self._first[row] = first = now
                while len(self._first) > REMEMBERED:
                    self._first.popitem(last=False)
            stuck = now - first >= STUCK_AFTER
            warned = self._warned.get(target)
            warn = stuck and (warned is None or now - warned >= WARN_AGAIN)
            if warn:
                self._warned[target] = now
                if len(self._warned) > REMEMBERED:  # targets are few; bounded all the same
                    self._warned.pop(next(iter(self._warned)))
        shown = redact_target(target)
        log.log(
            logging.INFO if first == now else logging.DEBUG,
            "notification for a target another replica's config names: left for it",
            extra=kv(outbox_id=row, target=shown),
        )
        if warn:
            log.warning(
                "notification still left for the replica whose config names its target:"
                " that replica is not sending it (see its log: its target paused or"
                " failing, its sending stuck)",
                extra=kv(outbox_id=row, target=shown, waiting=format_duration(now - first)),
            )

    def forget(self, row: int) -> None:
        """Row ``row`` is no longer handed back here (re-addressed, or sent)."""
        with self._lock:
            self._first.pop(row, None)


_BY_ENGINE: weakref.WeakKeyDictionary[Engine, LeftRows] = weakref.WeakKeyDictionary()
_BY_ENGINE_LOCK = threading.Lock()


def left_rows(engine: Engine) -> LeftRows:
    """The :class:`LeftRows` of the database behind ``engine``."""
    with _BY_ENGINE_LOCK:
        left = _BY_ENGINE.get(engine)
        if left is None:
            left = _BY_ENGINE[engine] = LeftRows()
        return left
