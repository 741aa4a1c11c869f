"""The ``-wal`` of a SQLite file deleted alone under a process that writes it
(:mod:`watchtower.storage.sqlite_file`): the main file's inode does not change,
but what was committed into the WAL since the last checkpoint exists only in the
deleted file, lost if the process is killed. Refused and saved as a deleted
main file is."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.unit.storage.side_files import deleted_is_refused_and_saved, writes_go_on, written
from watchtower.storage.sqlite_file import DatabaseFileLost


def test_a_deleted_wal_refuses_writes_and_saves_what_only_it_held(tmp_path: Path) -> None:
    # The copy reads the deleted WAL through the keeper's descriptor: both rows.
    deleted_is_refused_and_saved(tmp_path, "-wal")


def test_a_wal_replaced_by_another_is_lost_too(tmp_path: Path) -> None:
    path, db = written(tmp_path)
    wal = Path(f"{path}-wal")
    other = tmp_path / "other"
    other.write_bytes(wal.read_bytes())
    other.replace(wal)  # the same bytes, another file: not the one the process writes
    with pytest.raises(DatabaseFileLost) as lost, db.writing():
        pass
    assert lost.value.file == str(wal) and lost.value.saved is not None
    db.dispose()


def test_the_wal_checkpointed_and_emptied_is_still_the_same_file(tmp_path: Path) -> None:
    """A checkpoint truncates the WAL in place: no loss, writes go on."""
    path, db = written(tmp_path)
    with db.engine.connect() as connection:
        connection.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    assert Path(f"{path}-wal").stat().st_size == 0
    writes_go_on(path, db, 3)


def test_a_database_closed_and_opened_again_takes_the_new_wal(tmp_path: Path) -> None:
    """The last connection's close deletes the -wal; the next open makes a new one:
    not a loss."""
    path, db = written(tmp_path)
    db.dispose()
    assert not Path(f"{path}-wal").exists()
    writes_go_on(path, db, 3, 4)
