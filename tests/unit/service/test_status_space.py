"""``watchtower status`` on the disk a SQLite database takes: its WAL, and the free
pages left by lowering ``retention`` (or a burst of items) that only ``watchtower
db vacuum`` gives back. Read-only: status writes nothing to the file or its WAL.
PostgreSQL: nothing new (its autovacuum reuses the space)."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from tests.unit.storage.bulk_items import add_items
from watchtower.cli import main
from watchtower.storage.db import Database
from watchtower.storage.queries import cleanup

MiB = 1024 * 1024
RECENT = datetime(2026, 11, 26, 9, 0, tzinfo=UTC)


def config(database_url: str) -> str:
    return f'[watchtower]\ndatabase_url = "{database_url}"\n[[brands]]\nname = "A"\nterms = ["A"]\n'


def status(path: Path, capsys: pytest.CaptureFixture[str], *extra: str) -> str:
    capsys.readouterr()
    # 1: no watchtower polls this database (none runs in these tests).
    assert main(["status", "--config", str(path), *extra]) in (0, 1)
    return capsys.readouterr().out


def database_line(path: Path, capsys: pytest.CaptureFixture[str]) -> str:
    [line] = [x for x in status(path, capsys).splitlines() if x.startswith("Database: ")]
    return line


def files(folder: Path) -> dict[str, tuple[int, str]]:
    """Each file of the database: its size and a digest of its bytes."""
    return {
        f.name: (f.stat().st_size, hashlib.sha256(f.read_bytes()).hexdigest())
        for f in sorted(folder.glob("watchtower.db*"))
    }


def prune_a_burst(db: Database) -> None:
    """15 MB of items a burst brought, then pruned: their pages are free in the file."""
    for first in range(0, 3000, 500):
        add_items(db, 500, start=first, size=5000, fetched=RECENT - timedelta(days=10))
    add_items(db, 10, start=5000, fetched=RECENT)  # still listed: kept
    with db.writing() as session:
        assert cleanup(session, RECENT - timedelta(days=3))[1] == 3000


def test_status_says_how_much_a_vacuum_would_give_back_and_writes_nothing(
    tmp_path: Path,
    write_config: Callable[[str], Path],
    capsys: pytest.CaptureFixture[str],
) -> None:
    url = f"sqlite:///{tmp_path / 'watchtower.db'}"
    path = write_config(config(url))
    db = Database(url)  # the daemon's engine, open and idle meanwhile
    try:
        db.upgrade()
        prune_a_burst(db)
        before = files(tmp_path)
        assert "watchtower.db-wal" in before

        report = json.loads(status(path, capsys, "--json"))["database"]
        assert report["free_bytes"] > 12 * MiB
        assert report["free_bytes"] > 0.5 * (report["size_bytes"] - report["wal_bytes"])
        assert report["wal_bytes"] == before["watchtower.db-wal"][0]
        assert report["vacuum_advised"] is True
        line = database_line(path, capsys)
        free = f"{report['free_bytes'] / MiB:.1f} MiB"
        assert line.endswith(
            f" · {free} free inside the file could be given back: watchtower db vacuum"
        ), line
        if report["wal_bytes"]:
            assert f"(WAL {report['wal_bytes'] / MiB:.1f} MiB)" in line
        assert files(tmp_path) == before  # read only: not a byte written

        assert main(["db", "vacuum", "--config", str(path)]) == 0
        report = json.loads(status(path, capsys, "--json"))["database"]
        assert (report["free_bytes"], report["vacuum_advised"]) == (0, False)
        assert "vacuum" not in database_line(path, capsys)
    finally:
        db.dispose()


def test_a_steady_database_is_not_told_to_vacuum(
    tmp_path: Path,
    write_config: Callable[[str], Path],
    capsys: pytest.CaptureFixture[str],
) -> None:
    """A guard: the free pages a daily prune leaves, which the next items reuse, are
    no news."""
    url = f"sqlite:///{tmp_path / 'watchtower.db'}"
    path = write_config(config(url))
    db = Database(url)
    try:
        db.upgrade()
        add_items(db, 500, size=5000, fetched=RECENT - timedelta(days=10))  # 2.5 MB pruned
        add_items(db, 10, start=5000, fetched=RECENT)
        with db.writing() as session:
            assert cleanup(session, RECENT - timedelta(days=3))[1] == 500
        assert "vacuum" not in database_line(path, capsys)
    finally:
        db.dispose()


@pytest.mark.parametrize(
    ("file_mib", "free_mib", "advised"),
    [
        (100, 30, True),  # a burst pruned: 30 % of the file
        (100, 25, False),  # a quarter: what a steady retention frees and reuses
        (40, 11, True),
        (30, 10, False),  # 10 MiB at most: not worth a rebuild, whatever the share
        (12, 9, False),
        (4_000, 900, False),  # 900 MiB, but under a quarter of a large file
    ],
)
def test_when_a_vacuum_is_worth_saying(file_mib: int, free_mib: int, advised: bool) -> None:
    from watchtower.storage.sqlite_space import Space, worth_vacuuming

    assert worth_vacuuming(Space(file_mib * MiB, 0, free_mib * MiB)) is advised


def test_postgresql_shows_no_wal_nor_free_pages(
    database_url: str,
    write_config: Callable[[str], Path],
    capsys: pytest.CaptureFixture[str],
) -> None:
    if not database_url.startswith("postgresql"):
        pytest.skip("the PostgreSQL variant (WATCHTOWER_TEST_DATABASE_URL)")
    path = write_config(config(database_url))
    db = Database(database_url)
    try:
        db.upgrade()
    finally:
        db.dispose()
    report = json.loads(status(path, capsys, "--json"))["database"]
    assert report["size_bytes"] > 0
    assert report.get("wal_bytes") is None and report.get("free_bytes") is None
    assert not report.get("vacuum_advised")
    line = database_line(path, capsys)
    assert "WAL" not in line and "vacuum" not in line
