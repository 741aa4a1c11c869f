"""``watchtower.cli`` is the entry point; the commands live in ``cli_*`` modules
by job (grammar, daemon start, config file, database). What other modules,
tests and the console script import from ``watchtower.cli`` stays importable
from there, as the very objects the command modules define."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

from watchtower import cli, cli_common, cli_config, cli_parser, cli_run

ROOT = Path(__file__).resolve().parents[2]
_IMPORT = re.compile(r"from watchtower\.cli import (?:\(([^)]*)\)|([\w ,]+))")


def test_every_name_imported_from_watchtower_cli_is_exported() -> None:
    imported: set[str] = set()
    for folder in ("watchtower", "tests", "scripts", "benchmarks"):
        for path in (ROOT / folder).rglob("*.py"):
            for grouped, inline in _IMPORT.findall(path.read_text(encoding="utf-8")):
                imported |= {n.strip() for n in (grouped or inline).split(",") if n.strip()}
    assert {"main", "build_parser", "load_args", "EXIT_NEWER_SCHEMA"} <= imported  # not vacuous
    assert imported <= set(cli.__all__)
    assert all(hasattr(cli, name) for name in cli.__all__)


def test_the_reexported_names_are_the_command_modules_own() -> None:
    assert cli.build_parser is cli_parser.build_parser
    assert cli.EXTENSIONS is cli_parser.EXTENSIONS  # one list, whichever module is used
    assert cli.cmd_run is cli_run.cmd_run
    assert cli.cannot_write is cli_config.cannot_write
    assert cli.load_args is cli_common.load_args
    assert (cli.EXIT_FAILURE, cli.EXIT_CONFIG, cli.EXIT_NEWER_SCHEMA) == (1, 2, 3)


def test_the_console_script_is_cli_main() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    assert project["project"]["scripts"]["watchtower"] == "watchtower.cli:main"
    parser = cli.build_parser()
    assert parser.parse_args(["run", "--once"]).func is cli_run.cmd_run
    assert parser.parse_args(["check"]).func is cli_config.cmd_check
