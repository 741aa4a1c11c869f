"""Put a SQLite backup back in place of the database, keeping the replaced file.

The backup is checked first (integrity, a watchtower schema this version can
run), then copied next to the database under a temporary name (the backup
file itself stays as it is), given the database's owner and mode (with no
database yet, as root: its folder's owner, mode 0600), and only
then swapped in: the database and its ``-wal`` and ``-shm`` move aside to
``NAME.before-restore-YYYYMMDD-HHMMSS`` (a ``-wal`` left beside the restored file
would be replayed into it), and the copy takes the database's name. Whether a
daemon still runs on the database is the caller's check (its heartbeat): a
daemon holding the old file open would go on writing to the file moved aside.
"""

from __future__ import annotations

import os
import stat
from datetime import UTC, datetime
from pathlib import Path

from watchtower.storage.sqlite_backup import (
    BackupRefused,
    CopyCheck,
    check_copy,
    copy_snapshot,
    remove_partial,
    sync_to_disk,
)

__all__ = ["restore_sqlite"]

_SIDE_FILES = ("-wal", "-shm")


def restore_sqlite(
    backup: Path, database: Path, *, wait: float = 30.0
) -> tuple[CopyCheck, Path | None]:
    """Replace ``database`` with ``backup``; what was restored, and where the
    replaced database went (None when there was none).

    Raises :class:`BackupRefused` when ``backup`` is missing or holds no
    watchtower schema, :class:`~watchtower.errors.SchemaNewer` when a newer
    watchtower wrote it, :class:`~watchtower.storage.sqlite_backup.BackupFailed`
    when it fails its check or cannot be copied (the database is then untouched).
    """
    from watchtower.storage.db import refuse_newer

    if not backup.is_file():
        raise BackupRefused(f"no backup at {backup}")
    checked = check_copy(backup)
    if checked.revision is None:
        raise BackupRefused(f"{backup} is not a watchtower database (no schema revision)")
    refuse_newer(checked.revision)
    staged = database.parent / f".{database.name}.restoring-{os.getpid()}"
    try:
        copy_snapshot(backup, staged, wait=wait)
        _give_owner(staged, database)
        sync_to_disk(staged)
    except BaseException:
        remove_partial(staged)
        raise
    aside = None
    if database.exists():
        stamp = f"{datetime.now(UTC):%Y%m%d-%H%M%S}"
        aside = database.with_name(f"{database.name}.before-restore-{stamp}")
        os.replace(database, aside)
        for suffix in _SIDE_FILES:
            side = Path(f"{database}{suffix}")
            if side.exists():
                os.replace(side, Path(f"{aside}{suffix}"))
    os.replace(staged, database)
    sync_to_disk(database.parent)
    return CopyCheck(database, checked.size, checked.revision, checked.rows), aside


def _give_owner(staged: Path, database: Path) -> None:
    """The service's user must be able to write the restored file: give it the
    replaced database's owner and mode. With none to replace (a host rebuilt
    after a disk loss), root gives it the owner of the folder it goes in (the
    service's data folder) and 0600, 0660 in a group-writable folder: a
    ``root:root`` file there would refuse the service's first write. The copy is
    one file (``journal_mode=DELETE``): no ``-wal`` or ``-shm`` of root's comes with it.
    """
    if database.exists():
        mode = database.stat()
        os.chmod(staged, mode.st_mode & 0o777)
        if os.geteuid() == 0:
            os.chown(staged, mode.st_uid, mode.st_gid)
    elif os.geteuid() == 0:
        folder = database.parent.stat()
        # A group-writable folder (root:watchtower 2770) is written by its group.
        group = 0o060 if folder.st_mode & stat.S_IWGRP else 0
        os.chmod(staged, 0o600 | group)
        os.chown(staged, folder.st_uid, folder.st_gid)
