"""``watchtower init [PATH]``: write the documented example configuration.

``config.example.toml`` at the repository root is the one source of the example
(every key, with its default). The wheel ships it in ``watchtower/example/``:
pyproject.toml maps the data package ``watchtower.example`` to the repository
root, with that file as its only package data, so that a ``pip install`` or
Docker user gets the same file without a second copy kept in git. A source
checkout or an editable install reads it at the root, next to the package.
"""

from __future__ import annotations

import argparse
import os
import shlex
import sys
from importlib import resources
from pathlib import Path

__all__ = ["EXAMPLE_NAME", "add_parser", "cmd_init", "example_config"]

#: The data package holding the example in an installed wheel (pyproject.toml).
EXAMPLE_PACKAGE = "watchtower.example"
EXAMPLE_NAME = "config.example.toml"


def example_config() -> str:
    """The text of ``config.example.toml`` shipped with this watchtower.

    Raises :class:`FileNotFoundError` when the installation lacks it.
    """
    try:
        return (resources.files(EXAMPLE_PACKAGE) / EXAMPLE_NAME).read_text(encoding="utf-8")
    except (ModuleNotFoundError, FileNotFoundError, NotADirectoryError, TypeError):
        # A source checkout or an editable install: the data package is not
        # importable there (the editable finder does not resolve a package that
        # is a folder without __init__.py), but the file is at the root.
        pass
    root = Path(__file__).resolve().parent.parent
    return (root / EXAMPLE_NAME).read_text(encoding="utf-8")


def add_parser(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Register ``init`` on the CLI's sub-parsers."""
    from watchtower.cli import CONFIG_HELP

    p = subparsers.add_parser(
        "init",
        help="write the documented example configuration, to edit",
        description="write the example configuration (config.example.toml: every key "
        "explained, with its default) to PATH, then say what to edit; never replaces an "
        "existing file unless --force",
    )
    p.add_argument(
        "path",
        metavar="PATH",
        nargs="?",
        help="the file to write, or - for standard output (default: --config, else "
        "$WATCHTOWER_CONFIG, else ./watchtower.toml)",
    )
    p.add_argument("--config", "-c", help=CONFIG_HELP)
    p.add_argument("--force", action="store_true", help="replace PATH if it exists")
    p.set_defaults(func=cmd_init)


def cmd_init(args: argparse.Namespace) -> int:
    from watchtower.cli import EXIT_CONFIG, EXIT_FAILURE, cannot_write
    from watchtower.config import DEFAULT_CONFIG

    if args.path and args.config and args.path != args.config:
        print(
            f"watchtower init: two files named ({args.path} and --config {args.config}): give one",
            file=sys.stderr,
        )
        return EXIT_CONFIG
    default = os.environ.get("WATCHTOWER_CONFIG") or DEFAULT_CONFIG
    named: str = args.path or args.config or default
    try:
        text = example_config()
    except OSError as exc:
        print(
            f"watchtower init: this installation lacks {EXAMPLE_NAME} ({exc.strerror or exc}): "
            "reinstall watchtower",
            file=sys.stderr,
        )
        return EXIT_FAILURE
    if named == "-":
        sys.stdout.write(text)
        return 0
    target = Path(named)
    if target.is_dir():
        print(
            f"watchtower init: {named} is a folder: name the file to write, e.g. "
            f"{shlex.quote(str(target / DEFAULT_CONFIG))}",
            file=sys.stderr,
        )
        return EXIT_CONFIG
    try:
        # "x": never replace a file that appeared since (another init, an editor).
        with open(target, "w" if args.force else "x", encoding="utf-8") as f:
            f.write(text)
    except FileExistsError:
        print(
            f"watchtower init: {named} already exists: not replaced (edit it, choose "
            "another PATH, or pass --force to overwrite it with the example)",
            file=sys.stderr,
        )
        return EXIT_CONFIG
    except OSError as exc:
        print(
            f"watchtower init: {cannot_write(named, exc)} "
            "(`watchtower init -` prints the example to standard output instead)",
            file=sys.stderr,
        )
        return EXIT_FAILURE
    print(next_steps(named, default))
    return 0


def next_steps(written: str, default: str) -> str:
    """What a newcomer does after ``init``: the commands name the file unless it
    is the one every command reads by default."""
    same = Path(written).absolute() == Path(default).absolute()
    config = "" if same else f" --config {shlex.quote(written)}"
    return f"""{written} written: the example configuration, every key explained in its comments.
Next:
  1. edit it: your brands and their terms ([[brands]]); your sources ([[sources]]:
     the example's are placeholders, replace or delete them); where alerts go
     ([slack] channels, [email], notify in [[rules]])
  2. secrets stay out of the file: set SLACK_BOT_TOKEN (SMTP_USERNAME and
     SMTP_PASSWORD for e-mail, an IMAP source's password_env) in the environment
  3. `watchtower check{config}` names each problem and placeholder left
  4. `watchtower run --once{config}` polls once; then `watchtower run{config}`"""
