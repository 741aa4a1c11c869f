"""Engine creation and migrations.

SQLite is the embedded default: WAL journal (readers never block the writer)
and a busy timeout (concurrent writers wait instead of failing). SQLite has
one writer at a time anyway, so the poll threads queue for it on an in-process
lock (:meth:`Database.writing`): a thread waiting on SQLite's busy handler
sleeps in growing steps (up to 100 ms) and would hold a pooled connection
meanwhile. PostgreSQL is used as-is; several replicas share it through
``FOR UPDATE SKIP LOCKED``.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager, nullcontext
from importlib import resources
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config as AlembicConfig
from sqlalchemy import Engine, create_engine, event, text
from sqlalchemy.orm import Session, sessionmaker

from watchtower.errors import DatabaseUnavailable

log = logging.getLogger("watchtower.db")


def make_engine(url: str) -> Engine:
    """An engine tuned for the backend (WAL + busy_timeout on SQLite)."""
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url[len("postgresql://") :]
    if url.startswith("sqlite"):
        path = url.split("///", 1)[-1]
        if path and path != ":memory:":
            try:
                Path(path).parent.mkdir(parents=True, exist_ok=True)
            except OSError as exc:
                raise DatabaseUnavailable(
                    f"cannot create the folder of {path}: {exc.strerror or exc}"
                ) from None
        engine = create_engine(url, connect_args={"timeout": 30, "check_same_thread": False})

        @event.listens_for(engine, "connect")
        def _pragmas(dbapi_connection: Any, _record: Any) -> None:
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA busy_timeout=30000")
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute("PRAGMA synchronous=NORMAL")
            cursor.close()

        return engine
    return create_engine(url, pool_pre_ping=True, pool_size=10, max_overflow=20)


def is_postgres(engine: Engine) -> bool:
    return engine.dialect.name == "postgresql"


def alembic_config(engine: Engine) -> AlembicConfig:
    script_location = str(resources.files("watchtower.migrations"))
    cfg = AlembicConfig()
    cfg.set_main_option("script_location", script_location)
    cfg.attributes["engine"] = engine
    return cfg


#: The advisory lock id that serialises migrations between replicas ("wtmig").
MIGRATION_LOCK = 0x77746D6967


def upgrade(engine: Engine) -> None:
    """Apply every pending migration (idempotent; safe on each start).

    On PostgreSQL, replicas started together take turns (a transaction-level
    advisory lock): the first migrates, the others then find nothing to do
    instead of racing to create the same tables.
    """
    with engine.begin() as connection:
        if is_postgres(engine):
            connection.execute(text("SELECT pg_advisory_xact_lock(:id)"), {"id": MIGRATION_LOCK})
        cfg = alembic_config(engine)
        cfg.attributes["connection"] = connection
        command.upgrade(cfg, "head")


class Database:
    """The engine and a session factory for one database URL."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.engine = make_engine(url)
        self.sessions = sessionmaker(self.engine, expire_on_commit=False)
        self._write_lock: AbstractContextManager[object] = (
            nullcontext() if self.postgres else threading.Lock()
        )

    @property
    def postgres(self) -> bool:
        return is_postgres(self.engine)

    def upgrade(self) -> None:
        upgrade(self.engine)

    @contextmanager
    def session(self) -> Iterator[Session]:
        """A session in a transaction: committed on success, rolled back on error."""
        with self.sessions() as session, session.begin():
            yield session

    @contextmanager
    def writing(self) -> Iterator[Session]:
        """A :meth:`session` for a write transaction; on SQLite, one such at a time.

        The lock is taken before the pooled connection, so threads queued for
        the single SQLite writer hold no connection while they wait.
        """
        with self._write_lock, self.session() as session:
            yield session

    def dispose(self) -> None:
        self.engine.dispose()
