"""A source or a target whose URL carries a secret (a password, a token in its
path): the config that makes it fail, the ``run --once`` and ``status`` whose
output must not show the secret, and what the database stored.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import sqlalchemy

from watchtower.cli import main
from watchtower.storage.engines import make_engine


def refused_source_config(database_url: str, url: str) -> str:
    """One source at ``url``, on loopback without ``allow_private``: refused, and
    the refusal quotes the URL; ops read the console."""
    return f"""
[watchtower]
database_url = "{database_url}"
ops_notify = ["console:#ops"]

[[brands]]
name = "Acmé"
terms = ["Acmé"]

[[sources]]
name = "prive"
kind = "rss"
url = "{url}"
"""


def run_once_then_status(path: Path, capfd: pytest.CaptureFixture[str]) -> tuple[str, str]:
    """``run --once`` (it fails: exit 1), then ``status``; what both printed on
    stdout and on stderr."""
    assert main(["run", "--once", "--config", str(path)]) == 1
    assert main(["status", "--config", str(path)]) == 0
    output = capfd.readouterr()
    return output.out, output.err


def stored(database_url: str, query: str) -> list[Any]:
    """The first column of what ``query`` reads in the database."""
    engine = make_engine(database_url)
    try:
        with engine.connect() as conn:
            return list(conn.execute(sqlalchemy.text(query)).scalars())
    finally:
        engine.dispose()
