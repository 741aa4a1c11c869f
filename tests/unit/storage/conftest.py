"""A migrated database (SQLite, and PostgreSQL when configured) with named sources."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime

import pytest

from watchtower.storage.db import Database
from watchtower.storage.tables import SourceRow


@pytest.fixture
def migrated(database_url: str) -> Iterator[Database]:
    database = Database(database_url)
    database.upgrade()
    yield database
    database.dispose()


def add_sources(db: Database, *names: str, now: datetime) -> None:
    """RSS sources at ``https://<name>.fr/``, due at ``now``."""
    with db.session() as session:
        for name in names:
            session.add(
                SourceRow(
                    name=name, kind="rss", url=f"https://{name}.fr/", cursor={}, next_check_at=now
                )
            )
