"""``status`` reads and never writes; ``db upgrade`` and ``db downgrade`` say what they
did; a missing database or a newer schema is one line with a hint (SQLite and PostgreSQL)."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest
from sqlalchemy import text

from watchtower.cli import build_parser, main
from watchtower.storage.db import Database, current_revision, head_revision

BRANDS = '[[brands]]\nname = "Acmé"\nterms = ["Acmé"]\n'


def write(tmp_path: Path, database_url: str) -> Path:
    path = tmp_path / "watchtower.toml"
    path.write_text(f'[watchtower]\ndatabase_url = "{database_url}"\n{BRANDS}', "utf-8")
    return path


def revision(database_url: str) -> str | None:
    db = Database(database_url)
    try:
        with db.engine.connect() as conn:
            return current_revision(conn)
    finally:
        db.dispose()


def test_status_on_no_database_names_the_url_and_where_it_came_from(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("WATCHTOWER_DATABASE_URL", raising=False)
    db = tmp_path / "data" / "wt.db"
    path = write(tmp_path, f"sqlite:///{db}")
    assert main(["status", "--config", str(path)]) == 1
    [line] = capsys.readouterr().err.strip().splitlines()
    assert f"ERROR watchtower.cli no database at sqlite:///{db} " in line
    assert f"the database_url of {path}" in line and "WATCHTOWER_DATABASE_URL" in line
    assert not (tmp_path / "data").exists()

    monkeypatch.setenv("WATCHTOWER_DATABASE_URL", f"sqlite:///{tmp_path / 'other.db'}")
    assert main(["status", "--config", str(path)]) == 1
    [line] = capsys.readouterr().err.strip().splitlines()
    assert "no database at sqlite:///" in line and "other.db" in line
    assert "WATCHTOWER_DATABASE_URL's, set in this shell" in line
    assert not (tmp_path / "other.db").exists()


def test_status_on_an_older_schema_shows_it_without_migrating(
    database_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = write(tmp_path, database_url)
    assert main(["db", "upgrade", "--config", str(path)]) == 0
    assert main(["db", "downgrade", "0004", "--config", str(path)]) == 0
    capsys.readouterr()
    assert main(["status", "--config", str(path)]) == 0
    captured = capsys.readouterr()
    assert "Outbox: pending 0" in captured.out
    assert f"the database schema 0004 is older than this watchtower (latest {head_revision()})" in (
        captured.err
    )
    assert "watchtower db upgrade" in captured.err
    assert revision(database_url) == "0004"


def test_status_at_an_older_schema_it_cannot_read_is_one_line(
    database_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = write(tmp_path, database_url)
    assert main(["db", "upgrade", "--config", str(path)]) == 0
    assert main(["db", "downgrade", "0003", "--config", str(path)]) == 0  # no alert_reason
    capsys.readouterr()
    assert main(["status", "--config", str(path)]) == 1
    warning, error = capsys.readouterr().err.strip().splitlines()
    assert "older than this watchtower" in warning
    assert "the database schema 0003 is older than this watchtower" in error
    assert "status cannot read it" in error and "watchtower db upgrade" in error
    assert revision(database_url) == "0003"


def test_status_writes_nothing(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    db = tmp_path / "wt.db"
    path = write(tmp_path, f"sqlite:///{db}")
    assert main(["db", "upgrade", "--config", str(path)]) == 0
    before = hashlib.sha256(db.read_bytes()).hexdigest()
    assert main(["status", "--config", str(path)]) == 0
    assert hashlib.sha256(db.read_bytes()).hexdigest() == before
    assert "Sources:" in capsys.readouterr().out


def test_db_upgrade_and_downgrade_say_what_they_did(
    database_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = write(tmp_path, database_url)
    head = head_revision()
    steps = [
        (["db", "upgrade"], 0, f"database created (schema {head})"),
        (["db", "upgrade"], 0, f"database is up to date (schema {head})"),
        (["db", "downgrade", head], 0, f"database is already at schema {head}"),
        (["db", "downgrade", "0003"], 0, f"database downgraded from schema {head} to 0003"),
        (["db", "downgrade", "0004"], 2, "older than 0004: to go forward, use `watchtower db"),
        (["db", "downgrade", "base"], 2, "unknown schema revision 'base': this watchtower knows"),
        (["db", "upgrade"], 0, f"database upgraded from schema 0003 to {head}"),
    ]
    for command, code, said in steps:
        assert main([*command, "--config", str(path)]) == code, command
        captured = capsys.readouterr()
        assert said in captured.out + captured.err, command
    assert revision(database_url) == head


def test_a_newer_schema_is_one_line_for_every_database_command(
    database_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = write(tmp_path, database_url)
    assert main(["db", "upgrade", "--config", str(path)]) == 0
    db = Database(database_url)
    with db.engine.begin() as conn:
        conn.execute(text("UPDATE alembic_version SET version_num = '0099_next_release'"))
    db.dispose()
    capsys.readouterr()
    for command in (["status"], ["db", "upgrade"], ["db", "downgrade", "0004"]):
        assert main([*command, "--config", str(path)]) == 3  # no restart fixes it
        [line] = capsys.readouterr().err.strip().splitlines()
        assert "the database schema 0099_next_release is newer than this watchtower" in line
        assert f"watchtower db downgrade {head_revision()}` with the newer version" in line
    assert revision(database_url) == "0099_next_release"


def test_db_downgrade_help_warns_before_it_drops(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        build_parser().parse_args(["db", "downgrade", "--help"])
    text = " ".join(capsys.readouterr().out.split())
    assert "take a backup first" in text and "WATCHTOWER_CONFIG" in text
