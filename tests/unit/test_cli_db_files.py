"""``watchtower db backup``: an online, checked copy of the SQLite file without the
``sqlite3`` command, taken while another process writes; never over an existing
file without ``--force``; never half a file under the target's name; PostgreSQL
gets the ``pg_dump`` command, its password left out."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from tests.unit.storage.bulk_items import add_items
from watchtower.cli import main
from watchtower.storage.db import Database, head_revision

ROOT = Path(__file__).resolve().parents[2]
BRANDS = '[[brands]]\nname = "Acmé"\nterms = ["Acmé"]\n'

# A second process that writes an item and its mention in one transaction, for
# ever: a consistent copy has exactly as many mentions as items.
WRITER = textwrap.dedent(
    """
    import sys
    from datetime import UTC, datetime
    from pathlib import Path
    from watchtower.storage.db import Database
    from watchtower.storage.tables import ItemRow, MentionRow, SourceRow

    db = Database(sys.argv[1])
    stop, written = Path(sys.argv[2]), Path(sys.argv[3])
    now = datetime(2026, 11, 26, 9, 0, tzinfo=UTC)
    with db.session() as session:
        session.add(SourceRow(name="presse", kind="rss", url="https://presse.fr/",
                              cursor={}, next_check_at=now))
    n = 0
    while not stop.exists():
        with db.writing() as session:
            source = session.query(SourceRow).one()
            for _ in range(20):
                n += 1
                item = ItemRow(source_id=source.id, guid=f"g{n}", title="Acmé", text="x" * 2000,
                               fetched_at=now, seen_at=now)
                session.add(item)
                session.flush()
                session.add(MentionRow(item_id=item.id, brand="Acmé", created_at=now))
        written.write_text(str(n))
    db.dispose()
    """
)


def write_config(tmp_path: Path, database_url: str) -> Path:
    path = tmp_path / "watchtower.toml"
    path.write_text(f'[watchtower]\ndatabase_url = "{database_url}"\n{BRANDS}', "utf-8")
    return path


@pytest.fixture
def database(tmp_path: Path) -> Path:
    """A migrated SQLite database with a few hundred kilobytes of items."""
    path = tmp_path / "data" / "watchtower.db"
    db = Database(f"sqlite:///{path}")
    db.upgrade()
    add_items(db, 200)
    db.dispose()
    return path


def leftovers(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if ".partial" in p.name or "-wal" in p.name)


def test_a_backup_taken_while_another_process_writes_is_consistent(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    database = tmp_path / "watchtower.db"
    url = f"sqlite:///{database}"
    Database(url).upgrade()
    config = write_config(tmp_path, url)
    stop, written = tmp_path / "stop", tmp_path / "written"
    writer = subprocess.Popen(
        [sys.executable, "-c", WRITER, url, str(stop), str(written)],
        env={**os.environ, "PYTHONPATH": os.environ.get("PYTHONPATH", str(ROOT))},
    )
    backups = tmp_path / "backups"
    backups.mkdir()
    try:
        deadline = time.monotonic() + 60  # a bound, not an assertion
        while not (written.exists() and int(written.read_text() or 0) >= 400):
            assert writer.poll() is None, "the writer stopped"
            assert time.monotonic() < deadline, "the writer wrote nothing"
            time.sleep(0.05)
        counts = []
        for n in range(3):
            target = backups / f"copy-{n}.db"
            assert main(["db", "backup", str(target), "--config", str(config)]) == 0
            out = capsys.readouterr().out
            assert f"backup written: {target} (" in out
            assert f"schema {head_revision()}, integrity ok" in out
            copy = sqlite3.connect(target)
            assert copy.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
            assert copy.execute("PRAGMA journal_mode").fetchone() == ("delete",)
            assert copy.execute("SELECT version_num FROM alembic_version").fetchall() == [
                (head_revision(),)
            ]
            items = copy.execute("SELECT count(*) FROM items").fetchone()[0]
            mentions = copy.execute("SELECT count(*) FROM mentions").fetchone()[0]
            copy.close()
            assert items == mentions and items >= 400 and items % 20 == 0
            assert f"items {items}" in out and f"mentions {mentions}" in out
            counts.append(items)
        assert writer.poll() is None, "the backups must not stop the writer"
    finally:
        stop.touch()
        writer.wait(timeout=60)
    assert writer.returncode == 0
    assert leftovers(backups) == []


def test_an_existing_file_is_kept_unless_force(
    database: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = write_config(tmp_path, f"sqlite:///{database}")
    target = tmp_path / "before.db"
    target.write_bytes(b"yesterday's backup")
    assert main(["db", "backup", str(target), "--config", str(config)]) == 2
    err = capsys.readouterr().err
    assert f"{target} already exists" in err and "--force" in err
    assert target.read_bytes() == b"yesterday's backup"

    assert main(["db", "backup", str(target), "--force", "--config", str(config)]) == 0
    assert "items 200" in capsys.readouterr().out
    assert sqlite3.connect(target).execute("SELECT count(*) FROM items").fetchone() == (200,)
    assert leftovers(tmp_path) == []


def test_a_folder_gets_a_dated_copy_and_a_missing_one_a_clear_error(
    database: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = write_config(tmp_path, f"sqlite:///{database}")
    backups = tmp_path / "backups"
    backups.mkdir()
    assert main(["db", "backup", str(backups), "--config", str(config)]) == 0
    [copy] = backups.iterdir()
    assert copy.name.startswith("watchtower-") and copy.suffix == ".db"

    missing = tmp_path / "nowhere" / "copy.db"
    assert main(["db", "backup", str(missing), "--config", str(config)]) == 1
    assert f"the folder {missing.parent} does not exist" in capsys.readouterr().err
    assert main(["db", "backup", f"{tmp_path / 'later'}/", "--config", str(config)]) == 1
    assert f"the folder {tmp_path / 'later'} does not exist" in capsys.readouterr().err
    assert not (tmp_path / "later").exists()


def test_a_full_disk_leaves_nothing_behind(database: Path, tmp_path: Path) -> None:
    """The backup process may write files of 64 KiB at most (RLIMIT_FSIZE, as a
    quota or a small file system would): it fails, and removes its partial copy."""
    config = write_config(tmp_path, f"sqlite:///{database}")
    backups = tmp_path / "backups"
    backups.mkdir()

    def small_files() -> None:
        import resource

        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # EFBIG instead of a signal
        resource.setrlimit(resource.RLIMIT_FSIZE, (64 * 1024, 64 * 1024))

    target = backups / "copy.db"
    done = subprocess.run(
        [sys.executable, "-m", "watchtower", "db", "backup", str(target), "-c", str(config)],
        capture_output=True,
        text=True,
        preexec_fn=small_files,
        timeout=120,
        env={**os.environ, "PYTHONPATH": os.environ.get("PYTHONPATH", str(ROOT))},
    )
    assert done.returncode == 1, done.stderr
    assert "backup failed: the backup could not be written in" in done.stderr
    assert "room" in done.stderr
    assert list(backups.iterdir()) == []


def test_a_database_locked_longer_than_wait_fails_after_retrying(
    database: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = write_config(tmp_path, f"sqlite:///{database}")
    holder = sqlite3.connect(database)
    holder.execute("PRAGMA locking_mode=EXCLUSIVE")
    holder.execute("UPDATE sources SET consecutive_failures = 1")  # takes the exclusive lock
    holder.commit()
    target = tmp_path / "copy.db"
    try:
        assert main(["db", "backup", str(target), "--wait", "1", "-c", str(config)]) == 1
    finally:
        holder.close()
    err = capsys.readouterr().err
    assert "backup failed: the database stayed locked for more than 1s" in err
    assert not target.exists() and leftovers(tmp_path) == []


def test_postgresql_gets_the_pg_dump_command_without_its_password(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    config = write_config(tmp_path, "sqlite:///unused.db")
    monkeypatch.setenv(
        "WATCHTOWER_DATABASE_URL", "postgresql://veille:s3cr3t@db.example.fr:5432/watchtower"
    )
    assert main(["db", "backup", "/var/backups/wt.dump", "--config", str(config)]) == 2
    captured = capsys.readouterr()
    assert "s3cr3t" not in captured.out + captured.err
    assert (
        "  pg_dump --format=custom --file=/var/backups/wt.dump "
        "postgresql://veille@db.example.fr:5432/watchtower\n" in captured.err
    )
    assert "PGPASSWORD or ~/.pgpass" in captured.err
    assert not Path("/var/backups/wt.dump").exists()

    assert main(["db", "restore", "/var/backups/wt.dump", "--config", str(config)]) == 2
    assert main(["db", "vacuum", "--config", str(config)]) == 2
    captured = capsys.readouterr()
    assert "pg_restore --clean" in captured.err and "autovacuum" in captured.err
    assert "s3cr3t" not in captured.out + captured.err


# ----------------------------------------------------------------------- restore
def count_items(path: Path) -> int:
    connection = sqlite3.connect(path)
    try:
        return int(connection.execute("SELECT count(*) FROM items").fetchone()[0])
    finally:
        connection.close()


def test_restore_puts_the_backup_back_and_keeps_the_replaced_database(
    database: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = write_config(tmp_path, f"sqlite:///{database}")
    backup = tmp_path / "before.db"
    assert main(["db", "backup", str(backup), "-c", str(config)]) == 0
    saved = backup.read_bytes()
    db = Database(f"sqlite:///{database}")
    add_items(db, 50, start=200)  # what happens after the backup, then goes wrong
    db.dispose()
    capsys.readouterr()

    assert main(["db", "restore", str(backup), "-c", str(config)]) == 0
    out = capsys.readouterr().out
    assert out.startswith(f"database restored from {backup}: {database} (")
    assert f"schema {head_revision()})" in out and "items 200" in out
    assert count_items(database) == 200
    [aside] = [p for p in database.parent.iterdir() if p.name[-6:].isdigit()]
    assert aside.name.startswith("watchtower.db.before-restore-")
    assert f"the replaced database is kept as {aside}" in out
    assert count_items(aside) == 250
    assert backup.read_bytes() == saved
    assert [p.name for p in database.parent.iterdir() if p.name.startswith(".")] == []
    assert main(["status", "-c", str(config)]) == 0  # the service can use it


def test_restore_is_refused_while_a_daemon_runs_on_the_database(
    database: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from datetime import UTC, datetime, timedelta

    from watchtower.heartbeat import Heartbeat

    config = write_config(tmp_path, f"sqlite:///{database}")
    backup = tmp_path / "before.db"
    assert main(["db", "backup", str(backup), "-c", str(config)]) == 0
    db = Database(f"sqlite:///{database}")
    now = datetime.now(UTC)
    Heartbeat(str(config), timedelta(seconds=60), now).start(db, now)
    add_items(db, 50, start=200)
    db.dispose()
    capsys.readouterr()

    assert main(["db", "restore", str(backup), "-c", str(config)]) == 1
    err = capsys.readouterr().err
    assert f"1 watchtower daemon(s) still run on this database ({os.uname().nodename} pid" in err
    assert "stop every one first" in err and "--force" in err
    assert count_items(database) == 250
    assert [p for p in database.parent.iterdir() if "restor" in p.name] == []

    assert main(["db", "restore", str(backup), "--force", "-c", str(config)]) == 0
    assert count_items(database) == 200


def test_restore_refuses_what_is_not_a_sound_watchtower_backup(
    database: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = write_config(tmp_path, f"sqlite:///{database}")
    other = tmp_path / "other.db"
    sqlite3.connect(other).execute("CREATE TABLE notes (x)").connection.close()
    assert main(["db", "restore", str(other), "-c", str(config)]) == 2
    assert f"restore refused: {other} is not a watchtower database" in capsys.readouterr().err

    garbage = tmp_path / "garbage.db"
    garbage.write_bytes(b"not a database at all" * 100)
    assert main(["db", "restore", str(garbage), "-c", str(config)]) == 1
    err = capsys.readouterr().err
    assert "restore failed, the database is untouched: " in err and str(garbage) in err

    assert main(["db", "restore", str(tmp_path / "missing.db"), "-c", str(config)]) == 2
    assert count_items(database) == 200
