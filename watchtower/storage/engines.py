"""The SQLAlchemy engines of :class:`~watchtower.storage.db.Database`: one tuned for
the backend (:func:`make_engine`), one that only reads (:func:`readonly_engine`).

SQLite: WAL journal (readers never block the writer; truncated back to
:data:`~watchtower.storage.sqlite_space.WAL_SIZE_LIMIT` once checkpointed) and a
busy timeout (concurrent writers wait instead of failing). PostgreSQL: bounded
connection and keepalive timeouts, so a dead server cannot hold a job; and the
server's keepalives on each session (:data:`SERVER_KEEPALIVES`), so a vanished
daemon host cannot hold its locks for hours.
"""

from __future__ import annotations

import logging
import sqlite3
import urllib.parse
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event, make_url
from sqlalchemy.pool import NullPool

from watchtower.errors import DatabaseUnavailable
from watchtower.logs import kv
from watchtower.storage.sqlite_file import DatabaseFileLost, SqliteFile
from watchtower.storage.sqlite_space import WAL_SIZE_LIMIT

__all__ = [
    "CONNECT_TIMEOUT",
    "KEEPALIVES",
    "KEEPALIVES_COUNT",
    "SERVER_KEEPALIVES",
    "make_engine",
    "readonly_engine",
]

log = logging.getLogger("watchtower.db")


def make_engine(url: str, *, pooled: bool = True, file: SqliteFile | None = None) -> Engine:
    """An engine tuned for the backend (WAL + busy_timeout on SQLite).

    ``pooled=False`` (PostgreSQL): each connection is opened when asked and closed
    when let go, never waiting on a pool (the liveness lock's own connection).
    ``file`` (SQLite): told of each new connection before it is used, which it
    refuses once the path names another file than the first connection opened."""
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
            if file is not None:
                try:
                    file.opened()
                except DatabaseFileLost:
                    dbapi_connection.close()  # opened on another file: never used
                    raise
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA busy_timeout=30000")
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute("PRAGMA synchronous=NORMAL")
            # Without it, the WAL keeps the size of the largest transaction ever
            # (a big prune, a migration): truncated back once checkpointed.
            cursor.execute(f"PRAGMA journal_size_limit={WAL_SIZE_LIMIT}")
            cursor.close()

        return engine
    connect_args = _postgres_timeouts(make_url(url).query)
    if not pooled:
        engine = create_engine(url, poolclass=NullPool, connect_args=connect_args)
    else:
        engine = create_engine(
            url, pool_pre_ping=True, pool_size=10, max_overflow=20, connect_args=connect_args
        )
    event.listen(engine, "connect", _server_keepalives)
    return engine


#: Seconds PostgreSQL has to accept a connection (libpq's own default is for ever).
CONNECT_TIMEOUT = 10
#: TCP keepalives on PostgreSQL connections: a server that vanished without a word
#: (a host powered off, a NAT entry dropped) is noticed after about a minute
#: (idle 30 s, then 3 probes 10 s apart) instead of a query waiting for ever.
KEEPALIVES = {"keepalives": 1, "keepalives_idle": 30, "keepalives_interval": 10}
KEEPALIVES_COUNT = 3


#: The server's side of the same keepalives, set on each session this process
#: opens (PostgreSQL's defaults are the server host's: on Linux 2 h of silence,
#: then 9 probes 75 s apart, 2 h 11 min). A daemon's host that vanishes (power
#: cut, network gone) closes no socket: its sessions, with the liveness lock
#: (:mod:`~watchtower.storage.liveness`) and any lock of a transaction under way
#: (story assignment's), stay until the server gives up on them. With these,
#: about a minute after the last word from that host: idle 30 s, then 3 probes
#: 10 s apart; ``tcp_user_timeout`` (ms, PostgreSQL 12+) bounds the same wait
#: when the server's last reply was never acknowledged (keepalives wait for it,
#: the kernel's retransmissions last about 15 min). Ignored over a Unix socket.
SERVER_KEEPALIVES = {
    "tcp_keepalives_idle": KEEPALIVES["keepalives_idle"],
    "tcp_keepalives_interval": KEEPALIVES["keepalives_interval"],
    "tcp_keepalives_count": KEEPALIVES_COUNT,
    "tcp_user_timeout": 60_000,
}
# One round trip. Only settings still at their default: a value the URL's
# ``options`` (or PGOPTIONS, the role, the server's config) chose wins. A name the
# server does not know (tcp_user_timeout before PostgreSQL 12) matches no row.
# Not given as ``options=-c …`` at connect: PgBouncer refuses unknown startup
# parameters, and a URL's (or PGOPTIONS's) own ``options`` would have to be merged.
_SET_SERVER_KEEPALIVES = (
    "SELECT set_config(s.name, w.value, false) FROM pg_settings s"
    " JOIN (VALUES "
    + ", ".join(f"('{name}', '{value}')" for name, value in SERVER_KEEPALIVES.items())
    + ") AS w(name, value) ON w.name = s.name WHERE s.source = 'default'"
)


def _server_keepalives(dbapi_connection: Any, _record: Any) -> None:
    """Set :data:`SERVER_KEEPALIVES` on a new PostgreSQL session (session-level:
    committed, so the pool's rollbacks keep them)."""
    cursor = dbapi_connection.cursor()
    try:
        cursor.execute(_SET_SERVER_KEEPALIVES)
    finally:
        cursor.close()
    dbapi_connection.commit()


def _postgres_timeouts(query: Any) -> dict[str, Any]:
    """Connection arguments that bound how long a dead or silent server can hold a
    job (the daemon then logs ``database unavailable`` and tries again), unless the
    URL sets its own (``?connect_timeout=30``)."""
    defaults: dict[str, Any] = {
        "connect_timeout": CONNECT_TIMEOUT,
        **KEEPALIVES,
        "keepalives_count": KEEPALIVES_COUNT,
    }
    return {key: value for key, value in defaults.items() if key not in query}


def readonly_engine(url: str) -> Engine:
    """An engine that only reads, and never creates the database (``watchtower status``).

    SQLite: the file opened with ``mode=ro`` (a missing file is an error, not a new
    database). PostgreSQL: every transaction is ``READ ONLY`` (server-side).

    A WAL database (the daemon's) cannot be read without its ``-wal`` and
    ``-shm`` files: ``mode=ro`` creates them, empty, when no daemon has the file
    open, and a read-only connection cannot remove them when it closes, so
    ``status`` on a stopped daemon's database left them behind. ``immutable=1``
    would create nothing, but it also takes no lock and ignores the WAL: a
    daemon starting during the read (its checkpoints rewrite the main file) would
    make status read pages from two moments, and nothing can tell that no
    daemon starts. So reads stay ``mode=ro`` (a live daemon's WAL is read as it
    is), and when the engine is disposed, files this engine saw appear and that
    are still empty (no frame written) are handed back to SQLite itself
    (:func:`_close_as_last`): it deletes them only if no other connection has
    the database open, as a daemon's last connection does when it stops.
    """
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        path = parsed.database or ":memory:"
        uri = f"file:{urllib.parse.quote(path)}?mode=ro"
        if path == ":memory:":  # nothing outlives a process: an empty database
            uri = "file::memory:"
        sidecars = [Path(path + "-wal"), Path(path + "-shm")]
        found: list[bool] = []  # at the first connection: were they there already?

        def connect() -> sqlite3.Connection:
            if not found:
                found.append(any(f.exists() for f in sidecars))
            connection = sqlite3.connect(uri, uri=True, timeout=30, check_same_thread=False)
            connection.execute("PRAGMA busy_timeout=30000")
            return connection

        engine = create_engine("sqlite://", creator=connect, poolclass=NullPool)
        if path != ":memory:":

            @event.listens_for(engine, "engine_disposed")
            def _disposed(_engine: Engine) -> None:
                if found == [False]:  # ours, not a running (or crashed) daemon's
                    _close_as_last(path, sidecars[0])

        return engine
    if parsed.drivername == "postgresql":
        parsed = parsed.set(drivername="postgresql+psycopg")
    connect_args: dict[str, Any] = {}
    if parsed.get_backend_name() == "postgresql":
        options = parsed.query.get("options", "")
        options = " ".join(options) if isinstance(options, tuple) else options
        read_only = f"{options} -c default_transaction_read_only=on".strip()
        parsed = parsed.update_query_dict({"options": read_only})
        connect_args["connect_timeout"] = 10
    return create_engine(parsed, poolclass=NullPool, connect_args=connect_args)


def _close_as_last(path: str, wal: Path) -> None:
    """Let SQLite remove the ``-wal`` and ``-shm`` a read-only connection created.

    A read-write connection that reads, then closes, runs SQLite's own end of a
    WAL database: with the exclusive lock, which it gets only when no other
    connection anywhere has the file open, it checkpoints and deletes both
    files; otherwise it leaves them to whoever has it open. Only for an empty
    ``-wal``: there is nothing to checkpoint, so the database file is not written.
    """
    try:
        if not wal.is_file() or wal.stat().st_size:  # gone, or frames someone wrote
            return
        uri = f"file:{urllib.parse.quote(path)}?mode=rw"  # never creates a database
        connection = sqlite3.connect(uri, uri=True, timeout=0)
        try:
            connection.execute("PRAGMA schema_version").fetchone()
        finally:
            connection.close()
    except (OSError, sqlite3.Error) as exc:  # not writable by this user, locked: left as is
        log.debug("read-only leftovers kept", extra=kv(error=type(exc).__name__))
