"""``watchtower run`` on a database migrated by a newer watchtower (an upgrade rolled
back without ``db downgrade``) exits 3, which the systemd unit does not restart:
no restart can fix it. A migration that failed (a table in the way, a full disk)
still exits 1, and a restart after fixing the cause finishes it."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from sqlalchemy import text

from tests.unit.service.test_deploy import service
from watchtower import cli
from watchtower.cli import EXIT_FAILURE, main
from watchtower.cli_help import EXIT_CODES
from watchtower.storage.db import Database, current_revision, head_revision

BRANDS = '[[brands]]\nname = "Acmé"\nterms = ["Acmé"]\n'


def _config(tmp_path: Path, database_url: str) -> Path:
    path = tmp_path / "watchtower.toml"
    path.write_text(f'[watchtower]\ndatabase_url = "{database_url}"\n{BRANDS}', "utf-8")
    return path


def _run(config: Path) -> subprocess.CompletedProcess[str]:
    """``watchtower run`` as systemd starts it: its own process, its exit status."""
    env = {k: v for k, v in os.environ.items() if k != "WATCHTOWER_DATABASE_URL"}
    return subprocess.run(
        [sys.executable, "-m", "watchtower", "run", "--config", str(config)],
        capture_output=True, text=True, timeout=120, env=env, cwd=config.parent,
    )  # fmt: skip


def _execute(database_url: str, statement: str) -> None:
    db = Database(database_url)
    try:
        with db.engine.begin() as conn:
            conn.execute(text(statement))
    finally:
        db.dispose()


def _revision(database_url: str) -> str | None:
    db = Database(database_url)
    try:
        with db.engine.connect() as conn:
            return current_revision(conn)
    finally:
        db.dispose()


def test_run_on_a_newer_schema_exits_3_and_says_what_to_do(
    database_url: str, tmp_path: Path
) -> None:
    config = _config(tmp_path, database_url)
    assert main(["db", "upgrade", "--config", str(config)]) == 0
    _execute(database_url, "UPDATE alembic_version SET version_num = '0099_next_release'")

    result = _run(config)

    assert result.returncode == 3, result.stderr
    assert getattr(cli, "EXIT_NEWER_SCHEMA", None) == 3
    # One line for the problem, after the one saying which version started.
    start, line = result.stderr.strip().splitlines()
    assert " starting version=" in start
    assert "the database schema 0099_next_release is newer than this watchtower" in line
    assert "run the newer version, or restore a backup" in line
    assert f"`watchtower db downgrade {head_revision()}` with the newer version" in line
    assert "Traceback" not in result.stderr
    assert _revision(database_url) == "0099_next_release"  # untouched
    # The unit does not restart it (the journal is not filled every 10 s), and
    # --help's exit table names it.
    assert "3" in service()["RestartPreventExitStatus"].split()
    assert "  3  the database schema is newer than this watchtower" in EXIT_CODES


def test_a_failed_migration_still_exits_1_and_a_restart_finishes_it(
    database_url: str, tmp_path: Path
) -> None:
    config = _config(tmp_path, database_url)
    assert main(["db", "upgrade", "--config", str(config)]) == 0
    assert main(["db", "downgrade", "0005", "--config", str(config)]) == 0
    # 0006 creates `daemons`: a stray table of that name makes it fail.
    _execute(database_url, "CREATE TABLE daemons (stray INTEGER)")

    result = _run(config)

    assert result.returncode == EXIT_FAILURE == 1, result.stderr
    assert "1" not in service()["RestartPreventExitStatus"].split()  # systemd restarts it
    assert (
        f"the database schema 0005 could not be migrated to {head_revision()} "
        "and is left at 0005, unchanged"
    ) in result.stderr
    assert "Traceback" not in result.stderr
    assert _revision(database_url) == "0005"

    # The cause fixed, the next start migrates (`db upgrade` does what a start does).
    _execute(database_url, "DROP TABLE daemons")
    assert main(["db", "upgrade", "--config", str(config)]) == 0
    assert _revision(database_url) == head_revision()
