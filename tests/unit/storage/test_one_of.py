"""``one_of``: the same rows as ``IN`` on every dialect, and on PostgreSQL one
statement text whatever the number of values (so psycopg can prepare it)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from sqlalchemy import Connection, bindparam, event, literal, or_, select

from tests.unit.storage.conftest import add_sources
from watchtower.storage.db import Database
from watchtower.storage.one_of import fetch_all, one_of
from watchtower.storage.tables import SOURCES

NOW = datetime(2026, 11, 26, 9, 0, tzinfo=UTC)
LONG = "x" * 200  # the longest name a source may have
NAMES = ["acmé", "o'brien", "a,b", 'qu"ote', "{brace}", "NULL", LONG]
BY_NAME = select(SOURCES.c.name).where(one_of(SOURCES.c.name, "names")).order_by(SOURCES.c.name)


@pytest.fixture
def db(migrated: Database) -> Database:
    add_sources(migrated, *NAMES, now=NOW)
    return migrated


@pytest.fixture
def statements(db: Database) -> Iterator[list[str]]:
    seen: list[str] = []

    def record(_conn: Connection, _cursor: object, statement: str, *_args: object) -> None:
        seen.append(statement)

    event.listen(db.engine, "before_cursor_execute", record)
    yield seen
    event.remove(db.engine, "before_cursor_execute", record)


@pytest.mark.parametrize(
    "wanted",
    [[], ["acmé"], NAMES, ["acmé", "absent", "NULL", LONG], ["absent"], [LONG + "y"]],
    ids=["none", "one", "all", "some", "missing", "longer-than-the-column"],
)
def test_one_of_finds_exactly_the_listed_values(db: Database, wanted: list[str]) -> None:
    with db.session() as session:
        found = session.connection().execute(BY_NAME, {"names": wanted}).scalars().all()
    assert found == sorted(set(wanted) & set(NAMES))


def test_statement_text_does_not_grow_with_the_values_on_postgresql(
    db: Database, statements: list[str]
) -> None:
    with db.session() as session:
        for wanted in (NAMES[:1], NAMES[:3], NAMES):
            session.connection().execute(BY_NAME, {"names": wanted}).all()
    texts = {text for text in statements if "FROM sources" in text}
    if db.postgres:
        assert len(texts) == 1, texts
        assert "ANY" in texts.pop()
    else:  # SQLite: one placeholder per value, and no "= 1" that no index serves
        assert len(texts) == 3, texts
        assert all(" IN (" in text and "= 1" not in text for text in texts)


@pytest.mark.parametrize(
    "wanted",
    [[], ["acmé"], NAMES, ["acmé", "absent", "NULL", LONG], NAMES * 3],
    ids=["none", "one", "all", "some", "repeated"],
)
def test_fetch_all_gives_what_execute_gives(db: Database, wanted: list[str]) -> None:
    """On SQLite ``fetch_all`` runs its own statement text: same rows, same types."""
    both = (
        select(SOURCES.c.id, SOURCES.c.name, SOURCES.c.next_check_at, SOURCES.c.enabled)
        .where(
            one_of(SOURCES.c.name, "names"),
            SOURCES.c.next_check_at <= bindparam("now"),
            or_(one_of(SOURCES.c.kind, "kinds"), SOURCES.c.name == literal("NULL")),
        )
        .order_by(SOURCES.c.name)
    )
    params = {"names": wanted, "now": NOW, "kinds": ["rss", "html"]}
    with db.session() as session:
        connection = session.connection()
        expected = [tuple(row) for row in connection.execute(both, params)]
        for _ in range(2):  # the second time from the kept statement text
            found = [tuple(row) for row in fetch_all(connection, both, params)]
            assert found == expected
            assert [type(v) for row in found for v in row] == [
                type(v) for row in expected for v in row
            ]
    assert len(expected) == len(set(wanted) & set(NAMES))
