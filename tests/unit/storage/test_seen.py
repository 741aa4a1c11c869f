"""A batch records that its source still lists the items it already knows, cheaply:
``seen_at`` is rewritten at most once per ``SEEN_REFRESH``, in one statement per batch,
and a batch of new items sends no extra statement."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import event, select

from tests.unit.storage.conftest import add_sources
from watchtower.config import Config
from watchtower.models import Item
from watchtower.pipeline.dedup import StoryIndex
from watchtower.pipeline.match import Matcher
from watchtower.pipeline.runner import RunContext, run_batch
from watchtower.storage.db import Database
from watchtower.storage.queries import SEEN_REFRESH
from watchtower.storage.tables import ItemRow, SourceRow

NOW = datetime(2026, 11, 24, 9, 0, tzinfo=UTC)


@pytest.fixture
def db(migrated: Database) -> Database:
    add_sources(migrated, "avis", now=NOW)
    return migrated


@pytest.fixture
def statements(db: Database) -> Iterator[list[str]]:
    """The SQL sent to the database (one entry per execute / executemany)."""
    sent: list[str] = []

    def record(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        sent.append(" ".join(statement.split()))

    event.listen(db.engine, "before_cursor_execute", record)
    yield sent
    event.remove(db.engine, "before_cursor_execute", record)


def review(n: int) -> Item:
    return Item(
        guid=f"r{n}",
        url=f"https://avis.fr/{n}",
        title=f"Avis {n}",
        text=f"Avis numéro {n} sur la Banque Acmé, service client joignable en {n} minutes.",
    )


def poll(db: Database, stories: StoryIndex, now: datetime, items: list[Item]) -> None:
    with db.writing() as session:
        source_id = session.scalar(select(SourceRow.id))
        assert source_id is not None
        run_batch(
            RunContext(Config(), Matcher([], []), stories, session, now), source_id, "avis", items
        )


def seen(db: Database) -> dict[str, datetime | None]:
    with db.session() as session:
        return {guid: at for guid, at in session.execute(select(ItemRow.guid, ItemRow.seen_at))}


def updates(statements: list[str]) -> list[str]:
    return [s for s in statements if s.startswith("UPDATE items")]


def test_known_items_are_marked_seen_once_per_refresh_period(
    db: Database, statements: list[str]
) -> None:
    stories = StoryIndex()
    poll(db, stories, NOW, [review(1), review(2)])
    assert seen(db) == {"r1": NOW, "r2": NOW}  # new items: seen when fetched
    assert updates(statements) == []  # and no statement besides the insert

    statements.clear()
    later = NOW + SEEN_REFRESH - timedelta(minutes=1)
    poll(db, stories, later, [review(1), review(2), review(3)])
    assert seen(db) == {"r1": NOW, "r2": NOW, "r3": later}  # within the period: untouched
    assert updates(statements) == []

    statements.clear()
    day_after = NOW + SEEN_REFRESH + timedelta(minutes=1)
    poll(db, stories, day_after, [review(1), review(2), review(3)])
    # r1 and r2 were last marked over a day ago, r3 a couple of minutes ago.
    assert seen(db) == {"r1": day_after, "r2": day_after, "r3": later}
    assert len(updates(statements)) == 1  # one executemany for the batch

    statements.clear()
    poll(db, stories, day_after + timedelta(minutes=10), [review(1), review(2), review(3)])
    assert updates(statements) == []


def test_a_row_without_seen_at_counts_from_its_fetch(db: Database) -> None:
    """Rows written by a replica that predates migration 0005 have no ``seen_at``."""
    stories = StoryIndex()
    poll(db, stories, NOW, [review(1), review(2)])
    with db.session() as session:
        for row in session.scalars(select(ItemRow)):
            row.seen_at = None

    poll(db, stories, NOW + timedelta(hours=1), [review(1), review(2)])
    assert seen(db) == {"r1": None, "r2": None}  # fetched an hour ago: fresh enough

    later = NOW + SEEN_REFRESH + timedelta(hours=1)
    poll(db, stories, later, [review(1)])
    assert seen(db) == {"r1": later, "r2": None}
