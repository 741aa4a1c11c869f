"""What ``retention`` does to the SQLite file on disk: the WAL goes back to its
limit after a big transaction, pruned pages are reused, and ``watchtower db
vacuum`` gives them back to the file system. Sizes, never timings."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select

from tests.unit.storage.bulk_items import add_items
from watchtower.cli import main
from watchtower.storage.db import Database
from watchtower.storage.queries import cleanup
from watchtower.storage.tables import ItemRow

MiB = 1024 * 1024
#: watchtower.storage.sqlite_space.WAL_SIZE_LIMIT (written out: the old tree has none).
WAL_LIMIT = 8 * MiB
RECENT = datetime(2026, 11, 26, 9, 0, tzinfo=UTC)


def size(path: Path) -> int:
    return path.stat().st_size if path.exists() else 0


@pytest.fixture
def db(tmp_path: Path) -> Iterator[Database]:
    database = Database(f"sqlite:///{tmp_path / 'watchtower.db'}")
    database.upgrade()
    yield database
    database.dispose()


def test_the_wal_goes_back_to_its_limit_after_a_big_transaction(
    db: Database, tmp_path: Path
) -> None:
    wal = tmp_path / "watchtower.db-wal"
    add_items(db, 300, size=100_000)  # a burst of 30 MB in one transaction
    assert size(wal) > 25 * MiB  # the WAL holds it all, and is checkpointed on commit
    add_items(db, 1, start=300)  # the next writes start the WAL again from its start
    add_items(db, 1, start=301)
    assert size(wal) <= WAL_LIMIT + 64 * 1024


def _prune_all_but_recent(db: Database) -> int:
    with db.writing() as session:
        _, pruned = cleanup(session, RECENT - timedelta(days=3))
    return pruned


def _fill(db: Database, count: int, *, start: int = 0) -> None:
    for first in range(start, start + count, 500):  # a few days of polls
        add_items(db, 500, start=first, fetched=RECENT - timedelta(days=10))
    add_items(db, 10, start=start + count, fetched=RECENT)  # still listed: kept


def test_pruned_pages_are_reused_so_the_file_stops_growing(db: Database, tmp_path: Path) -> None:
    """A guard (passes before the change too): what the docs promise."""
    path = tmp_path / "watchtower.db"
    _fill(db, 3000)
    full = size(path)
    assert _prune_all_but_recent(db) == 3000
    assert size(path) >= full * 0.9  # pruning alone gives nothing back
    _fill(db, 3000, start=10_000)  # the next days' items fill the free pages
    assert size(path) <= full * 1.1


def test_db_vacuum_gives_the_pruned_space_back(
    db: Database, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "watchtower.db"
    config = tmp_path / "watchtower.toml"
    config.write_text(
        f'[watchtower]\ndatabase_url = "sqlite:///{path}"\n'
        '[[brands]]\nname = "Acmé"\nterms = ["Acmé"]\n',
        "utf-8",
    )
    _fill(db, 3000)
    full = size(path)
    assert full > 6_000_000
    assert _prune_all_but_recent(db) == 3000
    assert size(path) >= full * 0.9

    # The daemon's engine stays open meanwhile (idle between its jobs).
    assert main(["db", "vacuum", "--config", str(config)]) == 0
    out = capsys.readouterr().out
    # The total on disk leads (file + WAL: recent writes sit in the WAL).
    said = re.match(
        rf"database vacuumed: {re.escape(str(path))} ([\d.]+) MB -> ([\d.]+) MB on disk "
        r"\(file ([\d.]+) MB -> ([\d.]+) MB, WAL ([\d.]+) MB -> ([\d.]+) MB; ",
        out,
    )
    assert said, out
    total_before, total_after, file_before, file_after, wal_before, wal_after = map(
        float, said.groups()
    )
    assert abs(total_before - (file_before + wal_before)) <= 0.1
    assert abs(total_after - (file_after + wal_after)) <= 0.1
    assert total_after < total_before
    assert size(path) < full / 5
    assert size(tmp_path / "watchtower.db-wal") == 0
    with db.session() as session:
        assert session.scalar(select(func.count()).select_from(ItemRow)) == 10
    add_items(db, 1, start=99_999)  # and the daemon goes on writing
