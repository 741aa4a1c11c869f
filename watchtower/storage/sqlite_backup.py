"""An online, consistent copy of a SQLite database file, while the daemon writes.

Why SQLite's backup API (``sqlite3.Connection.backup``) and not ``VACUUM INTO``:
both read one snapshot in a single read transaction, which in WAL mode never
blocks the daemon's writer. The backup API copies pages as they are (fast,
sequential, little CPU), so the snapshot (and the WAL the daemon cannot
checkpoint past it meanwhile) is held for as short a time as possible;
``VACUUM INTO`` rebuilds every table and index, which takes longer on a large
file. The copy is as large as the database, free pages included: ``watchtower
db vacuum`` (:mod:`watchtower.storage.sqlite_space`) gives those back.

The whole file is copied in one step (``pages=-1``): copied step by step, a
backup restarts each time another process writes, and may never finish under
a busy daemon. A snapshot that cannot be read at all (another process holds an
exclusive lock) is retried for ``wait`` seconds, then given up.

The copy goes to a hidden temporary file next to the target, is switched out of
WAL mode (one self-contained file, no ``-wal`` to forget), checked (``PRAGMA
integrity_check``), synced, and only then takes the target's name: a crash or a
full disk never leaves half a backup under that name, and the temporary file
is removed on any failure.
"""

from __future__ import annotations

import os
import sqlite3
import time
import urllib.parse
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from watchtower.errors import NoDatabase, WatchtowerError

__all__ = [
    "BackupFailed",
    "BackupRefused",
    "CopyCheck",
    "backup_sqlite",
    "check_copy",
    "copy_snapshot",
    "default_name",
    "remove_partial",
    "sync_to_disk",
]

#: Seconds a backup waits for a database another process locks exclusively.
BUSY_WAIT = 30.0
#: Seconds between two tries to read a locked database.
BUSY_SLEEP = 0.5
_BUSY_CODES = (sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED)


class BackupRefused(WatchtowerError):
    """The backup was not attempted: what the operator asked needs another form
    (the target exists without ``--force``, a PostgreSQL database)."""


class BackupFailed(WatchtowerError):
    """The backup was attempted and failed; nothing is left under the target's name."""


@dataclass(frozen=True)
class CopyCheck:
    """What a copy holds, once checked: its size, schema revision and rows per table."""

    path: Path
    size: int
    revision: str | None
    rows: dict[str, int] = field(default_factory=dict)


def default_name(now: datetime | None = None) -> str:
    """``watchtower-20261126-131500.db``: the name of a backup written into a folder."""
    return f"watchtower-{(now or datetime.now(UTC)):%Y%m%d-%H%M%S}.db"


def backup_sqlite(
    source: Path, target: Path, *, force: bool = False, wait: float = BUSY_WAIT
) -> CopyCheck:
    """Copy the database at ``source`` to ``target`` while other processes write.

    ``target`` may be an existing folder (the copy is named :func:`default_name`
    there). Raises :class:`NoDatabase` when ``source`` is not there,
    :class:`BackupRefused` when ``target`` exists and ``force`` is false (or is
    ``source`` itself), :class:`BackupFailed` on any failure (folder missing or
    not writable, disk full, database locked for longer than ``wait`` seconds,
    a copy that fails its check), after removing the temporary file.
    """
    if not source.is_file():
        raise NoDatabase(f"no database at sqlite:///{source}")
    if target.is_dir():
        target = target / default_name()
    _refuse_target(source, target, force=force)
    partial = target.parent / f".{target.name}.partial-{os.getpid()}"
    try:
        copy_snapshot(source, partial, wait=wait)
        checked = check_copy(partial)
        sync_to_disk(partial)
        _move(partial, target, force=force)
    except BaseException:
        remove_partial(partial)
        raise
    sync_to_disk(target.parent)
    return CopyCheck(target, checked.size, checked.revision, checked.rows)


def _refuse_target(source: Path, target: Path, *, force: bool) -> None:
    folder = target.parent
    if not folder.is_dir():
        raise BackupFailed(f"cannot write the backup {target}: the folder {folder} does not exist")
    if not os.access(folder, os.W_OK | os.X_OK):
        raise BackupFailed(f"cannot write the backup {target}: the folder {folder} is not writable")
    if target.exists() and target.resolve() == source.resolve():
        raise BackupRefused(f"the backup {target} would overwrite the database itself")
    if target.exists() and not force:
        raise BackupRefused(
            f"{target} already exists: choose another name, or pass --force to replace it"
        )


def copy_snapshot(source: Path, partial: Path, *, wait: float) -> None:
    """The backup itself: ``source``'s snapshot into ``partial``, as one plain file."""
    # Read-only: a backup never writes the database, and never creates one.
    uri = f"file:{urllib.parse.quote(str(source))}?mode=ro"
    started = time.monotonic()

    def progress(status: int, _remaining: int, _total: int) -> None:
        # Python's backup loop retries a locked database for ever: this bounds it.
        if status in _BUSY_CODES and time.monotonic() - started > wait:
            raise BackupFailed(
                f"the database stayed locked for more than {wait:g}s (another process "
                "holds it exclusively): try again later"
            )

    try:
        # Each try waits up to a second on SQLite's busy handler, then ``progress``.
        reader = sqlite3.connect(uri, uri=True, timeout=min(wait, 1.0))
    except sqlite3.Error as exc:
        raise BackupFailed(f"cannot read the database {source}: {exc}") from None
    try:
        copy = sqlite3.connect(partial, timeout=min(wait, 5.0))
        try:
            reader.backup(copy, pages=-1, progress=progress, sleep=BUSY_SLEEP)
            # The source is in WAL mode and the copy says so too: one file instead.
            copy.execute("PRAGMA journal_mode=DELETE")
        finally:
            copy.close()
    except sqlite3.Error as exc:
        raise BackupFailed(_failure(partial, exc)) from None
    except OSError as exc:
        raise BackupFailed(_failure(partial, exc)) from None
    finally:
        reader.close()


def _failure(partial: Path, exc: Exception) -> str:
    reason = str(exc).strip() or type(exc).__name__
    low = reason.lower()
    where = partial.parent
    if "full" in low or "no space" in low or "too large" in low or "disk i/o" in low:
        hint = f"is there room in {where} for a copy as large as the database?"
    elif "readonly" in low or "read-only" in low or "unable to open" in low:
        hint = f"the folder {where} must be writable by this user"
    else:
        hint = "see the reason above"
    return f"the backup could not be written in {where}: {reason} ({hint})"


def check_copy(path: Path) -> CopyCheck:
    """Open the copy at ``path``, run ``PRAGMA integrity_check`` and read its schema
    revision and row counts. Raises :class:`BackupFailed` if it is not sound."""
    try:
        connection = sqlite3.connect(f"file:{urllib.parse.quote(str(path))}?mode=ro", uri=True)
    except sqlite3.Error as exc:
        raise BackupFailed(f"{path} cannot be opened: {exc}") from None
    try:
        problems = [row[0] for row in connection.execute("PRAGMA integrity_check")]
        if problems != ["ok"]:
            raise BackupFailed(f"{path} failed its integrity check: {'; '.join(problems[:3])}")
        tables = [
            name
            for (name,) in connection.execute(
                "SELECT name FROM sqlite_master WHERE type = 'table' "
                "AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\' ORDER BY name"
            )
        ]
        revision = None
        if "alembic_version" in tables:
            found = connection.execute("SELECT version_num FROM alembic_version").fetchone()
            revision = found[0] if found else None
        rows = {
            name: int(connection.execute(f'SELECT count(*) FROM "{name}"').fetchone()[0])
            for name in tables
            if name != "alembic_version"
        }
    except sqlite3.Error as exc:
        raise BackupFailed(f"{path} cannot be read: {exc}") from None
    finally:
        connection.close()
    return CopyCheck(path, path.stat().st_size, revision, rows)


def _move(partial: Path, target: Path, *, force: bool) -> None:
    """Give the checked copy its name: atomically, never over a file that appeared
    meanwhile unless ``force``."""
    try:
        if force:
            os.replace(partial, target)
            return
        try:
            os.link(partial, target)  # fails if the target exists: no race with another backup
        except FileExistsError:
            raise BackupRefused(
                f"{target} already exists: choose another name, or pass --force to replace it"
            ) from None
        except OSError:  # a file system without hard links
            if target.exists():
                raise BackupRefused(f"{target} already exists") from None
            os.replace(partial, target)
            return
        partial.unlink()
    except OSError as exc:
        raise BackupFailed(f"cannot name the backup {target}: {exc.strerror or exc}") from None


def sync_to_disk(path: Path) -> None:
    """Flush a file (or a folder's entries) to disk: a backup that a power cut
    turns into zeros is no backup."""
    folder = path.is_dir()
    try:
        descriptor = os.open(path, os.O_RDONLY | (os.O_DIRECTORY if folder else 0))
        try:
            os.fsync(descriptor)
        finally:
            os.close(descriptor)
    except OSError as exc:
        if not folder:  # some file systems cannot sync a folder: only a file matters
            raise BackupFailed(f"cannot write the backup {path}: {exc.strerror or exc}") from None


def remove_partial(partial: Path) -> None:
    for suffix in ("", "-journal", "-wal", "-shm"):
        try:
            Path(f"{partial}{suffix}").unlink()
        except FileNotFoundError:
            pass
        except OSError:  # nothing more can be done: the name is hidden and says partial
            pass
