"""Many items at once, for the tests that measure a SQLite file (its size, its WAL)."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import insert, select

from watchtower.storage.db import Database
from watchtower.storage.tables import ItemRow, SourceRow

FETCHED = datetime(2026, 11, 1, 9, 0, tzinfo=UTC)


def source_id(db: Database, name: str = "presse") -> int:
    """The id of the RSS source ``name``, added if missing."""
    with db.session() as session:
        found = session.scalar(select(SourceRow.id).where(SourceRow.name == name))
        if found is not None:
            return found
        row = SourceRow(
            name=name, kind="rss", url=f"https://{name}.fr/", cursor={}, next_check_at=FETCHED
        )
        session.add(row)
        session.flush()
        return row.id


def add_items(
    db: Database, count: int, *, start: int = 0, size: int = 2000, fetched: datetime = FETCHED
) -> None:
    """``count`` items of ``size`` characters of text each, in one transaction."""
    source = source_id(db)
    rows = [
        {
            "source_id": source,
            "guid": f"g{n}",
            "url": f"https://presse.fr/{n}",
            "title": "Acmé",
            "text": f"{n} " + "x" * size,
            "fetched_at": fetched,
            "seen_at": fetched,
        }
        for n in range(start, start + count)
    ]
    with db.writing() as session:
        session.execute(insert(ItemRow), rows)
