"""``watchtower db backup newfolder/``: a missing folder is named with what to do.

It is not created: a typo run as root would leave a folder nobody asked for,
with a backup nobody finds. The message says how to create it.
"""

from __future__ import annotations

import os
import shlex
from pathlib import Path

import pytest

from tests.unit.test_cli_db_files import database, write_config  # noqa: F401  (fixture)
from watchtower.cli import main


@pytest.mark.parametrize("given", ["new folder/", "new folder/nightly.db"])
def test_a_missing_folder_says_how_to_create_it(
    database: Path,  # noqa: F811
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    given: str,
) -> None:
    config = write_config(tmp_path, f"sqlite:///{database}")
    monkeypatch.chdir(tmp_path)
    assert main(["db", "backup", given, "--config", str(config)]) == 1
    err = capsys.readouterr().err
    assert (
        "backup failed: the folder new folder does not exist: create it first "
        f"(mkdir -p {shlex.quote('new folder')}), or give a folder that exists"
    ) in err
    assert not (tmp_path / "new folder").exists()
    os.mkdir(tmp_path / "new folder")  # as told
    assert main(["db", "backup", given, "--config", str(config)]) == 0
    assert "backup written: new folder/" in capsys.readouterr().out


def test_a_file_named_as_a_folder_is_not_replaced(
    database: Path,  # noqa: F811
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    config = write_config(tmp_path, f"sqlite:///{database}")
    notes = tmp_path / "notes"
    notes.write_text("keep me", "utf-8")
    assert main(["db", "backup", f"{notes}/", "--force", "--config", str(config)]) == 1
    assert f"backup failed: {notes} is a file, not a folder" in capsys.readouterr().err
    assert notes.read_text("utf-8") == "keep me"
