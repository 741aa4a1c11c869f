"""The command line's grammar: :func:`build_parser` declares every command, its
options and its help (examples and exit codes from :mod:`watchtower.cli_help`).

Each command's function lives with its job (:mod:`watchtower.cli_run`,
:mod:`watchtower.cli_config`, :mod:`watchtower.cli_db`, …); commands other
modules contribute are in :data:`EXTENSIONS`.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable

from watchtower import __version__
from watchtower.cli_common import CONFIG_HELP
from watchtower.cli_config import cmd_check, cmd_schema
from watchtower.cli_help import EXAMPLES, EXIT_CODES, HelpFormatter
from watchtower.cli_run import cmd_demo, cmd_run

__all__ = ["EXTENSIONS", "LOG_LEVELS", "build_parser"]

LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR")


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
    """The ``watchtower`` command's parser; each command sets ``func``, its function."""
    # Imported here: cli_db imports watchtower.cli, which imports this module.
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
