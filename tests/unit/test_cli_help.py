"""Each command's ``--help`` says what it does, shows examples and the exit status;
a closed pipe (``watchtower status | head``) is not a traceback."""

from __future__ import annotations

import argparse
import subprocess
import sys
from pathlib import Path

import pytest

from watchtower.cli import build_parser

COMMANDS = [
    ["run"], ["check"], ["status"], ["schema"], ["demo"], ["test-rule"],
    ["db"], ["db", "upgrade"], ["db", "downgrade"],
]  # fmt: skip


def _help(argv: list[str], capsys: pytest.CaptureFixture[str]) -> str:
    with pytest.raises(SystemExit) as exit_info:
        build_parser().parse_args([*argv, "--help"])
    assert exit_info.value.code == 0
    return capsys.readouterr().out


def test_every_command_is_listed_with_a_description() -> None:
    parser = build_parser()
    [sub] = [a for a in parser._actions if isinstance(a, argparse._SubParsersAction)]
    assert {"run", "check", "status", "schema", "demo", "db", "test-rule"} <= set(sub.choices)


@pytest.mark.parametrize("argv", COMMANDS, ids=" ".join)
def test_each_help_has_a_description_examples_and_the_exit_status(
    argv: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    text = _help(argv, capsys)
    _usage, _, rest = text.partition("\n\n")
    assert not rest.startswith(("options:", "positional arguments:")), "no description"
    assert "``" not in text  # docstring markup
    assert f"examples:\n  watchtower {' '.join(argv)}" in text
    assert "exit status:\n  0  ok\n  1  a failure" in text
    assert "  2  invalid configuration or usage" in text
    assert max(len(line) for line in text.splitlines()) <= 100  # descriptions wrapped


def test_the_top_level_help_names_the_config_and_environment(
    capsys: pytest.CaptureFixture[str],
) -> None:
    text = _help([], capsys)
    for needed in (
        "$WATCHTOWER_CONFIG",
        "WATCHTOWER_DATABASE_URL",
        "SLACK_BOT_TOKEN",
        "exit status:",
    ):
        assert needed in text


def test_status_has_json_all_and_live() -> None:
    args = build_parser().parse_args(["status", "--json", "--all", "--live"])
    assert args.json and args.all and args.live


def test_a_closed_pipe_is_not_a_traceback(tmp_path: Path) -> None:
    # `watchtower schema | head -1`: the reader is gone before the output is written.
    process = subprocess.Popen(
        [sys.executable, "-m", "watchtower", "schema"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, cwd=tmp_path,
    )  # fmt: skip
    assert process.stdout is not None and process.stderr is not None
    process.stdout.close()
    err = process.stderr.read().decode()
    assert process.wait(timeout=60) == 141
    assert "Traceback" not in err and "BrokenPipeError" not in err
