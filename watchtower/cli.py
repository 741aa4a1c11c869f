"""Command line: one thin function per command.

``watchtower init|run|check|status|schema|demo|db upgrade|db downgrade`` (``--config
PATH``, default ``$WATCHTOWER_CONFIG`` or ``./watchtower.toml``). Exit codes: 0 ok,
2 invalid configuration or usage (a ``run --once`` whose every enabled source is
still a placeholder too: nothing is fetched until the config is edited), 3 a
database schema from a newer version (which no restart fixes: systemd's
``RestartPreventExitStatus``), 1 another failure
(database unreachable or missing, a failed migration, an incomplete ``run --once``,
``status`` seeing no watchtower polling, a file ``schema -o`` cannot write).
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import sqlalchemy.exc

from watchtower import __version__
from watchtower.cli_help import EXAMPLES, EXIT_CODES, HelpFormatter
from watchtower.config import LoadedConfig, load_config
from watchtower.config_env import environment_warnings
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
    import threading
    from typing import NoReturn

    from watchtower.app import App
    from watchtower.scheduler import Daemon

EXIT_CONFIG = 2
EXIT_FAILURE = 1
#: The database was migrated by a newer watchtower: restarting cannot fix it.
EXIT_NEWER_SCHEMA = 3
log = logging.getLogger("watchtower.cli")


def load_args(args: argparse.Namespace) -> LoadedConfig:
    """The configuration a command's ``--config`` names."""
    return load_config(args.config)


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


def cmd_check(args: argparse.Namespace) -> int:
    loaded = load_args(args)
    config = loaded.config
    print(
        f"{loaded.path}: OK — {len(config.brands)} brand(s), {len(config.sources)} source(s), "
        f"{len(config.rules)} rule(s); database {loaded.database_url.split('://')[0]}; "
        f"language {config.watchtower.language}"
    )
    for problem in loaded.warnings:
        print(f"warning: {redact_text(str(problem))}", file=sys.stderr)
    for warning in environment_warnings(loaded, args.config):
        print(f"warning: {redact_text(warning)}", file=sys.stderr)
    return 0


def cmd_run(args: argparse.Namespace) -> int:
    # First of all: SIGHUP's default action ends the process, and `systemctl
    # reload` may come during a slow start (migrations, a locked database).
    reload_asked = _note_sighup()
    _log_start()
    from watchtower.app import App
    from watchtower.scheduler import Daemon

    app = App(load_args(args))
    try:
        app.start()
        daemon = Daemon(app)
        if args.once:
            return _run_once(app, daemon)
        code = _serve(app, daemon, reload_asked)
        if daemon.abandoned:  # a thread still stuck (a hung fetch): closing would wait for it
            _exit_now(app, code)
        return code
    finally:
        app.close()


def _run_once(app: App, daemon: Daemon) -> int:
    """``run --once``: the run's own status, or 2 when every enabled source is a
    placeholder (nothing was fetched, and nothing will be until the config is
    edited); a run with no enabled source says so (it only delivered)."""
    from watchtower.nothing_fetched import nothing_fetched
    from watchtower.progress import run_once_with_progress

    # The run decides the code, and logs it last (``run finished exit_code=``).
    code = run_once_with_progress(daemon)
    why = nothing_fetched(app.loaded.sources, str(app.loaded.path))
    if why is not None and why.config_to_edit:
        # The status's reason, after the run (the last line a cron mail or a
        # terminal shows) and whatever the log level, as an invalid config's are.
        print(f"watchtower run --once: {why.message}", file=sys.stderr)
    return code


def _log_start() -> None:
    """Which code starts, first of all (before a config or database error): in a
    rolling upgrade, the log tells which replica ran which version."""
    import platform
    import socket

    log.info(
        "starting",
        extra=kv(
            version=__version__,
            python=platform.python_version(),
            host=socket.gethostname(),
            pid=os.getpid(),
        ),
    )


def _note_sighup() -> threading.Event:
    """Until the reloader takes over, SIGHUP only notes that a reload was asked."""
    import signal
    import threading

    asked = threading.Event()
    if hasattr(signal, "SIGHUP") and threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGHUP, lambda _signum, _frame: asked.set())
    return asked


def _exit_now(app: App, code: int) -> NoReturn:
    """End the process now: the shutdown deadline passed with a thread stuck
    (leases make its work due again), and the interpreter would wait for it."""
    import contextlib

    with contextlib.suppress(Exception):
        app.db.dispose()
    logging.shutdown()
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)


def _serve(app: App, daemon: Daemon, reload_asked: threading.Event) -> int:
    """Run the daemon with hot reload and, when configured, the HTTP endpoint."""
    from watchtower.reload import Reloader
    from watchtower.web import StatusServer

    address = app.loaded.config.watchtower.http
    if address:
        _record_start(app)
    server = StatusServer(app, address, lambda: daemon.last_tick).start() if address else None
    reloader = Reloader(app).start()
    reloader.install_sighup()
    if reload_asked.is_set():
        log.info("reload asked during start-up (SIGHUP): reloading now")
        reloader.request(force=True)
    try:
        return daemon.run_forever()
    finally:
        reloader.stop()
        if server is not None:
            server.stop()


def _record_start(app: App) -> None:
    """Write this process's row before ``/livez`` answers: a ``status`` run as soon
    as the daemon is live must see it, not wait for the first poll round (seconds
    later on a busy host) and say "no watchtower seen polling recently"."""
    heartbeat = app.poller.heartbeat
    try:
        heartbeat.start(app.db, app.clock())
    except Exception as exc:  # the database down at start: the first round writes it
        log.warning("could not record the start yet", extra=kv(error=type(exc).__name__))


def cmd_schema(args: argparse.Namespace) -> int:
    import json

    from watchtower.config import config_schema

    text = json.dumps(config_schema(), indent=2, ensure_ascii=False) + "\n"
    if args.output in (None, "-"):
        sys.stdout.write(text)
        return 0
    try:
        with open(args.output, "w", encoding="utf-8") as f:
            f.write(text)
    except OSError as exc:
        # One line, no traceback; status 1 as `db backup` into a missing folder.
        print(f"watchtower schema: {cannot_write(args.output, exc)}", file=sys.stderr)
        return EXIT_FAILURE
    print(f"JSON Schema written to {args.output}", file=sys.stderr)
    return 0


def cannot_write(path: str, exc: OSError) -> str:
    """Why ``path`` cannot be written, in words (a missing folder is named)."""
    folder = Path(path).absolute().parent
    if isinstance(exc, FileNotFoundError) and not folder.is_dir():
        reason = f"the folder {folder} does not exist"
    elif isinstance(exc, NotADirectoryError):
        reason = f"{folder} is not a folder"
    elif isinstance(exc, IsADirectoryError):
        reason = "it is a folder"
    elif isinstance(exc, PermissionError):
        reason = "permission denied (this user may not write there)"
    else:
        reason = (exc.strerror or str(exc)).lower()
    return f"cannot write {path}: {reason}"


def cmd_demo(args: argparse.Namespace) -> int:
    from watchtower.demo import run_demo

    return run_demo(later_after=args.later, duration=args.duration, verbose=args.verbose)


LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR")
CONFIG_HELP = "config file (default: $WATCHTOWER_CONFIG or ./watchtower.toml)"


def _logging_options(parser: argparse.ArgumentParser, *, defaults: bool) -> None:
    parser.add_argument(
        "--log-level",
        type=str.upper,
        choices=LOG_LEVELS,
        default="INFO" if defaults else argparse.SUPPRESS,
        help="DEBUG, INFO, WARNING or ERROR (default INFO)",
    )
    parser.add_argument(
        "--log-format",
        choices=("text", "json"),
        default="text" if defaults else argparse.SUPPRESS,
        help="key=value text (default) or JSON lines",
    )


def build_parser() -> argparse.ArgumentParser:
    from watchtower.cli_db import add_file_commands, cmd_db_downgrade, cmd_db_upgrade, cmd_status
    from watchtower.init_config import add_parser as add_init

    parser = argparse.ArgumentParser(
        prog="watchtower",
        description="Brand-mention monitoring daemon: polls sources, matches brands and "
        "rules, and delivers notifications to Slack, e-mail or the console.",
        epilog=f"{EXAMPLES['']}\n\n{EXIT_CODES}",
        formatter_class=HelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"watchtower {__version__}")
    _logging_options(parser, defaults=True)
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    add_init(sub)  # listed first: a newcomer's first command

    def command(
        name: str, func: Callable[[argparse.Namespace], int], help: str
    ) -> argparse.ArgumentParser:
        p = sub.add_parser(name, help=help, description=help)
        p.add_argument("--config", "-c", help=CONFIG_HELP)
        p.set_defaults(func=func)
        return p

    run = command("run", cmd_run, "run the daemon")
    run.add_argument(
        "--once",
        action="store_true",
        help="poll every source once, deliver everything, exit (status 1 if a source "
        "failed or a notification was not delivered, 2 if every enabled source is still "
        "a placeholder)",
    )
    command("check", cmd_check, "validate the configuration")
    status = command(
        "status",
        cmd_status,
        "show whether the daemon runs (each process's heartbeat, a refused config), each "
        "source's health, the outbox and the targets that need a hand",
    )
    status.add_argument(
        "--json", action="store_true", help="one JSON document, for scripts and monitoring"
    )
    status.add_argument(
        "--all",
        action="store_true",
        help="list every source (even beyond 20 when all is well) and every process",
    )
    status.add_argument(
        "--live",
        action="store_true",
        help="only ask the running daemon's /livez ([watchtower] http): exit 0 if live, "
        "1 if not (no database access)",
    )
    schema = sub.add_parser(
        "schema",
        help="write the config file's JSON Schema (for editors)",
        description="write the config file's JSON Schema, for editors that complete and "
        "check TOML keys (VS Code with Even Better TOML)",
    )
    schema.add_argument("--output", "-o", help="file to write (default: standard output)")
    schema.set_defaults(func=cmd_schema)
    demo = sub.add_parser(
        "demo",
        help="run an offline demo on bundled sample feeds",
        description="run the real daemon on bundled sample feeds served on 127.0.0.1, with a "
        "temporary config and database, printing notifications here; no account, no network",
    )
    demo.add_argument("--duration", type=float, help="stop after this many seconds")
    demo.add_argument(
        "--later",
        type=float,
        default=20.0,
        help="seconds before the sample forum publishes a new post",
    )
    demo.add_argument("--verbose", "-v", action="store_true", help="show the daemon's log")
    demo.set_defaults(func=cmd_demo)
    db = sub.add_parser(
        "db",
        help="database maintenance",
        description="database maintenance: apply or undo schema migrations; back up, "
        "restore or compact a SQLite file; copy a database into another (SQLite to PostgreSQL)",
    )
    db_sub = db.add_subparsers(dest="db_command", required=True, metavar="ACTION")
    upgrade = db_sub.add_parser(
        "upgrade",
        help="apply database migrations",
        description="apply database migrations, creating the database if there is none "
        "(the daemon also does it at each start)",
    )
    upgrade.add_argument("--config", "-c", help=CONFIG_HELP)
    upgrade.set_defaults(func=cmd_db_upgrade)
    downgrade = db_sub.add_parser(
        "downgrade",
        help="undo migrations, to roll back to an older watchtower",
        description="undo the migrations newer than REVISION, so that an older watchtower "
        "can run on this database; run it with the newer version, before installing the "
        "older one. What those migrations added (columns, tables, their rows) is dropped: "
        "stop every watchtower using this database and take a backup first.",
    )
    downgrade.add_argument(
        "revision",
        metavar="REVISION",
        help="the schema to go back to: the 'latest' the older watchtower names (e.g. 0004)",
    )
    downgrade.add_argument("--config", "-c", help=CONFIG_HELP)
    downgrade.add_argument(
        "--force",
        action="store_true",
        help="downgrade even if a daemon's recent heartbeat says it still runs (one killed "
        "without stopping, whose heartbeat is not stale yet)",
    )
    downgrade.set_defaults(func=cmd_db_downgrade)
    add_file_commands(db_sub)  # db backup, db restore, db vacuum
    for extension in EXTENSIONS:
        extension(sub)
    for name, command_parser in [*sub.choices.items(), *db_sub.choices.items()]:
        command_parser.formatter_class = HelpFormatter
        if command_parser.description:  # docstring markup is not for a terminal
            command_parser.description = command_parser.description.replace("``", "")
        if name in EXAMPLES:
            command_parser.epilog = f"{EXAMPLES[name]}\n\n{EXIT_CODES}"
    # The same options after the command (`watchtower run --log-level DEBUG`), without
    # defaults there: they only override what was given before the command.
    for command_parser in [*sub.choices.values(), *db_sub.choices.values()]:
        _logging_options(command_parser, defaults=False)
    return parser


def _extensions() -> list[Callable[[argparse._SubParsersAction[argparse.ArgumentParser]], None]]:
    """Commands contributed by other modules (each adds its own sub-parser)."""
    found: list[Callable[[argparse._SubParsersAction[argparse.ArgumentParser]], None]] = []
    try:
        from watchtower.testrule import add_parser as add_test_rule

        found.append(add_test_rule)
    except ImportError:
        pass
    try:
        from watchtower.noise import add_parser as add_noise

        found.append(add_noise)
    except ImportError:
        pass
    return found


EXTENSIONS = _extensions()


def main(argv: Sequence[str] | None = None) -> int:
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
