"""The database (:class:`Database`) and its migrations; its engines: :mod:`.engines`.

SQLite is the embedded default: WAL journal (readers never block the writer;
truncated back to :data:`~watchtower.storage.sqlite_space.WAL_SIZE_LIMIT` once
checkpointed) and a busy timeout (concurrent writers wait instead of failing).
SQLite has one writer at a time anyway, so the poll threads queue for it on an
in-process lock (:meth:`Database.writing`): a thread waiting on SQLite's busy handler
sleeps in growing steps (up to 100 ms) and would hold a pooled connection
meanwhile. PostgreSQL is used as-is; several replicas share it through
``FOR UPDATE SKIP LOCKED``.

Migrations (Alembic, ``migrations/``) run at each start and with ``watchtower db
upgrade``; ``db downgrade`` undoes them before installing an older version. A
database whose schema this version does not know (migrated by a newer
watchtower) is refused with one sentence (:class:`SchemaNewer`), never
migrated. Read-only commands (``status``) open the database with
``Database(url, readonly=True)``: never created, never migrated, never written
(nor left with the empty ``-wal`` and ``-shm`` files reading it creates:
:func:`~watchtower.storage.engines.readonly_engine`).
"""

from __future__ import annotations

import functools
import logging
import threading
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager, nullcontext
from importlib import resources
from pathlib import Path

import sqlalchemy.exc
from alembic import command
from alembic.config import Config as AlembicConfig
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, Engine, make_url, text
from sqlalchemy.orm import Session, sessionmaker

from watchtower.errors import DatabaseUnavailable, NoDatabase, SchemaMismatch, SchemaNewer
from watchtower.logs import kv
from watchtower.storage.engines import make_engine, readonly_engine
from watchtower.storage.sqlite_file import SqliteFile

log = logging.getLogger("watchtower.db")


def is_postgres(engine: Engine) -> bool:
    return engine.dialect.name == "postgresql"


def shown(url: str) -> str:
    """The URL with its password hidden, for messages."""
    return make_url(url).render_as_string(hide_password=True)


def alembic_config(engine: Engine | None = None) -> AlembicConfig:
    script_location = str(resources.files("watchtower.migrations"))
    cfg = AlembicConfig()
    cfg.set_main_option("script_location", script_location)
    if engine is not None:
        cfg.attributes["engine"] = engine
    return cfg


@functools.cache
def revisions() -> tuple[str, ...]:
    """Every schema revision this version knows, oldest first."""
    script = ScriptDirectory.from_config(alembic_config())
    return tuple(reversed([revision.revision for revision in script.walk_revisions()]))


def head_revision() -> str:
    """The schema this version writes (the newest migration)."""
    return revisions()[-1]


def current_revision(connection: Connection) -> str | None:
    """The database's schema revision (None: no watchtower tables). Reads only."""
    return MigrationContext.configure(connection).get_current_revision()


def refuse_newer(revision: str | None) -> None:
    """Raise :class:`SchemaNewer` when a newer watchtower migrated the database."""
    if revision is None or revision in revisions():
        return
    head = head_revision()
    raise SchemaNewer(
        f"the database schema {revision} is newer than this watchtower (latest {head}): "
        "run the newer version, or restore a backup",
        hint=f"to keep this version, stop the service and run `watchtower db downgrade {head}` "
        "with the newer version first (README: Upgrades and rollbacks)",
    )


#: The advisory lock id that serialises migrations between replicas ("wtmig").
MIGRATION_LOCK = 0x77746D6967


@contextmanager
def _migrating(engine: Engine) -> Iterator[Connection]:
    """A connection in a transaction for migrations, serialised between replicas.

    On PostgreSQL, replicas started together take turns (a transaction-level
    advisory lock). On SQLite, foreign keys are off meanwhile: Alembic's batch
    mode rebuilds a table (copy, drop, rename), and dropping ``items`` with
    foreign keys on would delete every mention (``ON DELETE CASCADE``); the
    caller checks them after migrating (:func:`_check_foreign_keys`).

    Either every pending migration is applied or none: PostgreSQL's DDL is
    transactional, and on SQLite the transaction is opened explicitly
    (``BEGIN IMMEDIATE``), since Python's ``sqlite3`` runs ``CREATE``, ``ALTER``
    and ``DROP`` outside any transaction otherwise. A migration killed half-way
    (``kill -9``, a power cut, a full disk) thus leaves the schema it started
    from, and the next ``db upgrade`` or start applies it again from there
    (instead of failing on ``table stories already exists``). ``IMMEDIATE``
    takes the write lock first, so a ``db upgrade`` and a start on the same
    file also take turns.
    """
    sqlite = engine.dialect.name == "sqlite"
    with engine.connect() as connection:
        if sqlite:  # not inside a transaction: SQLite ignores it there
            connection.exec_driver_sql("PRAGMA foreign_keys=OFF")
            connection.commit()
        try:
            with connection.begin():
                if sqlite:
                    connection.exec_driver_sql("BEGIN IMMEDIATE")
                if is_postgres(engine):
                    connection.execute(
                        text("SELECT pg_advisory_xact_lock(:id)"), {"id": MIGRATION_LOCK}
                    )
                yield connection
        finally:
            if sqlite:
                connection.exec_driver_sql("PRAGMA foreign_keys=ON")
                connection.commit()


def _check_foreign_keys(connection: Connection) -> None:
    """After a migration on SQLite (foreign keys were off): say if rows point nowhere.

    A warning, not a failure: rows orphaned before the migration must not stop
    every later start.
    """
    if connection.dialect.name != "sqlite":
        return
    orphans: dict[str, int] = {}
    for table, *_ in connection.exec_driver_sql("PRAGMA foreign_key_check"):
        orphans[table] = orphans.get(table, 0) + 1
    if orphans:
        log.warning(
            "rows point at missing rows after the migration",
            extra=kv(tables=",".join(f"{t}:{n}" for t, n in sorted(orphans.items()))),
        )


def _migrate(connection: Connection, revision: str, *, down: bool = False) -> None:
    cfg = alembic_config(connection.engine)
    cfg.attributes["connection"] = connection
    (command.downgrade if down else command.upgrade)(cfg, revision)
    _check_foreign_keys(connection)


def migration_failed(before: str | None, target: str, error: Exception) -> SchemaMismatch:
    """What an operator reads when a migration failed: it changed nothing (it runs
    in one transaction), why it failed, and what to do about the usual causes."""
    orig = getattr(error, "orig", None) or error
    lines = str(orig).strip().splitlines()
    reason = lines[0] if lines else type(orig).__name__
    if before is None:
        message = f"the database could not be created at schema {target}: {reason}"
    else:
        message = (
            f"the database schema {before} could not be migrated to {target} "
            f"and is left at {before}, unchanged: {reason}"
        )
    again = "then run `watchtower db upgrade` again (or restart the service)"
    low = reason.lower()
    if "full" in low or "no space" in low:
        hint = (
            "free space where the database lives (a migration may copy a whole table, "
            f"so it needs room for the largest one), {again}"
        )
    elif "readonly" in low or "read-only" in low or "permission denied" in low:
        hint = f"the database (and, for SQLite, its folder) must be writable by this user; {again}"
    else:
        hint = (
            f"{again}; if it fails the same way, restore the backup taken before the "
            "upgrade and keep the older watchtower (README: Upgrades and rollbacks)"
        )
    return SchemaMismatch(message, hint=hint)


def upgrade(engine: Engine) -> tuple[str | None, str]:
    """Apply every pending migration (idempotent; safe on each start).

    Returns the schema revisions before and after (before is None for a new
    database). A database migrated by a newer watchtower is refused, untouched.
    A migration that fails (a full disk, a read-only file) changes nothing and
    raises :class:`SchemaMismatch` saying so (:func:`migration_failed`).
    """
    started: list[str | None] = []
    try:
        with _migrating(engine) as connection:
            before = current_revision(connection)
            refuse_newer(before)
            if before != head_revision():
                started.append(before)
                _migrate(connection, "head")
    except sqlalchemy.exc.DBAPIError as exc:
        if not started:  # could not even read the schema: the database is unavailable
            raise
        raise migration_failed(started[0], head_revision(), exc) from exc
    return before, head_revision()


def downgrade(engine: Engine, revision: str) -> str:
    """Undo the migrations after ``revision`` (a revision of :func:`revisions`).

    What they added goes: columns, tables and their rows. Returns the revision
    the database was at. The caller checks that ``revision`` is not newer. A
    downgrade that fails changes nothing, as :func:`upgrade`.
    """
    started = False
    try:
        with _migrating(engine) as connection:
            before = current_revision(connection)
            if before is None:
                raise NoDatabase(
                    f"no database at {engine.url.render_as_string(hide_password=True)}"
                )
            refuse_newer(before)
            if revisions().index(revision) < revisions().index(before):
                started = True
                _migrate(connection, revision, down=True)
    except sqlalchemy.exc.DBAPIError as exc:
        if not started:
            raise
        failed = migration_failed(before, revision, exc)
        failed.hint = failed.hint.replace(
            "watchtower db upgrade", f"watchtower db downgrade {revision}"
        )
        raise failed from exc
    return before


def _sqlite_file(url: str) -> SqliteFile | None:
    """The :class:`SqliteFile` of a SQLite database in a file (None: PostgreSQL, memory)."""
    parsed = make_url(url)
    path = parsed.database if parsed.get_backend_name() == "sqlite" else None
    if not path or path == ":memory:" or path.startswith("file:"):
        return None
    return SqliteFile(path)


class Database:
    """The engine and a session factory for one database URL."""

    def __init__(self, url: str, *, readonly: bool = False) -> None:
        self.url = url
        self.readonly = readonly
        #: The SQLite file this process writes, watched for a deletion or a
        #: replacement under it (:mod:`~watchtower.storage.sqlite_file`).
        self.file = None if readonly else _sqlite_file(url)
        self.engine = readonly_engine(url) if readonly else make_engine(url, file=self.file)
        self.sessions = sessionmaker(self.engine, expire_on_commit=False)
        self._write_lock: AbstractContextManager[object] = (
            nullcontext() if self.postgres else threading.Lock()
        )

    @property
    def postgres(self) -> bool:
        return is_postgres(self.engine)

    def upgrade(self) -> tuple[str | None, str]:
        """Migrate to this version's schema; the revisions before and after."""
        return upgrade(self.engine)

    def downgrade(self, revision: str) -> str:
        """Migrate back to ``revision``; the revision before."""
        return downgrade(self.engine, revision)

    def existing_revision(self) -> str:
        """The schema revision of an existing database that this version can read.

        Raises :class:`NoDatabase` when there is none (a missing SQLite file, or
        no watchtower tables), :class:`SchemaMismatch` when a newer watchtower
        migrated it. Creates and writes nothing with ``readonly=True``.
        """
        missing = NoDatabase(f"no database at {shown(self.url)}")
        parsed = make_url(self.url)
        if parsed.get_backend_name() == "sqlite":
            path = parsed.database or ":memory:"
            if path == ":memory:" or not Path(path).exists():
                raise missing
            if not Path(path).is_file():  # read-only, SQLite would say "disk I/O error"
                raise DatabaseUnavailable(f"unable to open database file: {path} is not a file")
        with self.engine.connect() as connection:
            revision = current_revision(connection)
        if revision is None:
            raise missing
        refuse_newer(revision)
        return revision

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
        with self._write_lock:
            if self.file is not None:  # never into a file its path no longer names
                self.file.check(self.engine)
            with self.session() as session:
                yield session

    def dispose(self) -> None:
        self.engine.dispose()
        if self.file is not None:
            self.file.close()
