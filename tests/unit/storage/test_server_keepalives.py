"""PostgreSQL's own TCP keepalives on watchtower's sessions
(:data:`~watchtower.storage.engines.SERVER_KEEPALIVES`).

A daemon's host that vanishes (power cut, network gone) closes no socket: the
server kept its liveness lock, and any transaction lock, until its keepalives
gave up, 2 h 11 min with Linux defaults. Each session now sets them to about a
minute, unless the database URL's ``options`` chose its own.

Not tested here: a real vanished host (this machine cannot cut a live peer's
network without root and a second network namespace); the tests check that the
server applies the settings to the session's socket, over TCP (127.0.0.1: over
a Unix socket the server ignores them and SHOW says 0).
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import Connection, make_url

from watchtower.storage.db import Database
from watchtower.storage.liveness import LivenessLock

EXPECTED = {
    "tcp_keepalives_idle": "30",
    "tcp_keepalives_interval": "10",
    "tcp_keepalives_count": "3",
    "tcp_user_timeout": "60000",
}


@pytest.fixture
def postgres_url(database_url: str) -> str:
    if not database_url.startswith("postgresql"):
        pytest.skip("PostgreSQL's server-side keepalives")
    return database_url


def with_options(url: str, extra: str) -> str:
    """``url`` whose ``options`` (the test schema's search_path) get ``extra`` too."""
    parsed = make_url(url)
    options = parsed.query["options"]
    assert isinstance(options, str)
    return parsed.update_query_dict({"options": f"{options} {extra}"}).render_as_string(
        hide_password=False
    )


def shown(connection: Connection) -> dict[str, str]:
    return {name: str(connection.exec_driver_sql(f"SHOW {name}").scalar()) for name in EXPECTED}


@pytest.fixture
def lock_on() -> Iterator[list[LivenessLock]]:
    """Liveness locks taken by a test, closed after it."""
    taken: list[LivenessLock] = []
    yield taken
    for lock in taken:
        lock.close()
        lock.engine.dispose()


def take(db: Database, taken: list[LivenessLock]) -> Connection:
    """The connection holding a liveness lock taken on ``db``."""
    lock = LivenessLock(db.engine, "a" * 32)
    taken.append(lock)
    lock.take()
    assert lock._connection is not None
    return lock._connection


def test_the_liveness_session_and_the_pooled_ones_set_them(
    postgres_url: str, lock_on: list[LivenessLock]
) -> None:
    db = Database(postgres_url)
    try:
        assert shown(take(db, lock_on)) == EXPECTED
        with db.engine.connect() as connection:
            assert shown(connection) == EXPECTED
            connection.rollback()  # as the pool does when a connection goes back
        with db.engine.connect() as connection:
            assert shown(connection) == EXPECTED
    finally:
        db.dispose()


def test_the_urls_own_options_win_and_are_kept(
    postgres_url: str, lock_on: list[LivenessLock]
) -> None:
    url = with_options(postgres_url, "-c tcp_keepalives_idle=600")
    schema = make_url(postgres_url).query["options"]
    assert isinstance(schema, str)
    db = Database(url)
    try:
        connection = take(db, lock_on)
        assert shown(connection) == EXPECTED | {"tcp_keepalives_idle": "600"}
        # The search_path the URL sets too: the test's own schema.
        path = connection.exec_driver_sql("SHOW search_path").scalar()
        assert f"-csearch_path={path}" == schema
    finally:
        db.dispose()
