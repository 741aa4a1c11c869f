"""The commands that read or migrate the database without running the daemon:
``status`` (read-only: never creates, migrates or writes), ``db upgrade`` and
``db downgrade`` (refused while a daemon's heartbeat says it runs, unless ``--force``);
``db backup``, ``db restore`` and ``db vacuum`` live in :mod:`watchtower.cli_db_files`.

``status`` gathers :mod:`watchtower.status_report` and prints it as JSON, as
tables or as :mod:`watchtower.status_text`; it exits 1 when nobody polls, or
when the disk holding a SQLite database is full. When
the config file itself is refused (the daemon keeps running on its last good
one), it shows the database's side all the same.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import sqlalchemy.exc

from watchtower.cli import EXIT_CONFIG, EXIT_FAILURE, load_args
from watchtower.cli_db_files import (
    add_file_commands,
    cmd_db_backup,
    cmd_db_restore,
    cmd_db_vacuum,
)
from watchtower.daemon_census import Daemons, daemons_of
from watchtower.errors import ConfigError, SchemaMismatch
from watchtower.logs import kv
from watchtower.status_daemons import daemon_liveness
from watchtower.status_report import refused_config, status_report
from watchtower.status_text import (
    daemon_line,
    database_line,
    render_report,
    shown_sources,
    target_lines,
)

if TYPE_CHECKING:
    from watchtower.config import LoadedConfig

# The report and its text moved to status_report and status_text, the census of
# the daemons to daemon_census; these names stay importable from here.
__all__ = [
    "Daemons",
    "add_file_commands",
    "cmd_db_backup",
    "cmd_db_downgrade",
    "cmd_db_restore",
    "cmd_db_upgrade",
    "cmd_db_vacuum",
    "cmd_status",
    "daemon_line",
    "daemon_liveness",
    "daemons_of",
    "database_line",
    "disk_full",
    "no_database_hint",
    "nobody_polling",
    "refused_config_database",
    "render_report",
    "shown_sources",
    "status_report",
    "target_lines",
]

log = logging.getLogger("watchtower.cli")

UPGRADE_HINT = "the service migrates it when it starts; or run `watchtower db upgrade`"


def cmd_status(args: argparse.Namespace) -> int:
    from watchtower.app import utcnow
    from watchtower.storage.db import Database, head_revision

    loaded: LoadedConfig | None = None
    refused: dict[str, Any] | None = None
    try:
        valid = load_args(args)
    except ConfigError as exc:
        if args.live:
            raise
        # The daemon keeps running on its last good config: what the database
        # says (and that this file was refused) matters most now.
        database_url = refused_config_database(args, exc)
        refused = refused_config(config_path(args), exc)  # and its times' zone
    else:
        if args.live:
            return _live_check(valid)
        loaded, database_url = valid, valid.database_url
    # Read-only: a wrong path or a missing WATCHTOWER_DATABASE_URL must fail, not
    # create an empty, healthy-looking database; and status never migrates.
    db = Database(database_url, readonly=True)
    try:
        revision = db.existing_revision()  # NoDatabase, or SchemaMismatch if newer
        head = head_revision()
        if revision != head:  # not migrated yet (the service not restarted since)
            log.warning(
                f"the database schema {revision} is older than this watchtower (latest {head})",
                extra=kv(hint=UPGRADE_HINT),
            )
        try:
            with db.session() as session:
                report = status_report(
                    session,
                    loaded,
                    utcnow(),
                    schema=(revision, head),
                    database_url=database_url,
                    refused=refused,
                )
        except sqlalchemy.exc.DatabaseError as exc:
            if revision == head:
                raise
            raise SchemaMismatch(
                f"the database schema {revision} is older than this watchtower (latest {head}) "
                "and status cannot read it",
                hint=UPGRADE_HINT,
            ) from exc
    finally:
        db.dispose()
    report["daemon"].update(daemon_liveness(loaded.config.watchtower.http if loaded else None))
    if args.json:
        print(json.dumps(report, indent=2, ensure_ascii=False, default=_iso))
    elif sys.stdout.isatty():  # a table for people; stable plain text for scripts
        from watchtower.progress import print_report

        print_report(report, utcnow(), every_source=args.all)
    else:
        print(render_report(report, utcnow(), every_source=args.all))
    full = disk_full(report)
    if nobody_polling(report) or full:
        return EXIT_FAILURE
    return 0 if loaded else EXIT_CONFIG


def _iso(value: object) -> str:
    if isinstance(value, datetime):
        return value.isoformat(timespec="seconds")
    raise TypeError(f"not JSON: {type(value).__name__}")


def _live_check(loaded: LoadedConfig) -> int:
    """``status --live``: one line and an exit status, for Docker's HEALTHCHECK."""
    found = daemon_liveness(loaded.config.watchtower.http)
    if found["live"] is None:
        print("status --live needs [watchtower] http in the config", file=sys.stderr)
        return EXIT_CONFIG
    print(f"{'live' if found['live'] else 'NOT LIVE'}: {found['livez']} {found['detail']}")
    return 0 if found["live"] else EXIT_FAILURE


def nobody_polling(report: dict[str, Any]) -> bool:
    """Whether there are sources to poll and no watchtower has been seen polling
    recently (a daemon's heartbeat within a few poll ticks, a ``run --once`` within a
    day): ``status`` then exits with :data:`EXIT_FAILURE`, and says so on stderr."""
    to_poll = any(s["state"] not in ("disabled", "removed") for s in report["sources"])
    if report["daemon"]["seen"] is not False or not to_poll:
        return False
    blocked = report["daemon"].get("heartbeat_blocked")
    if blocked:  # a full disk refuses the heartbeat too: a restart would not help
        log.error(
            f"no heartbeat seen recently: {blocked}",
            extra=kv(hint="free some space: a running daemon resumes by itself, no restart"),
        )
        return True
    log.error(
        "no watchtower seen polling recently",
        extra=kv(hint="start the service (systemctl start watchtower), or see its log"),
    )
    return True


def disk_full(report: dict[str, Any]) -> bool:
    """Whether the disk holding the SQLite database is too full to store a poll round:
    ``status`` then exits with :data:`EXIT_FAILURE`, and says so on stderr. The
    daemon may still be seen running (its last heartbeat is recent, and a
    heartbeat rewrites a row in place, which may still fit), but it stores
    nothing new until space is freed."""
    from watchtower.status_text import human_size

    database = report["database"] or {}
    if not database.get("disk_full"):
        return False
    log.error(
        "the disk holding the database is full",
        extra=kv(
            folder=database["disk_folder"],
            free=human_size(database["disk_free_bytes"]),
            hint="free some space: watchtower resumes by itself",
        ),
    )
    return True


def config_path(args: argparse.Namespace) -> Path:
    """The config file a command reads: ``--config``, ``$WATCHTOWER_CONFIG``, the default."""
    from watchtower.config import DEFAULT_CONFIG

    return Path(args.config or os.environ.get("WATCHTOWER_CONFIG") or DEFAULT_CONFIG)


def refused_config_database(args: argparse.Namespace, refused: ConfigError) -> str:
    """The database of a config file ``load_config`` refused, so that ``status``
    can still show the daemon (running on its last good config) and that refusal.

    ``WATCHTOWER_DATABASE_URL``, else the file's ``[watchtower] database_url`` when
    the file is TOML at all, else the default next to it. Re-raises ``refused``
    when the file is missing, or unparseable without that variable (its database
    cannot be known). Prints the problems on stderr, as ``check`` does.
    """
    import tomllib

    from watchtower.config_models import WatchtowerSection, resolve_database_url
    from watchtower.redact import redact_text

    path = config_path(args)
    url = os.environ.get("WATCHTOWER_DATABASE_URL")
    if url is None and path.is_file():
        try:
            raw = tomllib.loads(path.read_bytes().decode("utf-8", "replace").lstrip("\ufeff"))
        except tomllib.TOMLDecodeError:
            raw = None
        section = raw.get("watchtower") if raw is not None else None
        if raw is not None:
            found = section.get("database_url") if isinstance(section, dict) else None
            default = WatchtowerSection.model_fields["database_url"].default
            url = found if isinstance(found, str) else default
    if url is None or not path.is_file():
        raise refused
    for problem in refused.problems:
        print(redact_text(str(problem)), file=sys.stderr)
    log.warning(
        "config file refused (see above): status shows what the database says",
        extra=kv(config=str(path)),
    )
    return resolve_database_url(url, path.resolve().parent)


def cmd_db_upgrade(args: argparse.Namespace) -> int:
    from watchtower.storage.db import Database

    loaded = load_args(args)
    db = Database(loaded.database_url)
    try:
        before, after = db.upgrade()
    finally:
        db.dispose()
    if before == after:
        print(f"database is up to date (schema {after})")
    elif before is None:
        print(f"database created (schema {after})")
    else:
        print(f"database upgraded from schema {before} to {after}")
    return 0


def cmd_db_downgrade(args: argparse.Namespace) -> int:
    from watchtower.storage.db import Database, revisions

    known = revisions()
    if args.revision not in known:
        print(
            f"unknown schema revision {args.revision!r}: this watchtower knows {', '.join(known)}",
            file=sys.stderr,
        )
        return EXIT_CONFIG
    url = load_args(args).database_url
    reader = Database(url, readonly=True)  # a missing database is an error, not created
    try:
        current = reader.existing_revision()
        going_back = known.index(args.revision) < known.index(current)
        found = daemons_of(reader, current) if going_back and not args.force else Daemons([], [])
    finally:
        reader.dispose()
    if known.index(args.revision) > known.index(current):
        print(
            f"the database is at schema {current}, older than {args.revision}: "
            "to go forward, use `watchtower db upgrade`",
            file=sys.stderr,
        )
        return EXIT_CONFIG
    if args.revision == current:
        print(f"database is already at schema {current}")
        return 0
    if found.running:  # step 1 of the way back (README: Upgrades and rollbacks)
        print(found.refusal("this database", "it fails on the older schema"), file=sys.stderr)
        return EXIT_FAILURE
    for gone in found.gone:  # why the way is free although a heartbeat is recent
        print(gone)
    db = Database(url)
    try:
        before = db.downgrade(args.revision)
    finally:
        db.dispose()
    print(
        f"database downgraded from schema {before} to {args.revision}: now install the "
        f"watchtower whose latest schema is {args.revision}, then start the service"
    )
    return 0


def no_database_hint(args: argparse.Namespace) -> str:
    """Where the URL came from, since the likeliest cause is a shell that is not the service's."""
    created = "the daemon creates its database at its first start"
    if os.environ.get("WATCHTOWER_DATABASE_URL"):
        shell = "the URL is WATCHTOWER_DATABASE_URL's, set in this shell"
        return f"{shell}: is it the service's? ({created})"
    try:
        where = f"the database_url of {load_args(args).path}"
    except Exception:  # only for a message: never a second failure
        where = "the config's database_url"
    return (
        f"the URL is {where}: if the service sets WATCHTOWER_DATABASE_URL "
        f"(systemd EnvironmentFile=, docker -e), set it in this shell too; {created}"
    )
