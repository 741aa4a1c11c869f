"""Fixtures of the story tests: a migrated database with three RSS sources."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

import pytest

from watchtower.storage.db import Database
from watchtower.storage.tables import SourceRow

#: When the sources were due: their rows need a date, the tests do not read it.
DUE = datetime(2026, 11, 24, 9, 0, tzinfo=UTC)


@pytest.fixture
def db(database_url: str) -> Iterator[Database]:
    """The schema at its head, with sources ``a``, ``b`` and ``c`` (``https://a.fr/``…)."""
    database = Database(database_url)
    database.upgrade()
    with database.session() as session:
        for name in ("a", "b", "c"):
            session.add(
                SourceRow(
                    name=name, kind="rss", url=f"https://{name}.fr/", cursor={}, next_check_at=DUE
                )
            )
    yield database
    database.dispose()
