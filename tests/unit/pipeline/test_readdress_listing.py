"""The rows a reload finds claimed (:func:`~watchtower.pipeline.readdress.readdress`
lists them for their sender) are rows of its own database: row ids are per
database, and the list was one for the whole process. A process holding two
databases (the test suite: one per test) took another database's row 1 for
listed, and re-addressed it where its rule was to be asked first (a newer
replica's, a replica naming its target): a test failed or not depending on
the tests run before it (``test_notifier_dns_hang`` after ``test_readdress_in_flight``).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from watchtower.config import Config, load_config
from watchtower.pipeline.readdress import readdress, readdress_row
from watchtower.storage.db import Database
from watchtower.storage.tables import OutboxRow

NOW = datetime(2026, 3, 4, 10, 0, tzinfo=UTC)
OLD, NEW = "console:#ancien", "console:#nouveau"


@pytest.fixture
def databases(tmp_path: Path) -> Iterator[tuple[Database, Database]]:
    made = [Database(f"sqlite:///{tmp_path / f'{name}.db'}") for name in ("un", "deux")]
    for db in made:
        db.upgrade()
    yield made[0], made[1]
    for db in made:
        db.dispose()


@pytest.fixture
def config(write_config: Callable[[str], Path], tmp_path: Path) -> Config:
    path = write_config(
        f"""
[watchtower]
database_url = "sqlite:///{tmp_path / "un.db"}"

[[brands]]
name = "Acmé"
terms = ["Acmé"]

[[rules]]
name = "équipe"
brands = ["Acmé"]
notify = ["{NEW}"]
"""
    )
    return load_config(path).config


def sending(db: Database) -> int:
    """A row being sent to the old target (its sender holds it)."""
    with db.session() as session:
        row = OutboxRow(
            dedup_key="item:0",
            target=OLD,
            status="sending",
            severity="info",
            reason="test",
            payload={"title": "Acmé", "brands": ["Acmé"], "rules": ["équipe"]},
            attempts=1,
            next_attempt_at=NOW,
            created_at=NOW,
            claimed_until=NOW.replace(hour=11),
        )
        session.add(row)
        session.flush()
        return row.id


def status(db: Database, row_id: int) -> str:
    with db.session() as session:
        row = session.get(OutboxRow, row_id)
        assert row is not None
        return row.status


def test_a_row_listed_by_a_reload_is_a_row_of_its_own_database(
    databases: tuple[Database, Database], config: Config
) -> None:
    first, second = databases
    listed, other = sending(first), sending(second)
    assert listed == other  # the same id, in two databases
    with first.writing() as session:
        readdress(session, config, NOW)  # the reload on the first: its row is listed

    # The second's row, for a target its config does not name while a newer
    # replica runs: sent as addressed, not taken for the first's listed row.
    assert not readdress_row(
        second, config, NOW, other, claimed=True, target=OLD, elsewhere=lambda target: "newer"
    )
    assert status(second, other) == "sending"
    # The first's row is moved by its sender, as listed.
    assert readdress_row(first, config, NOW, listed, claimed=True, target=OLD)
    assert status(first, listed) == "skipped"
