"""``watchtower status`` on a disk too full for the daemon to store anything.

``status`` only reads: it cannot meet SQLITE_FULL itself, but it measures the
file system holding the SQLite file and its WAL as ``/readyz`` does (one
function, :mod:`watchtower.disk_space`). A real full disk needs a mount
(``tests/e2e/test_disk_full_status.py``, root only); here the measurement is a
real ``os.statvfs_result`` handed in through ``statvfs``, on a real database.
"""

from __future__ import annotations

import json
import logging
import os
import sqlite3
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from watchtower.cli import main
from watchtower.cli_db import disk_full
from watchtower.config import load_config
from watchtower.disk_space import DiskSpace, StatVfs, disk_space, sqlite_folder
from watchtower.logs import _FIELDS as FIELDS
from watchtower.status_daemons import daemon_liveness
from watchtower.status_report import status_report
from watchtower.status_text import database_line, render_report
from watchtower.storage.db import Database, head_revision

KiB, MiB, GiB = 1 << 10, 1 << 20, 1 << 30
NOW = datetime(2026, 11, 26, 3, 0, tzinfo=UTC)


def measured(size: int, free: int, *, read_only: bool = False) -> StatVfs:
    """A file system of ``size`` bytes with ``free`` bytes left, as statvfs gives it."""

    def statvfs(folder: str) -> os.statvfs_result:
        block = 512
        flag = os.ST_RDONLY if read_only else 0
        blocks = (block, block, size // block, free // block, free // block, 9, 9, 9, flag, 255)
        return os.statvfs_result(blocks)

    return statvfs


@pytest.mark.parametrize(
    ("size", "free", "full"),
    [
        (100 * GiB, 400 * KiB, True),  # the daemon's writes fail already
        (100 * GiB, MiB - 512, True),
        (100 * GiB, MiB, False),  # 1 MiB: a poll round still fits
        (100 * GiB, 2 * MiB, False),
        (20 * MiB, 300 * KiB, True),  # a small disk: under 2 % of it
        (20 * MiB, 500 * KiB, False),
        (0, 0, False),  # a pseudo file system that reports no size: cannot tell
    ],
)
def test_full_is_under_1_mib_or_2_percent_of_a_small_disk(size: int, free: int, full: bool) -> None:
    space = disk_space("/var/lib/watchtower", measured(size, free))
    assert space == DiskSpace("/var/lib/watchtower", free, size, read_only=False)
    assert space.full is full


def test_the_disk_is_the_one_holding_the_real_file_and_its_wal(tmp_path: Path) -> None:
    """A database symlinked from elsewhere (moved to a bigger disk): SQLite writes
    next to the real file, and that is the disk measured."""
    (tmp_path / "big").mkdir()
    (tmp_path / "etc").mkdir()
    real = tmp_path / "big" / "watchtower.db"
    link = tmp_path / "etc" / "watchtower.db"
    link.symlink_to(real)
    connection = sqlite3.connect(link)
    try:
        connection.execute("PRAGMA journal_mode=WAL")
        connection.execute("CREATE TABLE t (x)")
        assert (tmp_path / "big" / "watchtower.db-wal").exists()
    finally:
        connection.close()
    assert sqlite_folder(f"sqlite:///{link}") == str(tmp_path / "big")
    assert sqlite_folder("sqlite://") is None
    assert sqlite_folder("sqlite:///:memory:") is None
    assert sqlite_folder("postgresql://watch@db/watchtower") is None


@pytest.fixture
def config(tmp_path: Path, write_config: Callable[[str], Path]) -> Path:
    url = f"sqlite:///{tmp_path / 'watchtower.db'}"
    db = Database(url)
    try:
        db.upgrade()
    finally:
        db.dispose()
    return write_config(
        f'[watchtower]\ndatabase_url = "{url}"\n[[brands]]\nname = "A"\nterms = ["A"]\n'
    )


def report_on(path: Path, statvfs: StatVfs) -> dict[str, Any]:
    loaded = load_config(path)
    db = Database(loaded.database_url, readonly=True)
    try:
        with db.session() as session:
            report = status_report(
                session, loaded, NOW, schema=(head_revision(), head_revision()), statvfs=statvfs
            )
    finally:
        db.dispose()
    report["daemon"].update(daemon_liveness(None))  # as cmd_status does: no http here
    return report


def test_a_full_disk_is_on_the_database_line_in_json_and_in_the_exit_status(
    config: Path, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    asked: list[str] = []

    def full(folder: str) -> os.statvfs_result:
        asked.append(folder)
        return measured(50 * GiB, 400 * KiB)(folder)

    report = report_on(config, full)
    database = report["database"]
    assert isinstance(database, dict)
    assert asked == [str(tmp_path)]
    assert (database["disk_folder"], database["disk_free_bytes"], database["disk_full"]) == (
        str(tmp_path),
        400 * KiB,
        True,
    )
    [line] = [x for x in render_report(report, NOW).splitlines() if x.startswith("Database: ")]
    assert line.endswith(
        f" · disk FULL: 400.0 KiB free on {tmp_path} — free some space: "
        "watchtower resumes by itself"
    ), line

    with caplog.at_level(logging.ERROR, logger="watchtower.cli"):
        assert disk_full(report) is True
    [said] = caplog.records
    assert said.getMessage() == "the disk holding the database is full"
    assert getattr(said, FIELDS) == {
        "folder": str(tmp_path),
        "free": "400.0 KiB",
        "hint": "free some space: watchtower resumes by itself",
    }


def test_a_disk_with_room_says_nothing_and_exits_as_before(config: Path) -> None:
    """A guard: 5 MiB free is no news (the JSON still says how much)."""
    report = report_on(config, measured(50 * GiB, 5 * MiB))
    database = report["database"]
    assert isinstance(database, dict)
    assert (database["disk_free_bytes"], database["disk_full"]) == (5 * MiB, False)
    assert "disk FULL" not in render_report(report, NOW)
    assert disk_full(report) is False


def test_a_disk_that_cannot_be_measured_is_not_called_full(config: Path, tmp_path: Path) -> None:
    def gone(folder: str) -> os.statvfs_result:
        raise PermissionError(13, "Permission denied", folder)

    database = report_on(config, gone)["database"]
    assert isinstance(database, dict)
    assert (database["disk_free_bytes"], database["disk_full"]) == (None, None)


def test_a_full_disk_gets_no_vacuum_advice() -> None:
    """``db vacuum`` writes a whole copy of the file: on a full disk it only fails."""
    db = {
        "url": "sqlite:////var/lib/watchtower/watchtower.db",
        "schema": "0009",
        "size_bytes": 300 * MiB,
        "wal_bytes": 0,
        "free_bytes": 120 * MiB,
        "vacuum_advised": True,
        "disk_folder": "/var/lib/watchtower",
        "disk_free_bytes": 0,
        "disk_full": True,
    }
    line = database_line(db)
    assert "vacuum" not in line
    assert line.endswith(
        " · disk FULL: 0 B free on /var/lib/watchtower — free some space: "
        "watchtower resumes by itself"
    )


def test_status_measures_the_real_disk_and_postgresql_has_none(
    database_url: str,
    write_config: Callable[[str], Path],
    capsys: pytest.CaptureFixture[str],
) -> None:
    db = Database(database_url)
    try:
        db.upgrade()
    finally:
        db.dispose()
    path = write_config(
        f'[watchtower]\ndatabase_url = "{database_url}"\n[[brands]]\nname = "A"\nterms = ["A"]\n'
    )
    capsys.readouterr()
    assert main(["status", "--json", "--config", str(path)]) == 0  # no source: nobody needed
    database = json.loads(capsys.readouterr().out)["database"]
    if database_url.startswith("postgresql"):  # the server's disk, not ours to measure
        assert (database["disk_folder"], database["disk_free_bytes"], database["disk_full"]) == (
            None,
            None,
            None,
        )
        return
    folder = str(path.parent)
    stats = os.statvfs(folder)
    assert database["disk_folder"] == folder
    assert abs(database["disk_free_bytes"] - stats.f_bavail * stats.f_frsize) < 64 * MiB
    assert database["disk_full"] is False
