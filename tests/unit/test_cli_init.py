"""`watchtower init`: a newcomer without the repository (pip, Docker) gets the
documented example, never loses a config they already have, and the file
written checks with nothing but the example's placeholder sources to replace."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import ROOT
from watchtower.cli import main

EXAMPLE = ROOT / "config.example.toml"
PLACEHOLDER = "still the example's placeholder"


def example() -> str:
    return EXAMPLE.read_text(encoding="utf-8")


@pytest.fixture
def here(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An empty working folder, as a newcomer's."""
    monkeypatch.chdir(tmp_path)
    return tmp_path


def test_init_writes_the_example_where_every_command_looks_by_default(
    here: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["init"]) == 0
    assert (here / "watchtower.toml").read_text(encoding="utf-8") == example()
    out, err = capsys.readouterr()
    assert err == ""
    assert out.startswith("watchtower.toml written: the example configuration")
    # What next, with the commands as they are typed here (the default file: no --config).
    assert "[[brands]]" in out and "[[sources]]" in out and "placeholders" in out
    assert "SLACK_BOT_TOKEN" in out
    assert "`watchtower check` names each problem" in out and "--config" not in out


def test_init_follows_watchtower_config_and_names_other_files_in_the_next_steps(
    here: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    (here / "etc").mkdir()
    monkeypatch.setenv("WATCHTOWER_CONFIG", str(here / "etc" / "wt.toml"))
    assert main(["init"]) == 0
    assert (here / "etc" / "wt.toml").read_text(encoding="utf-8") == example()
    assert "--config" not in capsys.readouterr().out  # every command finds it already

    assert main(["init", "mon fichier.toml"]) == 0  # PATH wins over the environment
    assert (here / "mon fichier.toml").read_text(encoding="utf-8") == example()
    out = capsys.readouterr().out
    assert "`watchtower check --config 'mon fichier.toml'`" in out  # quoted for the shell

    assert main(["init", "--config", "other.toml"]) == 0  # as every command's --config
    assert (here / "other.toml").is_file()
    assert "`watchtower run --once --config other.toml`" in capsys.readouterr().out


def test_init_never_replaces_an_existing_config_without_force(
    here: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    mine = here / "watchtower.toml"
    mine.write_text('[[brands]]\nname = "Acmé"\nterms = ["Acmé"]\n', encoding="utf-8")
    assert main(["init"]) == 2
    assert mine.read_text(encoding="utf-8").startswith("[[brands]]")  # untouched
    out, err = capsys.readouterr()
    assert out == ""
    assert err.strip() == (
        "watchtower init: watchtower.toml already exists: not replaced (edit it, choose "
        "another PATH, or pass --force to overwrite it with the example)"
    )

    assert main(["init", "--force"]) == 0
    assert mine.read_text(encoding="utf-8") == example()


def test_init_dash_prints_only_the_example_on_standard_output(
    here: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    # `docker run --rm watchtower init - > watchtower.toml`: the image's
    # WATCHTOWER_CONFIG names /config/watchtower.toml, which "-" overrides.
    monkeypatch.setenv("WATCHTOWER_CONFIG", str(here / "config" / "watchtower.toml"))
    assert main(["init", "-"]) == 0
    out, err = capsys.readouterr()
    assert out == example() and err == ""
    assert list(here.iterdir()) == []  # nothing written


def test_the_written_file_checks_with_only_the_placeholder_warnings(
    here: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["init"]) == 0
    capsys.readouterr()
    # The secrets the example names, set as the next steps say: what remains is
    # the file's own warnings.
    monkeypatch.setenv("SLACK_BOT_TOKEN", "xoxb-test")
    monkeypatch.setenv("IMAP_PASSWORD", "secret")
    assert main(["check"]) == 0
    out, err = capsys.readouterr()
    assert out.startswith(f"{here / 'watchtower.toml'}: OK — 1 brand(s), 7 source(s)")
    warnings = err.strip().splitlines()
    assert len(warnings) == 7, err  # the example's seven sources
    assert all(PLACEHOLDER in w for w in warnings), err


def test_check_without_a_config_points_at_init_and_following_it_works(
    here: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["check"]) == 2
    hint = capsys.readouterr().err
    assert "run `watchtower init` (or copy config.example.toml to watchtower.toml)" in hint
    assert main(["init"]) == 0
    assert main(["check"]) == 0


def test_init_into_a_missing_folder_says_so_and_offers_standard_output(
    here: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # As in the image without "-": /config does not exist there.
    assert main(["init", "config/watchtower.toml"]) == 1
    out, err = capsys.readouterr()
    assert out == ""
    assert (
        f"cannot write config/watchtower.toml: the folder {here / 'config'} does not exist" in err
    )
    assert "`watchtower init -` prints the example to standard output instead" in err
    assert not (here / "config").exists()  # no folder made that nobody asked for


def test_init_on_a_folder_asks_for_a_file_name(
    here: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (here / "etc").mkdir()
    assert main(["init", "etc", "--force"]) == 2  # --force never replaces a folder
    assert "etc is a folder: name the file to write, e.g. etc/watchtower.toml" in (
        capsys.readouterr().err
    )
    assert list((here / "etc").iterdir()) == []


def test_init_with_two_different_files_named_is_refused(
    here: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["init", "a.toml", "--config", "b.toml"]) == 2
    assert "two files named (a.toml and --config b.toml)" in capsys.readouterr().err
    assert list(here.iterdir()) == []
    assert main(["init", "a.toml", "--config", "a.toml"]) == 0  # the same one: fine
