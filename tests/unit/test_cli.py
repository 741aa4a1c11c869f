"""The command line: option placement, bad options, an unreachable database."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from watchtower.cli import build_parser, main


def test_logging_options_work_before_and_after_the_command() -> None:
    parser = build_parser()
    assert parser.parse_args(["check"]).log_level == "INFO"
    assert parser.parse_args(["--log-level", "debug", "check"]).log_level == "DEBUG"
    args = parser.parse_args(["--log-level", "ERROR", "run", "--log-level", "debug", "--once"])
    assert args.log_level == "DEBUG" and args.once
    assert parser.parse_args(["db", "upgrade", "--log-format", "json"]).log_format == "json"
    assert parser.parse_args(["--log-format", "json", "status"]).log_format == "json"


def test_an_unknown_log_level_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(["--log-level", "foo", "check"])
    assert exit_info.value.code == 2
    assert "invalid choice: 'FOO'" in capsys.readouterr().err


def test_an_unreachable_database_is_one_line_without_the_password(
    write_config: Callable[[str], Path], capsys: pytest.CaptureFixture[str]
) -> None:
    # Port 9 (discard) on loopback: nothing listens, the connection is refused at once.
    path = write_config(
        '[watchtower]\ndatabase_url = "postgresql://wt:hunter2@127.0.0.1:9/test"\n'
        '[[brands]]\nname = "Acmé"\nterms = ["Acmé"]\n'
    )
    assert main(["db", "upgrade", "--config", str(path)]) == 1
    err = capsys.readouterr().err
    [line] = err.strip().splitlines()  # no traceback
    assert "ERROR watchtower.cli database unavailable" in line
    assert "127.0.0.1" in line and "hunter2" not in line
    assert "database=postgresql://wt:***@127.0.0.1:9/test" in line


@pytest.mark.parametrize(
    ("setup", "error"),
    [
        (
            lambda folder: (folder / "wt.db").write_text("not a database " * 20),
            "file is not a database",
        ),
        (lambda folder: (folder / "wt.db").mkdir(), "unable to open database file"),
        (lambda folder: (folder / "afile").write_text(""), "cannot create the folder of"),
    ],
)
def test_a_broken_sqlite_file_is_one_line_naming_it(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    setup: Callable[[Path], object],
    error: str,
) -> None:
    setup(tmp_path)
    name = "afile/wt.db" if "folder" in error else "wt.db"
    path = tmp_path / "w.toml"
    path.write_text(f'[watchtower]\ndatabase_url = "sqlite:///{name}"\n', encoding="utf-8")
    for command in (["status"], ["db", "upgrade"]):
        assert main([*command, "--config", str(path)]) == 1
        [line] = capsys.readouterr().err.strip().splitlines()  # no traceback
        if command == ["status"] and "folder" in error:  # status creates no folder: none there
            assert f"no database at sqlite:///{tmp_path / name}" in line
            continue
        assert "database unavailable" in line and error in line
        assert f"database=sqlite:///{tmp_path / name}" in line
