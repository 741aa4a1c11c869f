"""The commands about the configuration file itself: ``check`` (validate it,
print its warnings) and ``schema`` (its JSON Schema, for editors)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from watchtower.cli_common import EXIT_FAILURE, load_args
from watchtower.config_env import environment_warnings
from watchtower.redact import redact_text

__all__ = ["cannot_write", "cmd_check", "cmd_schema"]


def cmd_check(args: argparse.Namespace) -> int:
    """``watchtower check``: 0 with a summary and the warnings (an invalid config
    raises :class:`~watchtower.errors.ConfigError`, which ``main`` reports)."""
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


def cmd_schema(args: argparse.Namespace) -> int:
    """``watchtower schema [-o FILE]``: the config's JSON Schema, on stdout or in FILE."""
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
