"""Multi-row ``INSERT … ON CONFLICT DO NOTHING RETURNING`` on SQLite and PostgreSQL:
the same rows stored, the same ids returned, whichever form the dialect uses."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from tests.unit.storage.conftest import add_sources
from watchtower.storage.db import Database
from watchtower.storage.insert_returning import (
    insert_ignoring,
    insert_ignoring_many,
    insert_returning_id,
)
from watchtower.storage.tables import ITEMS, OutboxRow, SourceRow

NOW = datetime(2026, 11, 25, 9, 30, 15, 123456, tzinfo=UTC)


@pytest.fixture
def db(migrated: Database) -> Database:
    add_sources(migrated, "a", now=NOW)
    return migrated


def item_row(source_id: int, guid: str, **values: object) -> dict[str, object]:
    row: dict[str, object] = {
        "source_id": source_id,
        "guid": guid,
        "url": f"https://a.fr/{guid}",
        "canonical_url": f"https://a.fr/{guid}",
        "url_hash": "u" * 64,
        "content_hash": "-42",
        "fingerprint": b"\x01\x00\xff" + guid.encode(),
        "story_id": None,
        "title": "Banque Acmé : « prélèvements » en double",
        "text": "Texte\u00a0avec espaces insécables, guillemets ’ et emoji 🏦",
        "author": None,
        "rating": None,
        "lang": None,
        "published_at": None,
        "fetched_at": NOW,
    }
    row.update(values)
    return row


def test_rows_are_stored_exactly_and_conflicts_are_skipped(db: Database) -> None:
    with db.writing() as session:
        source_id = session.scalar(select(SourceRow.id))
        assert source_id is not None
        first = insert_ignoring_many(
            session.connection(),
            ITEMS,
            [
                item_row(
                    source_id,
                    "1",
                    author="Rédaction",
                    rating=1.5,
                    lang="fr",
                    published_at=NOW - timedelta(days=1),
                ),
                item_row(source_id, "2"),
            ],
            ("source_id", "guid"),
            ("guid",),
        )
        assert sorted(guid for _, guid in first) == ["1", "2"]
        # "2" is already stored: only "3" comes back, with a new id.
        again = insert_ignoring_many(
            session.connection(),
            ITEMS,
            [item_row(source_id, "2", title="changed"), item_row(source_id, "3")],
            ("source_id", "guid"),
            ("guid",),
        )
        assert [guid for _, guid in again] == ["3"]
        assert again[0][0] not in {item_id for item_id, _ in first}
        assert (
            insert_ignoring_many(session.connection(), ITEMS, [], ("source_id", "guid"), ()) == []
        )
    with db.session() as session:
        stored = {
            row.guid: row
            for row in session.execute(select(ITEMS).order_by(ITEMS.c.guid)).mappings()
        }
    assert list(stored) == ["1", "2", "3"]
    one, two = stored["1"], stored["2"]
    assert (one["author"], one["rating"], one["lang"]) == ("Rédaction", 1.5, "fr")
    assert one["published_at"] == NOW - timedelta(days=1)
    assert one["fetched_at"] == NOW
    assert one["fingerprint"] == b"\x01\x00\xff1"
    assert two["title"] == "Banque Acmé : « prélèvements » en double"  # not "changed"
    assert two["text"].endswith("emoji 🏦")
    assert (two["author"], two["rating"], two["published_at"]) == (None, None, None)


def test_one_row_inserts_store_what_sqlalchemy_stores(db: Database) -> None:
    """``insert_returning_id`` (its own statement text on SQLite) stores the row, the
    defaults of the columns left out included, as SQLAlchemy's statement does."""
    with db.writing() as session:
        source_id = session.scalar(select(SourceRow.id))
        assert source_id is not None
        [(item_id,)] = insert_ignoring_many(
            session.connection(), ITEMS, [item_row(source_id, "1")], ("source_id", "guid"), ()
        )
        outbox = {
            "item_id": item_id,
            "target": "slack:#veille",
            "status": "pending",
            "severity": "warning",
            "reason": "rule « crise »",
            "payload": {"title": "Acmé", "terms": ["panne"], "n": 1.5, "none": None},
            "attempts": 0,
            "next_attempt_at": NOW,
            "created_at": NOW,
        }
        ids = []
        for key in ("ours", "theirs"):
            values = {**outbox, "dedup_key": key}
            if key == "ours":
                ids.append(insert_returning_id(session, OutboxRow, ("dedup_key", "target"), values))
            else:
                statement = insert_ignoring(
                    db.engine.dialect.name, OutboxRow.__table__, ("dedup_key", "target")
                )
                ids.append(session.connection().execute(statement, values).scalar())
        again = insert_returning_id(
            session, OutboxRow, ("dedup_key", "target"), {**outbox, "dedup_key": "ours"}
        )
        assert again is None
        assert ids[0] is not None and ids[1] is not None and ids[0] != ids[1]
    with db.session() as session:
        ours, theirs = (
            session.execute(select(OutboxRow.__table__).where(OutboxRow.id == i)).mappings().one()
            for i in ids
        )
    assert {**ours, "id": 0, "dedup_key": ""} == {**theirs, "id": 0, "dedup_key": ""}
    assert ours["outcome_unknown"] is False
    assert ours["payload"] == outbox["payload"]
