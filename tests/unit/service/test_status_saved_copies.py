"""``watchtower status`` names the copies a daemon saved of its SQLite file when
it was deleted or replaced under it (``NAME.saved-<UTC time>``,
:mod:`watchtower.storage.sqlite_file`): path, time, size, and how to put one back
(docs/database.md). A real loss through :class:`~watchtower.storage.db.Database`,
then the real command."""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest

from watchtower.cli import main
from watchtower.status_text import human_size
from watchtower.storage.db import Database
from watchtower.storage.sqlite_file import DatabaseFileLost, saved_copies

PUT_BACK = "to put it back: stop watchtower, move {copy} to {path}, then start watchtower again"


def lost(path: Path, *, replace: bool) -> Path:
    """A daemon's database at ``path`` deleted (or replaced by an older copy) under
    it: the copy it saved."""
    db = Database(f"sqlite:///{path}")
    try:
        db.upgrade()
        with db.writing():  # the first write: the watch keeps the file
            pass
        if replace:  # a restore done wrongly while it runs: an older copy over it
            older = path.parent / "older.db"
            shutil.copyfile(path, older)
            os.replace(older, path)
        else:
            for suffix in ("", "-wal", "-shm"):
                Path(f"{path}{suffix}").unlink(missing_ok=True)
        with pytest.raises(DatabaseFileLost), db.writing():
            pass
    finally:
        db.dispose()
    [copy] = saved_copies(str(path))
    return Path(copy)


@pytest.fixture
def config(tmp_path: Path, write_config: Callable[[str], Path]) -> Path:
    url = f"sqlite:///{tmp_path / 'watchtower.db'}"
    return write_config(
        f'[watchtower]\ndatabase_url = "{url}"\ntimezone = "UTC"\n'
        '[[brands]]\nname = "A"\nterms = ["A"]\n'
    )


def test_status_names_the_saved_copy_and_how_to_put_it_back(
    config: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "watchtower.db"
    copy = lost(path, replace=True)
    stamp = copy.name.rpartition(".saved-")[2]
    when = f"{stamp[:4]}-{stamp[4:6]}-{stamp[6:8]} {stamp[9:11]}:{stamp[11:13]}"

    main(["status", "--config", str(config)])
    out = capsys.readouterr().out.splitlines()

    database = out.index(next(line for line in out if line.startswith("Database: ")))
    saved, hint = out[database + 1], out[database + 2]
    assert saved.startswith(f"  SAVED COPY {copy} · saved {when} UTC (")
    assert f" · {human_size(copy.stat().st_size)}: the database as a daemon last wrote it" in saved
    assert hint == "  " + PUT_BACK.format(copy=copy, path=path) + " (docs/database.md)"

    main(["status", "--json", "--config", str(config)])
    [found] = json.loads(capsys.readouterr().out)["database"]["saved_copies"]
    assert found["path"] == str(copy) and found["size_bytes"] == copy.stat().st_size
    assert found["saved_at"].startswith(f"{when.replace(' ', 'T')}:")


def test_a_deleted_file_is_no_database_but_its_saved_copy_is_named(
    config: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "watchtower.db"
    copy = lost(path, replace=False)
    capsys.readouterr()

    assert main(["status", "--config", str(config)]) == 1
    err = capsys.readouterr().err.splitlines()

    [error] = [line for line in err if " ERROR " in line]
    assert "no database at " in error and 'hint="a daemon saved a copy of it (below)"' in error
    assert err[-2].startswith(f"SAVED COPY {copy} · saved "), err
    assert err[-1] == PUT_BACK.format(copy=copy, path=path) + " (docs/database.md)"
    assert not path.exists(), "status created nothing"


def test_no_copy_no_line(config: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    db = Database(f"sqlite:///{tmp_path / 'watchtower.db'}")
    try:
        db.upgrade()
    finally:
        db.dispose()
    main(["status", "--config", str(config)])
    out = capsys.readouterr().out
    assert "SAVED COPY" not in out and "to put it back" not in out
    main(["status", "--json", "--config", str(config)])
    assert json.loads(capsys.readouterr().out)["database"]["saved_copies"] == []
