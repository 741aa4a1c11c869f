"""The database line of ``watchtower status``: where, which schema, how big.

For a SQLite file, its WAL, its free pages and the free space of its disk too
(:mod:`watchtower.disk_space`, as ``/readyz`` measures it), and the copies a
daemon saved of it when it was deleted or replaced under it
(:func:`saved_copies_report`). Read-only, through
the status's own connection: :func:`~watchtower.status_report.status_report`
gathers it.
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Any

import sqlalchemy.engine
from sqlalchemy import text

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from watchtower.disk_space import StatVfs
    from watchtower.storage.sqlite_space import Space

__all__ = [
    "database_report",
    "database_size",
    "disk_report",
    "saved_copies_report",
    "sqlite_path",
    "sqlite_space",
]


def database_report(
    session: Session,
    url: str,
    schema: tuple[str, str] | None = None,
    *,
    statvfs: StatVfs = os.statvfs,
) -> dict[str, Any]:
    """The database line's data: where, which schema, how big; for a SQLite file,
    its WAL and its free pages too (``None`` on PostgreSQL, whose autovacuum
    reuses the space), whether ``watchtower db vacuum`` is worth running, the
    free space of its disk (:func:`disk_report`) and the copies a daemon saved
    of it (:func:`saved_copies_report`)."""
    from watchtower.storage.db import shown
    from watchtower.storage.sqlite_space import worth_vacuuming

    space = sqlite_space(session, url)
    return {
        "url": shown(url),
        "schema": schema[0] if schema else None,
        "latest_schema": schema[1] if schema else None,
        "size_bytes": database_size(session, url),
        "wal_bytes": space.wal if space else None,
        "free_bytes": space.free if space else None,
        "vacuum_advised": worth_vacuuming(space) if space else None,
        "sqlite_path": sqlite_path(url),
        "saved_copies": saved_copies_report(url),
    } | disk_report(url, statvfs)


def sqlite_path(url: str) -> str | None:
    """The absolute path of a SQLite file (None: PostgreSQL, a memory database)."""
    parsed = sqlalchemy.engine.make_url(url)
    path = parsed.database if parsed.get_backend_name() == "sqlite" else None
    if not path or path == ":memory:" or path.startswith("file:"):
        return None
    return os.path.abspath(path)


def saved_copies_report(url: str) -> list[dict[str, Any]] | None:
    """The copies a daemon saved next to a SQLite file deleted or replaced under
    it (``NAME.saved-<UTC time>``, :mod:`watchtower.storage.sqlite_file`), oldest
    first: path, when, bytes. Each is the database as that daemon last wrote it,
    waiting to be put back; ``None`` on PostgreSQL."""
    from watchtower.storage.sqlite_file import saved_copies, saved_copy

    path = sqlite_path(url)
    if path is None:
        return None
    found = []
    for name in saved_copies(path):
        copy = saved_copy(name)
        if copy is not None:
            found.append({"path": copy.path, "saved_at": copy.saved_at, "size_bytes": copy.size})
    return found


def disk_report(url: str, statvfs: StatVfs = os.statvfs) -> dict[str, Any]:
    """The disk holding a SQLite file and its WAL: its folder, the bytes still free
    and whether that is too little to store a poll round (the daemon's writes then
    fail with ``database or disk is full``; ``/readyz`` fails on the same measure).

    All ``None`` on PostgreSQL (the server's disk), or when the disk cannot be
    measured (``disk_folder`` still says where). A full disk is the
    one thing ``status`` can see of a database the daemon cannot write: status
    itself only reads."""
    from watchtower.disk_space import disk_space, sqlite_folder

    folder = sqlite_folder(url)
    found: dict[str, Any] = {"disk_folder": folder, "disk_free_bytes": None, "disk_full": None}
    if folder is None:
        return found
    try:
        disk = disk_space(folder, statvfs)
    except OSError:
        return found
    return found | {"disk_free_bytes": disk.free, "disk_full": disk.full}


def sqlite_space(session: Session, url: str) -> Space | None:
    """The SQLite file's size, its WAL's and its free pages' (``None`` elsewhere).

    Read through the status's own read-only connection (``PRAGMA page_size`` and
    ``freelist_count`` only read) and the file sizes: nothing is written."""
    from watchtower.storage.sqlite_space import Space

    parsed = sqlalchemy.engine.make_url(url)
    path = parsed.database if parsed.get_backend_name() == "sqlite" else None
    if not path or path == ":memory:" or not os.path.isfile(path):
        return None
    page_size = int(session.scalar(text("PRAGMA page_size")) or 0)
    free_pages = int(session.scalar(text("PRAGMA freelist_count")) or 0)
    wal = path + "-wal"
    return Space(
        os.path.getsize(path),
        os.path.getsize(wal) if os.path.isfile(wal) else 0,
        page_size * free_pages,
    )


def database_size(session: Session, url: str) -> int | None:
    """Bytes on disk: the SQLite file and its WAL; on PostgreSQL, watchtower's tables
    (with their indexes) in the schema it uses. ``None`` when it cannot say."""
    parsed = sqlalchemy.engine.make_url(url)
    if parsed.get_backend_name() == "sqlite":
        path = parsed.database
        if not path or path == ":memory:":
            return None
        return sum(os.path.getsize(f) for f in (path, path + "-wal") if os.path.isfile(f))
    if parsed.get_backend_name() == "postgresql":
        size = session.scalar(
            text(
                "SELECT coalesce(sum(pg_total_relation_size(c.oid)), 0) FROM pg_class c "
                "JOIN pg_namespace n ON n.oid = c.relnamespace "
                "WHERE n.nspname = current_schema() AND c.relkind IN ('r', 'm')"
            )
        )
        return int(size) if size is not None else None
    return None
