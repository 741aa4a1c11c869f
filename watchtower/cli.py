"""Command line: one thin function per command.

``watchtower init|run|check|status|schema|demo|db upgrade|db downgrade`` (``--config
PATH``, default ``$WATCHTOWER_CONFIG`` or ``./watchtower.toml``). Exit codes: 0 ok,
2 invalid configuration or usage (a ``run --once`` whose every enabled source is
still a placeholder too: nothing is fetched until the config is edited), 3 a
database schema from a newer version (which no restart fixes: systemd's
``RestartPreventExitStatus``), 1 another failure
(database unreachable or missing, a failed migration, an incomplete ``run --once``,
``status`` seeing no watchtower polling, a file ``schema -o`` cannot write).

This module is the entry point (:func:`main`: parse, run the command, turn each
failure into one line and its exit status). The grammar is in
:mod:`watchtower.cli_parser`, the daemon's start in :mod:`watchtower.cli_run`,
``check`` and ``schema`` in :mod:`watchtower.cli_config`, the database commands
in :mod:`watchtower.cli_db`; the names other modules use are re-exported here.
"""

from __future__ import annotations

import logging
import os
import sys
from collections.abc import Sequence
from typing import TYPE_CHECKING

import sqlalchemy.exc

from watchtower.cli_common import (
    CONFIG_HELP,
    EXIT_CONFIG,
    EXIT_FAILURE,
    EXIT_NEWER_SCHEMA,
    load_args,
)
from watchtower.cli_config import cannot_write, cmd_check, cmd_schema
from watchtower.cli_parser import EXTENSIONS, LOG_LEVELS, build_parser
from watchtower.cli_run import cmd_demo, cmd_run
from watchtower.errors import (
    CannotListen,
    ConfigError,
    DatabaseUnavailable,
    NoDatabase,
    SchemaMismatch,
    SchemaNewer,
)
from watchtower.logs import configure, kv
from watchtower.redact import redact_text
from watchtower.storage.liveness import LivenessLockHeld

if TYPE_CHECKING:
    import argparse

__all__ = [
    "CONFIG_HELP",
    "EXIT_CONFIG",
    "EXIT_FAILURE",
    "EXIT_NEWER_SCHEMA",
    "EXTENSIONS",
    "LOG_LEVELS",
    "build_parser",
    "cannot_write",
    "cmd_check",
    "cmd_demo",
    "cmd_run",
    "cmd_schema",
    "load_args",
    "main",
]

log = logging.getLogger("watchtower.cli")


def _database_url(args: argparse.Namespace) -> str | None:
    """The command's database URL (None if the config cannot say)."""
    try:
        return load_args(args).database_url
    except Exception:  # only for a message: never a second failure
        return None


def _database_shown(args: argparse.Namespace) -> str:
    """The command's database URL, password hidden ("?" if the config cannot say)."""
    url = _database_url(args)
    if url is None:
        return "?"
    try:
        return sqlalchemy.engine.make_url(url).render_as_string(hide_password=True)
    except Exception:  # only for a message: never a second failure
        return "?"


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command ``argv`` names (default: ``sys.argv``); its exit status."""
    parser = build_parser()
    args = parser.parse_args(argv)
    configure(args.log_level, args.log_format)
    try:
        code: int = args.func(args)
        sys.stdout.flush()  # here, so that a closed pipe is caught below
        return code
    except ConfigError as exc:
        for problem in exc.problems:  # quotes refused values: a URL's password is hidden
            print(redact_text(str(problem)), file=sys.stderr)
        return EXIT_CONFIG
    except (CannotListen, LivenessLockHeld) as exc:
        log.error("cannot start", extra=kv(error=str(exc)))
        return EXIT_FAILURE
    except NoDatabase as exc:
        from watchtower.cli_db import no_database_hint
        from watchtower.status_text import saved_copy_lines_of

        # Deleted under a daemon, which saved a copy: say where, and how to put it back.
        saved = saved_copy_lines_of(url) if (url := _database_url(args)) else []
        hint = "a daemon saved a copy of it (below)" if saved else no_database_hint(args)
        log.error(str(exc), extra=kv(hint=hint))
        for line in saved:
            print(line, file=sys.stderr)
        return EXIT_FAILURE
    except SchemaMismatch as exc:
        # A database migrated by a newer watchtower (an upgrade rolled back), or a
        # migration that failed: one line for every command, never Alembic's
        # traceback. Only the failed migration may succeed on a restart.
        log.error(str(exc), extra=kv(database=_database_shown(args), hint=exc.hint))
        return EXIT_NEWER_SCHEMA if isinstance(exc, SchemaNewer) else EXIT_FAILURE
    except DatabaseUnavailable as exc:
        log.error("database unavailable", extra=kv(database=_database_shown(args), error=str(exc)))
        return EXIT_FAILURE
    except sqlalchemy.exc.DatabaseError as exc:
        # An unreachable, locked or corrupt database: one line an operator can act
        # on, not a traceback. The driver's message names host and port, never the
        # password; the URL is shown with its password hidden.
        reason = str(exc.orig or exc).strip().splitlines()[0]
        fields = {"database": _database_shown(args), "error": reason}
        if "unable to open database file" in reason:
            fields["hint"] = (
                "the database file's folder must exist and be writable by this user; "
                "set [watchtower] database_url (e.g. sqlite:////var/lib/watchtower/watchtower.db)"
            )
        log.error("database unavailable", extra=kv(**fields))
        return EXIT_FAILURE
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:  # `watchtower status | head`: the reader had enough
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())  # no second error when Python flushes stdout
        return 141  # as a process ended by SIGPIPE


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
