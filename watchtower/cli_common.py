"""What every command shares: its exit statuses, the ``--config`` option's help,
and loading the configuration that option names.

A leaf module: the command modules import it, so none of them imports
:mod:`watchtower.cli` (which imports them) while it loads.
"""

from __future__ import annotations

import argparse

from watchtower.config import LoadedConfig, load_config

__all__ = [
    "CONFIG_HELP",
    "EXIT_CONFIG",
    "EXIT_FAILURE",
    "EXIT_NEWER_SCHEMA",
    "load_args",
]

EXIT_CONFIG = 2
EXIT_FAILURE = 1
#: The database was migrated by a newer watchtower: restarting cannot fix it.
EXIT_NEWER_SCHEMA = 3
CONFIG_HELP = "config file (default: $WATCHTOWER_CONFIG or ./watchtower.toml)"


def load_args(args: argparse.Namespace) -> LoadedConfig:
    """The configuration a command's ``--config`` names."""
    return load_config(args.config)
