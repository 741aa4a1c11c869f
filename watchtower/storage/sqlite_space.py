"""The disk space of a SQLite database: its file, its WAL, and giving space back.

What ``retention`` does to the file (measured in docs/database.md): pruned rows
free their pages, and later inserts reuse them, so the file stops growing at
the size of the largest retention window it held; it never shrinks by itself.
The WAL is checkpointed every 1,000 pages (SQLite's default), but kept at the
largest size one transaction ever made it (a big prune, a migration that
rebuilds ``items``) unless ``journal_size_limit`` is set: the daemon sets it to
:data:`WAL_SIZE_LIMIT`, so the WAL goes back to that size at its next restart
(the next write after a complete checkpoint).

Giving pages back to the file system takes a ``VACUUM`` (:func:`vacuum_sqlite`,
``watchtower db vacuum``): worth it after lowering ``retention`` or a burst of
items, not routinely. Incremental ``auto_vacuum`` is not used: switching an
existing file to it needs a full ``VACUUM`` anyway, and it moves pages without
defragmenting, for a gain the reuse of free pages already gives.
"""

from __future__ import annotations

import shutil
import sqlite3
import urllib.parse
from dataclasses import dataclass
from pathlib import Path

from watchtower.errors import NoDatabase, WatchtowerError

__all__ = [
    "VACUUM_MIN_FREE",
    "VACUUM_MIN_SHARE",
    "WAL_SIZE_LIMIT",
    "Space",
    "VacuumFailed",
    "measure",
    "vacuum_sqlite",
    "worth_vacuuming",
]

#: Bytes the WAL is truncated to once checkpointed (``PRAGMA journal_size_limit``):
#: twice what 1,000 pages of 4 KiB (the automatic checkpoint) make, so a daemon's
#: ordinary WAL is never truncated and regrown, while the one a big transaction
#: inflated goes back.
WAL_SIZE_LIMIT = 8 * 1024 * 1024


#: ``watchtower status`` suggests ``db vacuum`` when the free pages are more than
#: this share of the file and more than :data:`VACUUM_MIN_FREE`: less is what a
#: steady retention window frees and reuses every day, not worth a rebuild.
VACUUM_MIN_SHARE = 0.25
VACUUM_MIN_FREE = 10 * 1024 * 1024


class VacuumFailed(WatchtowerError):
    """``VACUUM`` could not run or finish; the database is unchanged."""


@dataclass(frozen=True)
class Space:
    """Bytes on disk of a database file and its WAL, and how many of the file's
    bytes are free pages (reused by later inserts, or given back by a VACUUM)."""

    file: int
    wal: int
    free: int


def worth_vacuuming(space: Space) -> bool:
    """Whether ``db vacuum`` would give back enough of the file to say so."""
    return space.free > VACUUM_MIN_FREE and space.free > space.file * VACUUM_MIN_SHARE


def _size(path: Path) -> int:
    try:
        return path.stat().st_size
    except FileNotFoundError:
        return 0


def measure(path: Path) -> Space:
    """The :class:`Space` of the database at ``path`` (reads only)."""
    if not path.is_file():
        raise NoDatabase(f"no database at sqlite:///{path}")
    connection = sqlite3.connect(f"file:{urllib.parse.quote(str(path))}?mode=ro", uri=True)
    try:
        page_size = int(connection.execute("PRAGMA page_size").fetchone()[0])
        free_pages = int(connection.execute("PRAGMA freelist_count").fetchone()[0])
    finally:
        connection.close()
    return Space(_size(path), _size(Path(f"{path}-wal")), page_size * free_pages)


def vacuum_sqlite(path: Path, *, wait: float = 30.0) -> tuple[Space, Space]:
    """Rebuild the database at ``path`` without its free pages, then checkpoint and
    truncate its WAL; the :class:`Space` before and after.

    It may run while the daemon does: readers go on, the daemon's writes wait
    for it (up to their 30 s busy timeout). It needs free space for a copy of
    the database (SQLite writes the rebuilt file, then the WAL). Raises
    :class:`VacuumFailed` when there is not that much, when another process
    writes for longer than ``wait`` seconds, or when SQLite fails (the database is
    then unchanged: a VACUUM is one transaction).
    """
    before = measure(path)
    room = shutil.disk_usage(path.parent).free
    needed = before.file - before.free
    if room < needed:
        raise VacuumFailed(
            f"not enough free space next to {path}: VACUUM needs about {needed // 1_000_000} MB, "
            f"{room // 1_000_000} MB are free"
        )
    uri = f"file:{urllib.parse.quote(str(path))}?mode=rw"
    connection = sqlite3.connect(uri, uri=True, timeout=wait, isolation_level=None)
    try:
        connection.execute(f"PRAGMA journal_size_limit={WAL_SIZE_LIMIT}")
        connection.execute("VACUUM")
        # TRUNCATE: the WAL now holds every page of the rebuilt file; a reader in
        # the way (the daemon's) leaves it to the next checkpoint.
        connection.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchall()
    except sqlite3.Error as exc:
        reason = str(exc).strip()
        if "locked" in reason or "busy" in reason:
            reason = f"{reason} (another process wrote for more than {wait:g}s: try again)"
        raise VacuumFailed(f"VACUUM of {path} failed, nothing changed: {reason}") from None
    finally:
        connection.close()
    return before, measure(path)
