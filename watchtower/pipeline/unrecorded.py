"""Notifications that went out but whose "sent" mark the database refused.

A send that works is recorded by a write of its own (:meth:`Dispatcher._sent
<watchtower.pipeline.dispatch.Dispatcher>`). When that write fails — a full
disk, a PostgreSQL restart or failover, a dropped connection, a SQLite file
locked past its timeout — the row stays claimed (``sending``); once its lease
expires it would be claimed and sent again: a second Slack message, e-mail or
Apprise notification, one per lease period while a full disk lasts.

:class:`LateMarks` remembers each such row in memory (row id → the provider's
message id, its target, when it went out) for the life of the process:

- a row it holds is never sent again here: a claim of it only retries the write;
- the writes are retried at each drain (and so once the database is back), each
  logged once as ``sent, recorded late``, and the after-send hooks (a story's
  Slack thread parent, a spike's escalation) run then;
- it holds at most :data:`LIMIT` rows: at the limit the outbox sends nothing new
  until the database takes them (each worker stops at its first refused mark,
  so it seldom grows), and it says in the log what it holds as it grows;
- at a clean stop the writes are tried once more, and each row still unrecorded
  is logged at error level: a restart may send it again.

The limit, with several replicas (PostgreSQL): the memory is this process's.
A retry comes at each drain (seconds), well before the lease (minutes) ends,
whenever this replica can write again; extending the lease instead would be a
write as well, refused the same way. But if this replica cannot write for
longer than the lease while another can (its connection cut, not the
database), the other claims the row once the lease expires and sends it again
(Slack first looks for it in the channel's history: the claim marks it
"outcome unknown"; e-mail and Apprise have no such check). Closing that gap
needs a record outside the database, which this does not add.
"""

from __future__ import annotations

import dataclasses
import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from watchtower.logs import kv
from watchtower.notify.base import Message, Receipt
from watchtower.outage import watch
from watchtower.pipeline import outbox_rows
from watchtower.pipeline.delivery import Claimed
from watchtower.redact import redact_target
from watchtower.storage.db import Database

__all__ = ["LIMIT", "LateMarks", "Unmarked"]

log = logging.getLogger("watchtower.outbox")

#: Rows held at most: then the outbox sends nothing new until the database takes them.
LIMIT = 1000
#: Sizes at which the log says what is held (and at :data:`LIMIT`).
TELL_AT = (10, 100, 500)
#: Seconds after a refused late write before a clean stop tries again.
SETTLE_AFTER = 2.0


@dataclass(frozen=True)
class Unmarked:
    """A row sent whose "sent" mark is not written yet."""

    row: Claimed
    message_id: str | None
    sent_at: datetime
    message: Message
    receipt: Receipt

    @property
    def target(self) -> str:
        return self.row.target


class LateMarks:
    """The rows sent but not recorded, and their late writes; shared by the workers.

    ``after_send``: the hooks a send runs once recorded (run when the late write works).
    """

    def __init__(
        self,
        db: Database,
        after_send: Callable[[Claimed, Message, Receipt], None],
    ) -> None:
        self.db = db
        self._after_send = after_send
        self._lock = threading.Lock()
        self._rows: dict[int, Unmarked] = {}
        self._writing: set[int] = set()  # taken by one thread: no other writes it meanwhile
        self._told = 0  # the largest size the log was told of
        self._refused: float | None = None  # when a late write was last refused (monotonic)

    def __len__(self) -> int:
        with self._lock:
            return len(self._rows)

    def holds(self, row_id: int) -> bool:
        """Whether row ``row_id`` went out here and waits for its mark: never send it again."""
        with self._lock:
            return row_id in self._rows

    @property
    def full(self) -> bool:
        """Whether it holds :data:`LIMIT` rows: nothing new may be sent."""
        return len(self) >= LIMIT

    def remember(self, row: Claimed, message: Message, receipt: Receipt, sent_at: datetime) -> None:
        """``row`` went out (``receipt``) but its mark was refused: keep it until written."""
        # What the hooks read, without a digest's chart (the bulk of a message).
        kept = dataclasses.replace(
            message, extra={k: v for k, v in message.extra.items() if k != "chart"}
        )
        payload = {k: v for k, v in row.payload.items() if k != "chart"}
        entry = Unmarked(
            dataclasses.replace(row, payload=payload), receipt.message_id, sent_at, kept, receipt
        )
        with self._lock:
            self._rows[row.id] = entry
            size = len(self._rows)
        log.warning(
            "notification sent but not recorded: it is not sent again, the record is retried",
            extra=kv(
                outbox_id=row.id,
                target=redact_target(row.target),
                message_id=receipt.message_id or "-",
                unrecorded=size,
            ),
        )
        self._tell(size)

    def record(self, row_id: int) -> None:
        """Write the mark of ``row_id`` (claimed again: it is not sent again).

        A refused write raises (the caller's outage handling); the row keeps
        its claim and the write is retried later. Nothing is done while another
        thread writes it."""
        entry = self._take(row_id)
        if entry is not None:
            self._write(entry)

    def record_all(self) -> int:
        """Retry the pending marks (each drain); return how many are still held.

        Stops at the first refused write: the database refuses the others too
        (and a locked SQLite file would make each wait out its timeout)."""
        with self._lock:
            ids = [row_id for row_id in self._rows if row_id not in self._writing]
        for row_id in ids:
            entry = self._take(row_id)
            if entry is None:
                continue
            try:
                self._write(entry)
            except Exception as exc:
                if not watch(self.db.engine).failed(exc, job="outbox late marks"):
                    log.exception("sent notification not recorded", extra=kv(outbox_id=row_id))
                break
        return len(self)

    def settle(self) -> None:
        """At a clean stop: try the marks once more; log each row still unrecorded."""
        if not len(self):
            return
        # The flush's drain tried a moment ago and was refused: not again (a
        # locked SQLite file would hold the stop for its whole busy timeout).
        if self._refused is None or time.monotonic() - self._refused > SETTLE_AFTER:
            self.record_all()
        with self._lock:
            left = sorted(self._rows.values(), key=lambda e: e.row.id)
        for entry in left:
            log.error(
                "notification sent but never recorded: a restart may send it again",
                extra=kv(
                    outbox_id=entry.row.id,
                    target=redact_target(entry.target),
                    message_id=entry.message_id or "-",
                    sent_at=entry.sent_at.isoformat(timespec="seconds"),
                ),
            )

    # ------------------------------------------------------------ internals
    def _take(self, row_id: int) -> Unmarked | None:
        with self._lock:
            entry = self._rows.get(row_id)
            if entry is None or row_id in self._writing:
                return None
            self._writing.add(row_id)
            return entry

    def _write(self, entry: Unmarked) -> None:
        row_id = entry.row.id
        try:
            with self.db.writing() as session:
                found = outbox_rows.mark_sent(
                    session, row_id, entry.sent_at, entry.message_id, entry.row.attempts
                )
        except BaseException:
            self._refused = time.monotonic()
            with self._lock:
                self._writing.discard(row_id)
            raise
        self._refused = None
        with self._lock:
            self._writing.discard(row_id)
            self._rows.pop(row_id, None)
            # Shrinking: the next growth past a step is told again.
            self._told = max((n for n in TELL_AT if n <= len(self._rows)), default=0)
        watch(self.db.engine).ok(wrote=True)
        log.info(
            "sent, recorded late",
            extra=kv(
                outbox_id=row_id,
                target=redact_target(entry.target),
                message_id=entry.message_id or "-",
                row=found,
            ),
        )
        if found == "written":
            self._after_send(entry.row, entry.message, entry.receipt)

    def _tell(self, size: int) -> None:
        """Say in the log what is held, each time it grows past a step."""
        steps = [n for n in (*TELL_AT, LIMIT) if n <= size]
        with self._lock:
            if not steps or steps[-1] <= self._told:
                return
            self._told = steps[-1]
            ids = sorted(self._rows)
        log.warning(
            "notifications sent but not recorded, held in memory until the database takes them"
            + ("; nothing new is sent meanwhile" if size >= LIMIT else ""),
            extra=kv(unrecorded=size, outbox_ids=",".join(map(str, ids[:20])), limit=LIMIT),
        )
