"""``watchtower status`` never writes: on a stopped daemon's SQLite file it leaves
no empty ``-wal`` / ``-shm`` beside it, and on a running daemon's it still reads
what the daemon committed into its WAL (and leaves the daemon's files alone).

SQLite creates both files when a read-only connection opens a WAL database, and
a read-only connection cannot remove them: they used to stay behind.
"""

from __future__ import annotations

import hashlib
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from tests.unit.storage.bulk_items import add_items
from watchtower.cli import main
from watchtower.storage.db import Database

# A daemon's connection: writes items into the WAL (never checkpointed while it
# runs; "idle": only reads), says how many, then waits for stdin to close and
# writes once more.
WRITER = textwrap.dedent(
    """
    import sqlite3, sys
    connection = sqlite3.connect(sys.argv[1], isolation_level=None)
    connection.execute("PRAGMA wal_autocheckpoint=0")
    if sys.argv[2:] != ["idle"]:
        connection.execute("UPDATE items SET title = 'dans le WAL'")
    print(connection.execute("SELECT count(*) FROM items").fetchone()[0], flush=True)
    sys.stdin.read()
    connection.execute("UPDATE items SET title = 'encore'")
    connection.close()
    """
)


def sidecars(database: Path) -> list[str]:
    return sorted(p.name for p in database.parent.iterdir() if p.name != database.name)


@pytest.fixture
def stopped(tmp_path: Path) -> Path:
    """The database of a daemon that stopped: one file, nothing beside it."""
    database = tmp_path / "data" / "watchtower.db"
    db = Database(f"sqlite:///{database}")
    db.upgrade()
    add_items(db, 20)
    db.dispose()
    assert sidecars(database) == []
    return database


def test_status_on_a_stopped_daemons_database_leaves_nothing_beside_it(
    stopped: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = tmp_path / "watchtower.toml"
    config.write_text(
        f'[watchtower]\ndatabase_url = "sqlite:///{stopped}"\n'
        '[[brands]]\nname = "Acmé"\nterms = ["Acmé"]\n',
        "utf-8",
    )
    before = hashlib.sha256(stopped.read_bytes()).hexdigest()
    main(["status", "--config", str(config)])
    assert "schema" in capsys.readouterr().out.lower()
    assert sidecars(stopped) == []  # before: watchtower.db-shm, watchtower.db-wal
    assert hashlib.sha256(stopped.read_bytes()).hexdigest() == before


def test_every_read_only_reader_leaves_nothing(stopped: Path) -> None:
    reader = Database(f"sqlite:///{stopped}", readonly=True)
    try:
        reader.existing_revision()
        with reader.session() as session:
            assert session.connection().exec_driver_sql("SELECT count(*) FROM items").scalar() == 20
        assert sidecars(stopped) == ["watchtower.db-shm", "watchtower.db-wal"]  # while it reads
    finally:
        reader.dispose()
    assert sidecars(stopped) == []


def test_a_running_daemons_wal_is_read_and_its_files_are_left_to_it(stopped: Path) -> None:
    daemon = subprocess.Popen(
        [sys.executable, "-c", WRITER, str(stopped)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert daemon.stdout is not None and daemon.stdin is not None
        assert daemon.stdout.readline().strip() == "20"
        assert (stopped.parent / "watchtower.db-wal").stat().st_size > 0
        reader = Database(f"sqlite:///{stopped}", readonly=True)
        try:
            with reader.session() as session:
                titles = session.connection().exec_driver_sql("SELECT DISTINCT title FROM items")
                assert titles.scalars().all() == ["dans le WAL"]  # what only the WAL holds
        finally:
            reader.dispose()
        assert sidecars(stopped) == ["watchtower.db-shm", "watchtower.db-wal"]  # the daemon's
        daemon.stdin.close()  # the daemon goes on writing, then stops
        assert daemon.wait(timeout=30) == 0
    finally:
        if daemon.poll() is None:
            daemon.kill()
            daemon.wait()
    assert sidecars(stopped) == []  # its last connection removed them, as always
    with Database(f"sqlite:///{stopped}").session() as session:
        assert session.connection().exec_driver_sql("SELECT DISTINCT title FROM items").all() == [
            ("encore",)
        ]


def test_files_a_daemon_opened_meanwhile_stay(stopped: Path) -> None:
    """The reader created them, then a daemon started (and wrote nothing yet, so
    the WAL is still empty): SQLite removes nothing another connection uses."""
    reader = Database(f"sqlite:///{stopped}", readonly=True)
    daemon = None
    try:
        reader.existing_revision()
        daemon = subprocess.Popen(
            [sys.executable, "-c", WRITER, str(stopped), "idle"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        assert daemon.stdout is not None
        assert daemon.stdout.readline().strip() == "20"
    finally:
        reader.dispose()
    assert daemon is not None and daemon.stdin is not None
    assert (stopped.parent / "watchtower.db-wal").stat().st_size == 0
    assert sidecars(stopped) == ["watchtower.db-shm", "watchtower.db-wal"]
    daemon.stdin.close()  # it writes, then stops
    assert daemon.wait(timeout=30) == 0
    assert sidecars(stopped) == []
    with Database(f"sqlite:///{stopped}").session() as session:
        assert session.connection().exec_driver_sql("SELECT DISTINCT title FROM items").all() == [
            ("encore",)
        ]
