"""``watchtower status`` when the heartbeat is stale because the disk is full.

On a really full disk the daemon's heartbeat write fails too, so after a few
poll ticks its row looks like a dead daemon's. Next to the disk-full line,
"NOT SEEN" and "start the service" would send the operator to restart a
daemon that runs: status says the heartbeat cannot be written instead, and
still exits 1. The full disk is a real ``os.statvfs_result`` handed in through
``statvfs`` (a real mount: ``tests/e2e/test_disk_full_heartbeat.py``).
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from watchtower.cli_db import disk_full, nobody_polling
from watchtower.config import load_config
from watchtower.heartbeat import Heartbeat
from watchtower.logs import _FIELDS as FIELDS
from watchtower.status_daemons import daemon_liveness
from watchtower.status_report import status_report
from watchtower.status_text import render_report
from watchtower.storage.db import Database, head_revision

KiB, MiB, GiB = 1 << 10, 1 << 20, 1 << 30
NOW = datetime(2026, 11, 26, 3, 0, tzinfo=UTC)
AN_HOUR_AGO = NOW - timedelta(hours=1)


def measured(size: int, free: int) -> Callable[[str], os.statvfs_result]:
    def statvfs(folder: str) -> os.statvfs_result:
        block = 512
        return os.statvfs_result(
            (block, block, size // block, free // block, free // block, 9, 9, 9, 0, 255)
        )

    return statvfs


@pytest.fixture
def config(tmp_path: Path, write_config: Callable[[str], Path]) -> Path:
    """A database whose only daemon last wrote its heartbeat an hour ago."""
    url = f"sqlite:///{tmp_path / 'watchtower.db'}"
    db = Database(url)
    try:
        db.upgrade()
        Heartbeat("watchtower.toml", timedelta(seconds=30), AN_HOUR_AGO).start(db, AN_HOUR_AGO)
    finally:
        db.dispose()
    return write_config(
        f'[watchtower]\ndatabase_url = "{url}"\n[[brands]]\nname = "A"\nterms = ["A"]\n'
        '[[sources]]\nname = "f"\nkind = "rss"\nurl = "https://presse.example/f.xml"\n'
    )


def report_on(path: Path, free: int) -> dict[str, Any]:
    loaded = load_config(path)
    db = Database(loaded.database_url, readonly=True)
    try:
        with db.session() as session:
            report = status_report(
                session,
                loaded,
                NOW,
                schema=(head_revision(), head_revision()),
                statvfs=measured(50 * GiB, free),
            )
    finally:
        db.dispose()
    report["daemon"].update(daemon_liveness(None))  # as cmd_status does: no http here
    return report


def test_a_stale_heartbeat_on_a_full_disk_is_explained_not_start_the_service(
    config: Path, caplog: pytest.LogCaptureFixture
) -> None:
    report = report_on(config, 400 * KiB)
    daemon = report["daemon"]
    assert daemon["seen"] is False  # the facts stay the facts
    assert daemon["heartbeat_blocked"] == "heartbeat cannot be written: disk full"

    lines = render_report(report, NOW).splitlines()
    assert lines[0].startswith(
        "Daemon: heartbeat cannot be written: disk full (last heartbeat 2026-11-26 03:00 CET "
        "(1h ago)); a running daemon resumes by itself once space is freed · last fetch "
    ), lines[0]
    heartbeat = "last heartbeat 2026-11-26 03:00 CET (1h ago)"
    assert f" · {heartbeat} (heartbeat cannot be written: disk full) · started " in lines[1]
    assert "NOT SEEN" not in "\n".join(lines)

    # The exit status stays a failure, and stderr says why without "start the service".
    with caplog.at_level(logging.ERROR, logger="watchtower.cli"):
        assert nobody_polling(report) is True
        assert disk_full(report) is True
    said = {r.getMessage(): getattr(r, FIELDS) for r in caplog.records}
    assert said["no heartbeat seen recently: heartbeat cannot be written: disk full"] == {
        "hint": "free some space: a running daemon resumes by itself, no restart"
    }
    assert "the disk holding the database is full" in said
    assert not any("start the service" in str(fields) for fields in said.values())


def test_a_stale_heartbeat_with_room_on_the_disk_still_says_start_the_service(
    config: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """A guard: with space free, a stale heartbeat means nobody polls."""
    report = report_on(config, 5 * MiB)
    assert report["daemon"].get("heartbeat_blocked") is None
    lines = render_report(report, NOW).splitlines()
    assert lines[0].startswith("Daemon: NOT SEEN since 2026-11-26 03:00 CET (1h ago) · ")
    assert " · NOT SEEN since 2026-11-26 03:00 CET (1h ago) · started " in lines[1]
    with caplog.at_level(logging.ERROR, logger="watchtower.cli"):
        assert nobody_polling(report) is True
    [said] = caplog.records
    assert said.getMessage() == "no watchtower seen polling recently"
    assert getattr(said, FIELDS)["hint"].startswith("start the service")


def test_a_running_daemon_on_a_full_disk_shows_running(config: Path, tmp_path: Path) -> None:
    """A guard: a recent heartbeat (a write in place that still fitted) is running."""
    db = Database(f"sqlite:///{tmp_path / 'watchtower.db'}")
    try:
        Heartbeat("watchtower.toml", timedelta(seconds=30), NOW).start(db, NOW)
    finally:
        db.dispose()
    report = report_on(config, 400 * KiB)
    first = render_report(report, NOW).splitlines()[0]
    assert first.startswith("Daemon: running (1 instance, last heartbeat 0s ago)"), first
    assert nobody_polling(report) is False


def test_an_older_process_not_seen_is_not_explained_by_the_full_disk(
    config: Path, tmp_path: Path
) -> None:
    """Only the latest process can have been cut off by the disk: one that stopped
    beating a day ago (a crash, then a restart) stays "NOT SEEN"."""
    a_day_ago = NOW - timedelta(days=1)
    db = Database(f"sqlite:///{tmp_path / 'watchtower.db'}")
    try:
        Heartbeat("watchtower.toml", timedelta(seconds=30), a_day_ago).start(db, a_day_ago)
    finally:
        db.dispose()
    lines = render_report(report_on(config, 400 * KiB), NOW).splitlines()
    assert lines[0].startswith("Daemon: heartbeat cannot be written: disk full (last heartbeat ")
    assert "(heartbeat cannot be written: disk full)" in lines[1]
    assert " · NOT SEEN since 2026-11-25 04:00 CET (1d ago) · started " in lines[2], lines[2]
