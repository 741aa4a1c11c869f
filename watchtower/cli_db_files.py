"""``watchtower db backup``, ``db restore`` and ``db vacuum``: the SQLite file an
operator keeps.

``db backup PATH`` writes an online, checked copy while the daemon runs
(:mod:`watchtower.storage.sqlite_backup`): no ``sqlite3`` command needed, which
the Docker image and many servers lack. ``db restore BACKUP`` puts one back,
refused while a daemon's heartbeat says it runs (as ``db downgrade``), keeping
the replaced file (:mod:`watchtower.storage.sqlite_restore`). ``db vacuum``
gives the file's free pages back to the file system
(:mod:`watchtower.storage.sqlite_space`). On PostgreSQL each says what to use
instead (``pg_dump``, ``pg_restore``, autovacuum) and runs nothing: a password
is never printed, and no other program is started. ``db copy FROM_URL`` (a SQLite
file into PostgreSQL) is added with them, from :mod:`watchtower.cli_db_copy`.
"""

from __future__ import annotations

import argparse
import os
import shlex
import sys
from pathlib import Path

from sqlalchemy.engine import URL, make_url

from watchtower.cli import EXIT_CONFIG, EXIT_FAILURE, load_args
from watchtower.daemon_census import census_on

__all__ = [
    "add_file_commands",
    "census_on",
    "cmd_db_backup",
    "cmd_db_restore",
    "cmd_db_vacuum",
    "pg_dump_hint",
]

BACKUP_EPILOG = """examples:
  watchtower db backup /var/backups/watchtower/before-upgrade.db
  watchtower db backup /var/backups/watchtower/     # watchtower-YYYYMMDD-HHMMSS.db there
  docker exec watchtower watchtower db backup /data/backup.db

Runs while the daemon writes: the copy is one consistent snapshot, written to a
hidden temporary file, checked (PRAGMA integrity_check), then renamed. It is a
plain SQLite file: put it back with `watchtower db restore PATH`, the daemon
stopped.

exit status:
  0  the backup is written and checked
  1  it failed (folder missing or not writable, disk full, database locked for
     longer than --wait, a copy that fails its check, no database): nothing is
     left under PATH; a missing folder is not created (mkdir -p it first)
  2  refused: PATH exists (without --force), a PostgreSQL database (use
     pg_dump: the command to run is printed), or an invalid configuration"""

RESTORE_EPILOG = """examples:
  systemctl stop watchtower
  sudo -u watchtower watchtower db restore /var/backups/watchtower/before-upgrade.db
  systemctl start watchtower

Checks the backup (integrity, a schema this watchtower can run: an older one
is migrated when the service starts), then swaps it in; the replaced database
(with its -wal) is kept as NAME.before-restore-YYYYMMDD-HHMMSS. What happened
since the backup is lost.

exit status:
  0  restored
  1  a daemon's heartbeat says it still runs on the database (--force for one
     killed without stopping), or the backup fails its check or cannot be
     copied: the database is untouched
  2  refused: no backup there, not a watchtower database, a PostgreSQL
     database (use pg_restore), or an invalid configuration
  3  the backup was written by a newer watchtower: restore it with that one"""

VACUUM_EPILOG = """examples:
  watchtower db vacuum --config /etc/watchtower/watchtower.toml

Pruned rows leave free pages that new items reuse, so the file stops growing,
but never shrinks by itself. After lowering [watchtower] retention, or a burst
of items, VACUUM rebuilds it without them. It may run while the daemon does
(whose writes wait meanwhile) and needs free space for a copy of the database.

exit status:
  0  done (the sizes before and after are printed)
  1  it failed (not enough free space, locked for longer than --wait): nothing
     changed
  2  a PostgreSQL database (its autovacuum does this), or an invalid configuration"""


def add_file_commands(db_sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add ``db backup``, ``db restore``, ``db vacuum`` and ``db copy`` to the ``db``
    command's sub-parsers."""
    from watchtower.cli import CONFIG_HELP
    from watchtower.cli_db_copy import add_copy_command

    backup = db_sub.add_parser(
        "backup",
        help="copy the SQLite database, while the daemon runs, to a checked file",
        description="write a consistent copy of the SQLite database to PATH while the daemon "
        "runs, check it and print its size, schema and rows (for PostgreSQL, prints the "
        "pg_dump command to use)",
        epilog=BACKUP_EPILOG,
    )
    backup.add_argument("path", metavar="PATH", help="the file to write, or a folder")
    backup.add_argument("--config", "-c", help=CONFIG_HELP)
    backup.add_argument("--force", action="store_true", help="replace PATH if it exists")
    backup.add_argument(
        "--wait",
        type=float,
        default=30.0,
        metavar="SECONDS",
        help="how long to retry a database another process locks (default 30)",
    )
    backup.set_defaults(func=cmd_db_backup)
    restore = db_sub.add_parser(
        "restore",
        help="put a `db backup` copy back in place of the SQLite database (daemon stopped)",
        description="replace the SQLite database with BACKUP (a file `watchtower db backup` "
        "wrote), after checking it; refused while a daemon's heartbeat says it runs; the "
        "replaced database is kept next to it",
        epilog=RESTORE_EPILOG,
    )
    restore.add_argument("backup", metavar="BACKUP", help="the backup file to restore")
    restore.add_argument("--config", "-c", help=CONFIG_HELP)
    restore.add_argument(
        "--force",
        action="store_true",
        help="restore even if a daemon's recent heartbeat says it still runs (one killed "
        "without stopping), or the database is too damaged to tell",
    )
    restore.add_argument(
        "--wait",
        type=float,
        default=30.0,
        metavar="SECONDS",
        help="how long to retry a backup file another process locks (default 30)",
    )
    restore.set_defaults(func=cmd_db_restore)
    vacuum = db_sub.add_parser(
        "vacuum",
        help="give the SQLite file's free space back (after lowering retention)",
        description="rebuild the SQLite database without its free pages (what pruned rows "
        "left) and truncate its WAL, printing the sizes before and after",
        epilog=VACUUM_EPILOG,
    )
    vacuum.add_argument("--config", "-c", help=CONFIG_HELP)
    vacuum.add_argument(
        "--wait",
        type=float,
        default=30.0,
        metavar="SECONDS",
        help="how long to wait for the daemon's write in progress (default 30)",
    )
    vacuum.set_defaults(func=cmd_db_vacuum)
    add_copy_command(db_sub)  # its own module: a whole database into another


def _sqlite_path(url: URL) -> Path | None:
    """The database file of a SQLite URL; None for PostgreSQL."""
    if url.get_backend_name() != "sqlite":
        return None
    return Path(url.database or ":memory:")


def pg_dump_hint(url: str, target: str) -> str:
    """The ``pg_dump`` command for the configured database, its password left out."""
    parsed = make_url(url)
    libpq = URL.create(  # URL.set(password=None) would keep the password
        "postgresql",
        username=parsed.username,
        host=parsed.host,
        port=parsed.port,
        database=parsed.database,
        query=parsed.query,
    )
    uri = libpq.render_as_string(hide_password=False)
    password = " (the password: PGPASSWORD or ~/.pgpass)" if parsed.password else ""
    return (
        "watchtower db backup copies SQLite files; this database is PostgreSQL: "
        f"back it up with pg_dump{password}, for example:\n"
        f"  pg_dump --format=custom --file={shlex.quote(target)} {shlex.quote(uri)}\n"
        "and restore it with pg_restore --clean --dbname=URL FILE, the daemon stopped"
    )


def cmd_db_backup(args: argparse.Namespace) -> int:
    from watchtower.storage.sqlite_backup import BackupFailed, BackupRefused, backup_sqlite

    url = load_args(args).database_url
    path = _sqlite_path(make_url(url))
    if path is None:
        print(pg_dump_hint(url, args.path), file=sys.stderr)
        return EXIT_CONFIG
    target = Path(args.path)
    # "PATH/" names a folder; otherwise the file's folder. Not created here: a typo
    # run as root would leave a folder nobody asked for (and a backup nobody
    # finds), so the message says how to create it.
    folder = target if args.path.endswith(("/", os.sep)) else target.parent
    if not folder.is_dir():
        why = (
            f"{folder} is a file, not a folder"
            if folder.exists()
            else f"the folder {folder} does not exist: create it first "
            f"(mkdir -p {shlex.quote(str(folder))}), or give a folder that exists"
        )
        print(f"backup failed: {why}", file=sys.stderr)
        return EXIT_FAILURE
    try:
        copy = backup_sqlite(path, target, force=args.force, wait=args.wait)
    except BackupRefused as exc:
        print(f"backup refused: {exc}", file=sys.stderr)
        return EXIT_CONFIG
    except BackupFailed as exc:
        print(f"backup failed: {exc}", file=sys.stderr)
        return EXIT_FAILURE
    rows = ", ".join(f"{table} {count}" for table, count in copy.rows.items())
    print(
        f"backup written: {copy.path} ({_mb(copy.size)}, schema {copy.revision or 'none'}, "
        "integrity ok)"
    )
    print(f"rows: {rows or 'no tables'}")
    return 0


def cmd_db_restore(args: argparse.Namespace) -> int:
    from watchtower.cli import EXIT_NEWER_SCHEMA
    from watchtower.errors import SchemaNewer
    from watchtower.storage.db import head_revision
    from watchtower.storage.sqlite_backup import BackupFailed, BackupRefused
    from watchtower.storage.sqlite_restore import restore_sqlite

    url = load_args(args).database_url
    path = _sqlite_path(make_url(url))
    if path is None:
        print(
            "watchtower db restore puts back SQLite files; this database is PostgreSQL: "
            "stop every watchtower, then pg_restore --clean --dbname=URL FILE",
            file=sys.stderr,
        )
        return EXIT_CONFIG
    if path.exists() and not args.force:
        found, unknown = census_on(url)
        if unknown:
            print(
                f"cannot tell whether a watchtower still runs on {path} ({unknown}): "
                "stop every one (systemctl stop watchtower), then pass --force",
                file=sys.stderr,
            )
            return EXIT_FAILURE
        if found.running:
            otherwise = "it goes on writing to the replaced file"
            print(found.refusal("this database", otherwise), file=sys.stderr)
            return EXIT_FAILURE
        for gone in found.gone:  # why the way is free although a heartbeat is recent
            print(gone)
    try:
        restored, aside = restore_sqlite(Path(args.backup), path, wait=args.wait)
    except SchemaNewer as exc:
        print(f"restore refused: {args.backup}: {exc}", file=sys.stderr)
        return EXIT_NEWER_SCHEMA
    except BackupRefused as exc:
        print(f"restore refused: {exc}", file=sys.stderr)
        return EXIT_CONFIG
    except BackupFailed as exc:
        print(f"restore failed, the database is untouched: {exc}", file=sys.stderr)
        return EXIT_FAILURE
    rows = ", ".join(f"{table} {count}" for table, count in restored.rows.items())
    print(
        f"database restored from {args.backup}: {path} ({_mb(restored.size)}, "
        f"schema {restored.revision})"
    )
    print(f"rows: {rows or 'no tables'}")
    if aside is not None:
        print(f"the replaced database is kept as {aside}: delete it once all is well")
    if restored.revision != head_revision():
        print(f"the service migrates it to schema {head_revision()} when it starts")
    return 0


def cmd_db_vacuum(args: argparse.Namespace) -> int:
    from watchtower.storage.sqlite_space import WAL_SIZE_LIMIT, VacuumFailed, vacuum_sqlite

    url = load_args(args).database_url
    path = _sqlite_path(make_url(url))
    if path is None:
        print(
            "watchtower db vacuum is for SQLite: PostgreSQL's autovacuum reuses the space "
            "pruned rows leave (VACUUM FULL, which locks the tables, is a DBA's call)",
            file=sys.stderr,
        )
        return EXIT_CONFIG
    try:
        before, after = vacuum_sqlite(path, wait=args.wait)
    except VacuumFailed as exc:
        print(f"vacuum failed: {exc}", file=sys.stderr)
        return EXIT_FAILURE
    # The total on disk first: recent writes sit in the WAL, so the file alone
    # can grow ("0.0 MB -> 0.3 MB") while the whole shrinks.
    print(
        f"database vacuumed: {path} {_mb(before.file + before.wal)} -> "
        f"{_mb(after.file + after.wal)} on disk (file {_mb(before.file)} -> "
        f"{_mb(after.file)}, WAL {_mb(before.wal)} -> {_mb(after.wal)}; "
        f"{_mb(before.free)} were free pages)"
    )
    if after.wal > WAL_SIZE_LIMIT:  # a reader (the daemon's) was in the way
        print(
            "a reader kept the WAL from being checkpointed: the daemon does it at its "
            "next writes, and the files shrink then"
        )
    return 0


def _mb(size: int) -> str:
    return f"{size / 1_000_000:.1f} MB"
