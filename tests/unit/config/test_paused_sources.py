"""`watchtower check` warns when every [[sources]] is paused (enabled = false):
the daemon would run and poll nothing, as with no [[sources]] at all."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from watchtower.cli import main

BRAND = '[[brands]]\nname = "Acmé"\nterms = ["Acmé"]\n'


def source(name: str, enabled: bool | None) -> str:
    flag = "" if enabled is None else f"enabled = {str(enabled).lower()}\n"
    return (
        f'[[sources]]\nname = "{name}"\nkind = "rss"\nurl = "https://{name}.acme.test/rss"\n{flag}'
    )


def warnings(path: Path, capsys: pytest.CaptureFixture[str]) -> list[str]:
    assert main(["check", "--config", str(path)]) == 0  # a warning, not an error
    return [line for line in capsys.readouterr().err.splitlines() if line.startswith("warning:")]


@pytest.mark.parametrize(
    ("sources", "expected"),
    [
        (
            [("presse", False)],
            ":4: sources: the only source is paused (enabled = false: presse): "
            "nothing is listened to",
        ),
        (
            [("presse", False), ("forum", False), ("blog", False)],
            ":4: sources: all 3 sources are paused (enabled = false: presse, forum, blog): "
            "nothing is listened to",
        ),
        # The list is capped as run --once's line caps it.
        (
            [(f"s{i}", False) for i in range(11)],
            ":4: sources: all 11 sources are paused (enabled = false: s0, s1, s2, s3, s4, "
            "s5, s6, s7 and 3 more): nothing is listened to",
        ),
    ],
)
def test_every_source_paused_is_warned_about(
    write_config: Callable[[str], Path],
    capsys: pytest.CaptureFixture[str],
    sources: list[tuple[str, bool]],
    expected: str,
) -> None:
    path = write_config(BRAND + "".join(source(n, e) for n, e in sources))
    assert f"warning: {path}{expected}" in warnings(path, capsys)


@pytest.mark.parametrize(
    "sources",
    [
        [("presse", None)],
        [("presse", True)],
        [("presse", False), ("forum", None)],  # one source still polled
    ],
)
def test_no_warning_while_one_source_is_polled(
    write_config: Callable[[str], Path],
    capsys: pytest.CaptureFixture[str],
    sources: list[tuple[str, bool | None]],
) -> None:
    path = write_config(BRAND + "".join(source(n, e) for n, e in sources))
    assert not [w for w in warnings(path, capsys) if "paused" in w or "listened" in w]


def test_no_sources_keeps_its_own_warning(
    write_config: Callable[[str], Path], capsys: pytest.CaptureFixture[str]
) -> None:
    path = write_config(BRAND)
    found = [w for w in warnings(path, capsys) if "listened" in w]
    assert found == [f"warning: {path}: no [[sources]]: nothing is listened to"]
