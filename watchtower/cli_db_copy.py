"""``watchtower db copy FROM_URL``: copy a watchtower database into the configured,
empty one (a SQLite file into PostgreSQL, before adding replicas).

Pointing ``database_url`` at an empty database would make every source's next
poll a first poll (its backlog and undated items announced again) and lose held
digests, Slack threads, spike cooldowns and forum or mailbox cursors; the copy
keeps them. The checks come first, each refusing before anything is written: not
the same database, the source at this version's schema (``db upgrade`` it
first: the copy never writes the source, which stays the way back), the target
empty (read before it is migrated), no daemon running on either side (their
heartbeats, as ``db restore`` reads them). Then the target is migrated and the
rows copied in one transaction (:mod:`watchtower.storage.db_copy`).
"""

from __future__ import annotations

import argparse
import sys

import sqlalchemy.exc
from sqlalchemy.engine import make_url

from watchtower.cli import EXIT_CONFIG, EXIT_FAILURE, EXIT_NEWER_SCHEMA, load_args

__all__ = ["COPY_EPILOG", "add_copy_command", "cmd_db_copy", "same_database"]

COPY_EPILOG = """examples:
  systemctl stop watchtower
  sudo -u watchtower watchtower db copy sqlite:////var/lib/watchtower/watchtower.db \\
      --config /etc/watchtower/watchtower.toml
  # then start every replica with database_url pointing at the new database

Copies every table (but the daemons' heartbeats) from FROM_URL into the database
the config (or WATCHTOWER_DATABASE_URL) names, which must be empty: it is
migrated first, then filled in one transaction, and PostgreSQL's id sequences
are moved past the copied ids. FROM_URL is only read. SQLite to PostgreSQL,
PostgreSQL to PostgreSQL and SQLite to SQLite all work. See
docs/moving-to-postgresql.md.

exit status:
  0  copied: every table holds as many rows on both sides (printed)
  1  a daemon's heartbeat says it runs on either database (stop it; --force
     for one killed without stopping), or the copy failed (a row refused, a
     database unreachable): rolled back, the target is left empty
  2  refused: the target is not empty, no watchtower database at FROM_URL, its
     schema is older than this watchtower's (run `watchtower db upgrade` with
     database_url pointing at it first), FROM_URL is the configured database,
     or an invalid configuration
  3  FROM_URL or the target was migrated by a newer watchtower: use that one"""


def add_copy_command(db_sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add ``db copy`` to the ``db`` command's sub-parsers."""
    from watchtower.cli import CONFIG_HELP

    copy = db_sub.add_parser(
        "copy",
        help="copy a watchtower database (a SQLite file) into the configured, empty one "
        "(PostgreSQL), every daemon stopped",
        description="copy every row of the watchtower database at FROM_URL into the "
        "configured database, which must be empty (it is migrated first): items, stories, "
        "the outbox with its held digests, Slack threads, spike alerts and source cursors, "
        "so that nothing is announced again; prints the rows of each table on both sides",
        epilog=COPY_EPILOG,
    )
    copy.add_argument(
        "from_url",
        metavar="FROM_URL",
        help="the database to copy, e.g. sqlite:////var/lib/watchtower/watchtower.db "
        "(four slashes: an absolute path)",
    )
    copy.add_argument("--config", "-c", help=CONFIG_HELP)
    copy.add_argument(
        "--force",
        action="store_true",
        help="copy even if a daemon's recent heartbeat says it still runs on either "
        "database (one killed without stopping)",
    )
    copy.set_defaults(func=cmd_db_copy)


def same_database(first: str, second: str) -> bool:
    """Whether two URLs name the same database (a SQLite file by its resolved path;
    PostgreSQL by host, port, database and options such as a search_path)."""
    from pathlib import Path

    a, b = make_url(first), make_url(second)
    if a.get_backend_name() != b.get_backend_name():
        return False
    if a.get_backend_name() == "sqlite":
        return Path(a.database or ":memory:").resolve() == Path(b.database or ":memory:").resolve()

    def key(url: sqlalchemy.engine.URL) -> tuple[object, ...]:
        return (url.host or "localhost", url.port or 5432, url.database, sorted(url.query.items()))

    return key(a) == key(b)


def cmd_db_copy(args: argparse.Namespace) -> int:
    from watchtower.storage.db import Database, head_revision, shown
    from watchtower.storage.db_copy import CopyFailed, CopyRefused, TableCopy, copy_rows

    target_url = load_args(args).database_url
    source_url = args.from_url
    try:
        same = same_database(source_url, target_url)
    except sqlalchemy.exc.ArgumentError:
        print(f"copy refused: {source_url!r} is not a database URL", file=sys.stderr)
        return EXIT_CONFIG
    if same:
        print(
            f"copy refused: {shown(source_url)} is the configured database itself: set "
            "database_url (or WATCHTOWER_DATABASE_URL) to the new, empty database",
            file=sys.stderr,
        )
        return EXIT_CONFIG
    refused = (
        _check_source(source_url)
        or _check_target(target_url)
        or _check_running(args, source_url, target_url)
    )
    if refused is not None:
        code, message = refused
        print(message, file=sys.stderr)
        return code

    def copied(table: TableCopy) -> None:
        print(f"  {table.table:<16} {table.source:>10} {table.target:>10}", flush=True)

    source = Database(source_url, readonly=True)
    target = Database(target_url)
    try:
        target.upgrade()
        print(f"copying {shown(source_url)} into {shown(target_url)} (schema {head_revision()})")
        print(f"  {'table':<16} {'source':>10} {'target':>10}")
        copy_rows(source.engine, target.engine, copied=copied)
    except CopyRefused as exc:  # a process wrote to it since the check
        print(f"copy refused: {exc}: nothing was written", file=sys.stderr)
        return EXIT_CONFIG
    except CopyFailed as exc:
        print(
            f"copy failed, rolled back (the target is left empty): {exc}",
            file=sys.stderr,
        )
        return EXIT_FAILURE
    finally:
        source.dispose()
        target.dispose()
    print(
        "copy done, rows equal on both sides (the daemons' heartbeats are not copied): "
        f"start watchtower with database_url pointing at {shown(target_url)}; keep "
        f"{shown(source_url)} as it is until all is well"
    )
    return 0


def _check_source(url: str) -> tuple[int, str] | None:
    """Why the database at ``url`` cannot be copied (exit status, message), if so."""
    from watchtower.errors import DatabaseUnavailable, NoDatabase, SchemaNewer
    from watchtower.storage.db import Database, head_revision, shown

    reader = Database(url, readonly=True)
    try:
        revision = reader.existing_revision()
    except NoDatabase:
        return EXIT_CONFIG, f"copy refused: no watchtower database at {shown(url)}"
    except SchemaNewer as exc:
        return EXIT_NEWER_SCHEMA, f"copy refused: {shown(url)}: {exc}"
    except (DatabaseUnavailable, sqlalchemy.exc.DatabaseError) as exc:
        return EXIT_FAILURE, f"copy failed: cannot read {shown(url)}: {_reason(exc)}"
    finally:
        reader.dispose()
    if revision != head_revision():
        # Not migrated here: the copy only reads the source, which stays the way
        # back to the version that wrote it.
        return EXIT_CONFIG, (
            f"copy refused: {shown(url)} is at schema {revision}, older than this "
            f"watchtower's {head_revision()}: run `watchtower db upgrade` with database_url "
            "pointing at it first (WATCHTOWER_DATABASE_URL=FROM_URL watchtower db upgrade), "
            "every daemon stopped, then copy again"
        )
    return None


def _check_running(
    args: argparse.Namespace, source_url: str, target_url: str
) -> tuple[int, str] | None:
    """A daemon still running on either database: its later writes to the source
    would be lost, and on the target it would add rows under the copy."""
    from watchtower.daemon_census import census_on
    from watchtower.storage.db import shown

    if args.force:
        return None
    for side, url in (("FROM_URL", source_url), ("the target", target_url)):
        found, unknown = census_on(url)
        if unknown:
            return EXIT_FAILURE, (
                f"cannot tell whether a watchtower runs on {side} {shown(url)} ({unknown}): "
                "stop every one (systemctl stop watchtower), then pass --force"
            )
        if found.running:
            return EXIT_FAILURE, found.refusal(f"{side} {shown(url)}")
        for gone in found.gone:  # why the way is free although a heartbeat is recent
            print(gone)
    return None


def _check_target(url: str) -> tuple[int, str] | None:
    """Why the configured database cannot receive the copy, read before it is
    migrated: a database holding rows is never touched."""
    from watchtower.errors import DatabaseUnavailable, NoDatabase, SchemaNewer
    from watchtower.storage.db import Database, shown
    from watchtower.storage.db_copy import rows_in

    reader = Database(url, readonly=True)
    try:
        reader.existing_revision()
        with reader.engine.connect() as connection:
            found = {name: count for name, count in rows_in(connection).items() if count}
    except NoDatabase:
        return None
    except SchemaNewer as exc:
        return EXIT_NEWER_SCHEMA, f"copy refused: {shown(url)}: {exc}"
    except (DatabaseUnavailable, sqlalchemy.exc.DatabaseError) as exc:
        return EXIT_FAILURE, f"copy failed: cannot read {shown(url)}: {_reason(exc)}"
    finally:
        reader.dispose()
    if found:
        rows = ", ".join(f"{name} {count}" for name, count in found.items())
        return EXIT_CONFIG, (
            f"copy refused: the target {shown(url)} is not empty ({rows}): the copy goes "
            "into an empty database only: point database_url at a new one (PostgreSQL: "
            "dropdb and createdb it again if a daemon started on it too early)"
        )
    return None


def _reason(exc: Exception) -> str:
    lines = str(getattr(exc, "orig", None) or exc).strip().splitlines()
    return lines[0] if lines else type(exc).__name__
