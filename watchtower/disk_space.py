"""How full the disk holding a SQLite database is: one answer for ``/readyz`` and ``status``.

SQLite's file and its ``-wal`` always share a folder (SQLite follows a
symlinked file to its real place and puts the WAL there), so one ``statvfs`` of
that folder tells whether the next poll round can be stored. Nearly full is
less than :data:`MIN_FREE_BYTES` free, or on a small disk less than
:data:`MIN_FREE_FRACTION` of it: an item, its mention and the outbox rows of a
round take a few hundred KiB at most. The space counted is what an unprivileged
process may use (``f_bavail``): the daemon does not run as root, so the blocks
reserved for root are not its to fill.

PostgreSQL's disk is the server's: :func:`sqlite_folder` is ``None`` for it.
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Callable

import sqlalchemy.engine

__all__ = [
    "MIN_FREE_BYTES",
    "MIN_FREE_FRACTION",
    "DiskSpace",
    "StatVfs",
    "disk_space",
    "sqlite_folder",
]

#: Nearly full: less free space than this, or than this fraction of a small disk.
MIN_FREE_BYTES = 1 << 20
MIN_FREE_FRACTION = 0.02

#: ``os.statvfs``, or a stand-in giving a real :class:`os.statvfs_result` (tests).
StatVfs = Callable[[str], os.statvfs_result]


@dataclasses.dataclass(frozen=True)
class DiskSpace:
    """The file system holding a SQLite database, as its ``statvfs`` says."""

    folder: str
    #: Bytes an unprivileged process may still write.
    free: int
    size: int
    read_only: bool

    @property
    def full(self) -> bool:
        """Too full to store a poll round (:data:`MIN_FREE_BYTES`, :data:`MIN_FREE_FRACTION`)."""
        return self.free < min(MIN_FREE_BYTES, MIN_FREE_FRACTION * self.size)


def sqlite_folder(url: str) -> str | None:
    """The folder holding a SQLite database file and its WAL (``None``: not a file)."""
    parsed = sqlalchemy.engine.make_url(url)
    path = parsed.database if parsed.get_backend_name() == "sqlite" else None
    if not path or path == ":memory:" or path.startswith("file:"):
        return None
    return os.path.dirname(os.path.realpath(path))


def disk_space(folder: str, statvfs: StatVfs = os.statvfs) -> DiskSpace:
    """Measure the file system holding ``folder``; raises ``OSError`` when it cannot."""
    stats = statvfs(folder)
    return DiskSpace(
        folder=folder,
        free=stats.f_bavail * stats.f_frsize,
        size=stats.f_blocks * stats.f_frsize,
        read_only=bool(stats.f_flag & os.ST_RDONLY),
    )
