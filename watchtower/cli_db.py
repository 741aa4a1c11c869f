"""The commands that read or migrate the database without running the daemon:
``status`` (read-only: never creates, migrates or writes), ``db upgrade`` and
``db downgrade``."""

from __future__ import annotations

import argparse
import logging
import os
import sys

import sqlalchemy.exc

from watchtower.cli import EXIT_CONFIG, load_args
from watchtower.errors import SchemaMismatch
from watchtower.logs import kv

log = logging.getLogger("watchtower.cli")

UPGRADE_HINT = "the service migrates it when it starts; or run `watchtower db upgrade`"


def cmd_status(args: argparse.Namespace) -> int:
    from watchtower.app import utcnow
    from watchtower.health import render_status
    from watchtower.storage.db import Database, head_revision

    # Read-only: a wrong path or a missing WATCHTOWER_DATABASE_URL must fail, not
    # create an empty, healthy-looking database; and status never migrates.
    db = Database(load_args(args).database_url, readonly=True)
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
                if sys.stdout.isatty():  # a table for people; stable plain text for scripts
                    from watchtower.progress import print_status

                    print_status(session, utcnow())
                else:
                    print(render_status(session, utcnow()))
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
    return 0


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
