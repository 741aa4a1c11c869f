"""The SQLite file a daemon opened, and whether its path still names it.

A running daemon keeps its database file open. When the file is deleted (a
wrong ``rm``, a cleanup script, a volume re-created) or replaced (a restore
copied over it while the daemon ran), the daemon's open connections go on
reading and writing the old file, which nobody can open again, and a new
connection opens (or creates, empty) whatever the path holds now. Every row
written from then on is lost at the next restart, and a restart on an empty
file announces every recent item again.

SQLite gives no cheap way to the descriptor it holds, so the file is known by
its identity (``st_dev``, ``st_ino``) taken when the first connection opened
it (:meth:`SqliteFile.opened`), and compared with what the path names now
(one ``stat``): at each new connection and before each write transaction
(:meth:`SqliteFile.check`). Once they differ the database refuses every write
for the life of the process (a new connection, which would open another file,
is refused too): nothing more is polled, claimed or sent into a file that will
be lost. The process keeps running on purpose: it still holds the old file,
and at the first refusal copies it (with its WAL, through a connection still
open on it) next to the path as ``NAME.saved-<UTC time>``; the operator stops
the daemon, puts that copy in place and starts it again (docs/database.md).

The ``-wal`` file deleted (or replaced) alone is the same loss, later: the
daemon's connections go on writing into the WAL they hold, the committed pages
there reach the main file only at a checkpoint or at the last connection's
clean close, and a process killed before that (``kill -9``, a crash, a host
reboot) leaves a main file without them. A new connection meanwhile fails
(``disk I/O error``: the new, empty ``-wal`` does not hold what the shared index
says). So the ``-wal``'s identity is taken too once the keeper holds it open
(while it does, no other connection deletes it: SQLite deletes the WAL only at
the last close), checked with the same ``stat``, and its loss refused and saved
alike (the keeper's copy reads the deleted WAL through its open descriptor).

The ``-shm`` (the WAL's shared index, and the locks between processes) deleted
alone loses nothing by itself: this process's connections share one mapping
of the deleted file (SQLite keeps one per database file and process, open as
long as the keeper is), and a clean stop, or a start after a kill, rebuilds
the index from the ``-wal``. But any other process opening the database
meanwhile (``run --once``, a ``watchtower db`` command, a replica) creates a
new ``-shm`` and builds its own index, and takes its locks there: the two
processes no longer exclude each other's writes, and each appends to the WAL
where its own index says it ends, over the other's frames. Rows are lost
without an error (SQLite 3.40: two writers of 400 and 300 rows left 171 and
229; ``integrity_check`` ok). The daemon cannot keep other processes out, so
it stops being the second writer: the ``-shm``'s identity is taken with the
``-wal``'s and its loss is the ``-wal``'s case (writes refused, a copy saved
through the keeper, whose index is this process's, consistent). Nothing else
deletes it while the keeper is open: SQLite removes it only at the last
close, with the exclusive lock the keeper's shared lock refuses.
"""

from __future__ import annotations

import dataclasses
import logging
import os
import sqlite3
import threading
import urllib.parse
from datetime import UTC, datetime

from sqlalchemy import Engine

from watchtower.errors import DatabaseUnavailable
from watchtower.logs import kv

__all__ = [
    "DatabaseFileLost",
    "FileIdentity",
    "SavedCopy",
    "SqliteFile",
    "identity_of",
    "put_back_hint",
    "saved_copies",
    "saved_copy",
]

log = logging.getLogger("watchtower.database")


class DatabaseFileLost(DatabaseUnavailable):
    """The SQLite file this process opened was deleted or replaced while it ran."""

    def __init__(
        self, message: str, *, path: str, saved: str | None, hint: str, file: str | None = None
    ) -> None:
        super().__init__(message)
        self.path = path
        #: The file that was deleted or replaced: ``path``, its ``-wal`` or ``-shm``.
        self.file = file or path
        #: Where the copy of the old file was written (None: it could not be).
        self.saved = saved
        #: What the operator does now, in a sentence.
        self.hint = hint


@dataclasses.dataclass(frozen=True)
class FileIdentity:
    """What tells one file from another on a machine: its device and inode."""

    device: int
    inode: int


def identity_of(path: str) -> FileIdentity | None:
    """The identity of the file at ``path`` now (None: there is none)."""
    try:
        stats = os.stat(path)
    except FileNotFoundError:
        return None
    return FileIdentity(stats.st_dev, stats.st_ino)


#: The suffix of a saved copy's name: ``NAME.saved-<UTC time>``.
SAVED_STAMP = "%Y%m%dT%H%M%SZ"


def saved_copies(path: str) -> list[str]:
    """The copies a daemon saved of the file at ``path`` when it was deleted or
    replaced under it (oldest first), for ``watchtower status`` to name."""
    folder, name = os.path.split(os.path.abspath(path))
    try:
        found = [f for f in os.listdir(folder) if f.startswith(f"{name}.saved-")]
    except OSError:
        return []
    # Not the -wal/-shm SQLite leaves next to a copy someone opened.
    return [os.path.join(folder, f) for f in sorted(found) if not f.endswith(("-wal", "-shm"))]


def put_back_hint(copy: str, path: str, what: str = "") -> str:
    """What the operator does with a saved copy, in one sentence (the ERROR line's
    hint, ``watchtower status``, docs/database.md); ``what`` says what the copy is."""
    what = f" {what}" if what else ""
    return f"stop watchtower, move {copy} to {path}{what}, then start watchtower again"


@dataclasses.dataclass(frozen=True)
class SavedCopy:
    """A copy :func:`saved_copies` found: where, when it was saved, how big."""

    path: str
    #: From its name (its modification time if the name was changed).
    saved_at: datetime
    size: int


def saved_copy(path: str) -> SavedCopy | None:
    """What ``watchtower status`` says of the saved copy at ``path`` (None: gone meanwhile)."""
    try:
        stats = os.stat(path)
    except OSError:
        return None
    stamp = path.rpartition(".saved-")[2]
    try:
        saved_at = datetime.strptime(stamp, SAVED_STAMP).replace(tzinfo=UTC)
    except ValueError:
        saved_at = datetime.fromtimestamp(stats.st_mtime, UTC)
    return SavedCopy(path, saved_at, stats.st_size)


class SqliteFile:
    """The file the first connection of a SQLite engine opened, watched for its path."""

    def __init__(self, path: str) -> None:
        self.path = path
        self._lock = threading.Lock()
        #: The file the first connection opened (None: no connection yet).
        self.opened_as: FileIdentity | None = None
        #: The ``-wal`` the keeper holds open (None: no keeper, or not in WAL mode).
        self.wal_as: FileIdentity | None = None
        #: The ``-shm`` the keeper has mapped (None: no keeper, or not in WAL mode).
        self.shm_as: FileIdentity | None = None
        #: Why writes are refused (None: the path still names the file).
        self.lost: DatabaseFileLost | None = None
        self._told = False  # the error logged and the copy tried, once per process
        #: A connection of its own on the file, opened at the first write and kept:
        #: the copy's source, whatever the pool holds then.
        self._keeper: sqlite3.Connection | None = None

    def opened(self) -> None:
        """A connection was just opened (before anything is written through it):
        the first names the file; a later one refused if it opened another."""
        with self._lock:
            if self.opened_as is None:
                self.opened_as = identity_of(self.path)
                return
        lost = self._differs()
        if lost is not None:
            raise lost

    def check(self, engine: Engine) -> None:
        """Before a write: raise :class:`DatabaseFileLost` when the path no longer
        names the file first opened. The first time, save a copy of that file
        through one of ``engine``'s pooled connections (all opened on it) and
        log the error with what to do."""
        lost = self._differs()
        if lost is None:
            if self._keeper is None:
                self._keep()
            return
        with self._lock:
            first, self._told = not self._told, True
        if first:
            self.lost = lost = self._tell(engine)
        raise lost

    def gone(self) -> DatabaseFileLost | None:
        """Whether the path no longer names the file this process opened, read
        now (for ``/readyz``: a fresh connection would open the other file)."""
        return self._differs()

    def _differs(self) -> DatabaseFileLost | None:
        if self.lost is not None:
            return self.lost
        if self.opened_as is None:
            return None
        if identity_of(self.path) != self.opened_as:
            lost = self.path
        elif self.wal_as is not None and identity_of(self.path + "-wal") != self.wal_as:
            lost = self.path + "-wal"
        elif self.shm_as is not None and identity_of(self.path + "-shm") != self.shm_as:
            lost = self.path + "-shm"
        else:
            return None
        with self._lock:
            if self.lost is None:
                self.lost = self._lost(None, lost)
            return self.lost

    def _lost(self, saved: str | None, file: str) -> DatabaseFileLost:
        if saved is not None:
            hint = put_back_hint(saved, self.path, "(the database as this process last wrote it)")
        else:
            hint = (
                f"stop watchtower, restore {self.path} from your last backup, then start "
                "it again (on an empty database it would announce recent items again)"
            )
        message = (
            f"the database file {file} was deleted or replaced while watchtower ran: "
            f"nothing is polled or sent any more; {hint}"
        )
        return DatabaseFileLost(message, path=self.path, saved=saved, hint=hint, file=file)

    def _tell(self, engine: Engine) -> DatabaseFileLost:
        file = self.lost.file if self.lost is not None else self.path
        saved = self._save(engine)
        lost = self._lost(saved, file)
        fields = {"path": self.path} if file == self.path else {"path": self.path, "file": file}
        log.error(
            "database file deleted or replaced: nothing is polled or sent",
            extra=kv(**fields, saved=saved or "-", hint=lost.hint),
        )
        return lost

    def _save(self, engine: Engine) -> str | None:
        """Copy the database a pooled connection still has open (the old file and
        its WAL) next to the path; the copy's name, or None if that failed."""
        # The name sorts by time (saved_copies); the path as given, folder and all.
        stamp = datetime.now(UTC).strftime(SAVED_STAMP)
        target = f"{self.path}.saved-{stamp}"
        try:
            if self._keeper is not None:
                _copy(self._keeper, target)
            else:  # lost before the first write: a pooled connection (a new one is refused)
                pooled = engine.raw_connection()
                try:
                    source = pooled.driver_connection
                    if not isinstance(source, sqlite3.Connection):
                        raise TypeError(f"not a sqlite3 connection: {type(source).__name__}")
                    _copy(source, target)
                finally:
                    pooled.close()
        except Exception as exc:  # the folder gone, the disk full: say so, go on refusing
            log.error(
                "database file lost: no copy of it could be saved",
                extra=kv(path=target, error=f"{type(exc).__name__}: {exc}"),
            )
            return None
        return target

    def _keep(self) -> None:
        """Open the keeper, and read through it once: a WAL database's connection
        opens its ``-wal`` and ``-shm`` at its first read and holds them until
        it closes, so the copy has them even once they are deleted."""
        with self._lock:
            if self._keeper is not None or self.opened_as is None:  # no connection yet
                return
            try:
                uri = f"file:{urllib.parse.quote(self.path)}?mode=rw"  # never creates one
                keeper = sqlite3.connect(uri, uri=True, timeout=30, check_same_thread=False)
                # Read to the end: no read transaction left open to hold checkpoints.
                keeper.execute("SELECT count(*) FROM sqlite_master").fetchall()
            except sqlite3.Error as exc:  # a copy then goes through a pooled connection
                log.debug("database file: no keeper", extra=kv(error=type(exc).__name__))
                return
            if identity_of(self.path) != self.opened_as:  # swapped meanwhile: not that file
                keeper.close()
                return
            self._keeper = keeper
            # The keeper's read opened the -wal and mapped the -shm (None: not in
            # WAL mode); from now on only their deletion under the process takes
            # them away.
            self.wal_as = identity_of(self.path + "-wal")
            self.shm_as = identity_of(self.path + "-shm")

    def close(self) -> None:
        """Close the keeper (the process lets go of the database)."""
        with self._lock:
            keeper, self._keeper = self._keeper, None
            # The last connection closed deletes them: taken anew.
            self.wal_as = self.shm_as = None
        if keeper is not None:
            keeper.close()


def _copy(source: sqlite3.Connection, target: str) -> None:
    """Write the database ``source`` reads to a new file ``target`` (SQLite's backup)."""
    copy = sqlite3.connect(target)
    try:
        source.backup(copy)
    finally:
        copy.close()
