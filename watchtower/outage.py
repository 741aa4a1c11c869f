"""Database outages are expected events, not bugs: one warning, then one line when it is back.

A PostgreSQL restart, a network blip, a full disk, a read-only file system or
a PostgreSQL that turned read-only (a failover left us on a standby: SQLSTATE
25006, ``cannot execute INSERT in a read-only transaction``) make every job
fail each second; a traceback each time would flood the journal
and bury the one line that matters. :func:`outage_reason` recognises such
errors — the driver says the connection failed or the storage refused the
work (``OperationalError``, a dropped connection, a read-only transaction,
:class:`DatabaseUnavailable`) — and gives the first line of the message,
passwords removed. Anything else (a wrong query, a constraint) is a bug and
keeps its traceback.

:class:`DatabaseWatch`, one per engine (:func:`watch`), turns the failures the
jobs report into log lines worded after their cause (:func:`outage_cause`), so
that the line says what to do: ``database full`` (free disk space),
``database read-only``, ``database locked``, ``database unreachable``, else
``database unavailable`` (a disk I/O error); at the first failure, then at most
one reminder every :data:`REMIND` while it lasts (``database still full``, or
the new cause's line when the cause changed), and ``database back`` when a job
succeeds again — when the outage was a refused write, only a job that wrote
counts: a read-only database still answers reads. It also remembers a failed
*write* (seen by the engine itself, wherever it happened) so that ``/readyz``
fails until a write works again.
"""

from __future__ import annotations

import logging
import sqlite3
import threading
import time
import weakref
from collections.abc import Callable
from typing import Any

from sqlalchemy import Engine, event
from sqlalchemy.engine import ExceptionContext
from sqlalchemy.exc import DBAPIError

from watchtower.errors import DatabaseUnavailable
from watchtower.logs import kv
from watchtower.redact import redact_text

__all__ = [
    "CAUSES",
    "READ_ONLY_SQLSTATE",
    "REMIND",
    "DatabaseWatch",
    "outage_cause",
    "outage_reason",
    "watch",
    "write_refusal",
]

log = logging.getLogger("watchtower.database")

REMIND = 60.0  # seconds between two lines of one outage ("database still full")

# SQLite raises OperationalError for a syntax error or a missing table too (bugs):
# only these messages are the environment's doing.
_SQLITE_ENVIRONMENT = (
    "database is locked",
    "database table is locked",
    "disk is full",
    "disk i/o error",
    "unable to open database",
    "readonly database",
    "database is busy",
    "out of memory",
)
# The words of a write the storage refused (not a lost connection: the SELECT of
# /readyz sees that one).
_WRITE_REFUSED = ("full", "no space left", "read-only", "readonly", "i/o error")
_DML = ("INSERT", "UPDATE", "DELETE")
#: PostgreSQL's read_only_sql_transaction: a standby, or default_transaction_read_only.
READ_ONLY_SQLSTATE = "25006"
# The words of a database another transaction keeps locked: SQLite past its busy
# timeout, PostgreSQL's lock_timeout and deadlocks.
_LOCKED = ("is locked", "is busy", "lock timeout", "deadlock")
_READ_ONLY = ("readonly", "read-only", "read only")
# PostgreSQL's connection_exception class and the server going away (admin or
# crash shutdown, starting up); no SQLSTATE at all: the connection was never made.
_CONNECTION_SQLSTATES = ("08", "57P")

#: How an outage reads in the log, by cause: its first line, its reminder, and
#: what to do (``hint``, None when the error says enough).
CAUSES: dict[str, tuple[str, str, str | None]] = {
    "full": (
        "database full",
        "database still full",
        "free disk space where the database is stored (or raise its quota): "
        "watchtower resumes by itself, no restart",
    ),
    "read-only": (
        "database read-only",
        "database still read-only",
        "a read-only file system, file permissions, or a PostgreSQL standby after a failover",
    ),
    "locked": (
        "database locked",
        "database still locked",
        "another program keeps a lock on it (a sqlite3 shell left in a transaction, a long backup)",
    ),
    "unreachable": ("database unreachable", "database still unreachable", None),
    "unavailable": ("database unavailable", "database still unavailable", None),
}


def _driver_error(exc: BaseException) -> bool:
    """A DB-API ``OperationalError``/``InterfaceError`` of psycopg or sqlite3:
    the server, the connection or the storage, not the query."""
    for cls in type(exc).__mro__:
        if cls.__name__ in ("OperationalError", "InterfaceError") and cls.__module__.startswith(
            ("psycopg", "sqlite3")
        ):
            return True
    return False


def _read_only(exc: BaseException) -> bool:
    """PostgreSQL refused a write (or ``SELECT … FOR UPDATE``): the transaction is read-only."""
    return getattr(exc, "sqlstate", None) == READ_ONLY_SQLSTATE


def write_refusal(reason: str) -> bool:
    """Whether an outage's ``reason`` says the storage refused a write (not the connection)."""
    return any(words in reason.lower() for words in _WRITE_REFUSED)


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    line = text.splitlines()[0].strip() if text else type(exc).__name__
    return redact_text(line)


def outage_reason(exc: BaseException) -> str | None:
    """The first line of ``exc`` if it is a database outage (else None: a bug).

    Looks through explicit causes (``raise … from exc``) too.
    """
    seen: BaseException | None = exc
    for _ in range(5):
        if seen is None:
            return None
        if isinstance(seen, DatabaseUnavailable):
            return _first_line(seen)
        original = seen.orig if isinstance(seen, DBAPIError) else seen
        if isinstance(seen, DBAPIError) and seen.connection_invalidated:
            return _first_line(original or seen)
        if original is not None and _read_only(original):
            return _first_line(original)
        if original is not None and _driver_error(original):
            reason = _first_line(original)
            if not isinstance(original, sqlite3.Error):
                return reason
            if any(words in reason.lower() for words in _SQLITE_ENVIRONMENT):
                return reason
            return None
        seen = seen.__cause__
    return None


def outage_cause(exc: BaseException) -> str | None:
    """Why the database is out, as a key of :data:`CAUSES` (None: not an outage, a bug).

    ``full`` is :func:`watchtower.database_full.full_reason`'s judgement; then a
    read-only database or file system, a lock held too long, a connection refused
    or lost or a file that cannot be opened (``unreachable``); anything else (a
    disk I/O error, a query cancelled) is ``unavailable``.
    """
    reason = outage_reason(exc)
    return None if reason is None else _cause(exc, reason)


def _cause(exc: BaseException, reason: str) -> str:
    from watchtower.database_full import full_reason  # imports this module

    if full_reason(exc) is not None:
        return "full"
    words = reason.lower()
    if any(w in words for w in _READ_ONLY):
        return "read-only"
    if any(w in words for w in _LOCKED):
        return "locked"
    return "unreachable" if _unreachable(exc) else "unavailable"


def _unreachable(exc: BaseException) -> bool:
    """The connection, not the database: never made, lost, or a SQLite file not opened."""
    seen: BaseException | None = exc
    for _ in range(5):
        if seen is None:
            return False
        if isinstance(seen, DatabaseUnavailable):
            return True
        if isinstance(seen, DBAPIError) and seen.connection_invalidated:
            return True
        original = seen.orig if isinstance(seen, DBAPIError) else seen
        if original is not None and _driver_error(original):
            if isinstance(original, sqlite3.Error):
                return "unable to open" in str(original).lower()
            state = getattr(original, "sqlstate", None)
            return state is None or state.startswith(_CONNECTION_SQLSTATES)
        seen = seen.__cause__
    return False


class DatabaseWatch:
    """What the daemon knows of its database: down (since when, why), writes refused."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._lock = threading.Lock()
        self._clock = clock  # monotonic seconds
        self.down_since: float | None = None  # the clock at the first failure
        self.reason: str | None = None
        #: The current outage's cause (a key of :data:`CAUSES`).
        self.cause: str | None = None
        self.errors = 0
        self._logged = 0.0
        self._logged_cause: str | None = None  # the cause the last line named
        #: The last write the storage refused (full disk, read-only), until one works.
        self.write_refused: str | None = None
        #: The current outage is a refused write: reads still work, so only a write ends it.
        self._writes_down = False

    def failed(self, exc: BaseException, *, job: str) -> bool:
        """Report ``exc`` from ``job``: True when it is an outage (logged, rate-limited),
        False when it is not (the caller logs it with its traceback)."""
        reason = outage_reason(exc)
        if reason is None:
            return False
        cause = _cause(exc, reason)
        now = self._clock()
        with self._lock:
            first = self.down_since is None
            if first:
                self.down_since = now
            since = self.down_since if self.down_since is not None else now
            self.reason, self.cause = reason, cause
            self._writes_down = write_refusal(reason)
            self.errors += 1
            # One line a minute at most, even when the cause changes (locked, then
            # full): a flapping cause must not flood the journal either.
            due = first or now - self._logged >= REMIND
            reminding = cause == self._logged_cause  # else a new outage, or a new cause
            if due:
                self._logged, self._logged_cause = now, cause
            errors = self.errors
        if not due:
            return True
        message, reminder, hint = CAUSES[cause]
        fields: dict[str, Any] = {"job": job, "error": reason}
        if not first:
            fields |= {"down_for": f"{now - since:.0f}s", "errors": errors}
        if hint is not None and not reminding:
            fields["hint"] = hint
        log.warning(reminder if reminding else message, extra=kv(**fields))
        return True

    def ok(self, *, wrote: bool = True) -> None:
        """A job used the database successfully: say so once if it was down.

        ``wrote=False``: the job only read, which proves nothing while the
        outage is a refused write (a read-only database answers reads).
        """
        if self.down_since is None:  # the usual case: no lock
            return
        with self._lock:
            if self.down_since is None or (self._writes_down and not wrote):
                return
            down_for, errors = self._clock() - self.down_since, self.errors
            self.down_since, self.reason, self.cause, self.errors = None, None, None, 0
            self._logged_cause = None
            self._writes_down = False
        log.info("database back", extra=kv(down_for=f"{down_for:.0f}s", errors=errors))

    def write_failed(self, reason: str) -> None:
        self.write_refused = reason

    def write_ok(self) -> None:
        self.write_refused = None


_WATCHES: weakref.WeakKeyDictionary[Engine, DatabaseWatch] = weakref.WeakKeyDictionary()
_WATCHES_LOCK = threading.Lock()


def watch(engine: Engine) -> DatabaseWatch:
    """The :class:`DatabaseWatch` of ``engine``; the first call starts noting refused writes."""
    with _WATCHES_LOCK:
        found = _WATCHES.get(engine)
        if found is None:
            found = _WATCHES[engine] = DatabaseWatch()
            _note_refused_writes(engine, found)
        return found


def _note_refused_writes(engine: Engine, database: DatabaseWatch) -> None:
    def handle_error(context: ExceptionContext) -> None:
        original = context.original_exception
        statement = (context.statement or "").lstrip()[:6].upper()
        # A read fails for the reasons /readyz's own query sees, except a claim
        # (SELECT … FOR UPDATE) in a read-only transaction.
        if context.statement is not None and statement not in _DML and not _read_only(original):
            return
        reason = outage_reason(original)
        if reason is not None and write_refusal(reason):
            database.write_failed(reason)

    listener: Any = handle_error
    event.listen(engine, "handle_error", listener)
