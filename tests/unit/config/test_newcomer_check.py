"""What `watchtower check` tells a newcomer who follows the README: no config
file yet, the example's placeholder sources, a pack rule's warning located at
the `include` line rather than at another rule's."""

from __future__ import annotations

import re
import tomllib
from collections.abc import Callable
from pathlib import Path

import pytest

from watchtower.cli import main
from watchtower.config import load_config, parse_config
from watchtower.errors import ConfigError

ROOT = Path(__file__).resolve().parents[3]
EXAMPLE = ROOT / "config.example.toml"
PLACEHOLDER = "still the example's placeholder"

# ------------------------------------------------------------------ no config file


def test_check_without_a_config_file_says_what_to_do(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("WATCHTOWER_CONFIG", raising=False)
    assert main(["check"]) == 2
    [line] = capsys.readouterr().err.strip().splitlines()
    assert line.startswith(f"watchtower.toml: file not found in {tmp_path}: ")
    assert "copy config.example.toml to watchtower.toml" in line
    assert "--config FILE" in line and "WATCHTOWER_CONFIG" in line


def test_a_missing_file_named_by_the_environment_says_so(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    missing = tmp_path / "etc" / "watchtower.toml"
    monkeypatch.setenv("WATCHTOWER_CONFIG", str(missing))
    assert main(["check"]) == 2
    assert capsys.readouterr().err.strip() == (
        f"{missing}: file not found (named by the environment variable WATCHTOWER_CONFIG)"
    )


def test_a_missing_file_named_by_config_is_only_not_found(tmp_path: Path) -> None:
    # Guard: --config names the file on purpose; no advice about copying the example.
    with pytest.raises(ConfigError) as caught:
        load_config(tmp_path / "nope.toml")
    [problem] = caught.value.problems
    assert problem.message == "file not found"


# ------------------------------------------------------------------ placeholders


def placeholder_warnings(text: str, path: Path) -> list[str]:
    loaded = parse_config(text, path)
    return [str(w) for w in loaded.warnings if PLACEHOLDER in w.message]


def test_the_untouched_example_warns_about_each_placeholder_source(tmp_path: Path) -> None:
    text = EXAMPLE.read_text(encoding="utf-8")
    warned = placeholder_warnings(text, tmp_path / "watchtower.toml")
    sources = tomllib.loads(text)["sources"]
    assert len(warned) == len(sources) == 7
    lines = text.splitlines()
    for index, warning in enumerate(warned):
        located = re.match(r".*?:(\d+): sources\[(\d+)\]\.(\w+): ", warning)
        assert located, warning
        number, position, key = located.groups()
        assert int(position) == index
        assert lines[int(number) - 1].startswith(f"{key} = "), warning  # the line of the key
    assert "Google Alerts feed" in warned[0] and ".url:" in warned[0]
    assert ".base_url: " in warned[2] and "your own forum's address" in warned[2]
    assert ".host: " in warned[5] and "mail server" in warned[5]


def test_the_example_run_through_check_prints_the_placeholders(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert main(["check", "--config", str(EXAMPLE)]) == 0  # warnings, not errors
    err = capsys.readouterr().err
    assert (
        "sources[0].url: still the example's placeholder: replace it with your own Google "
        'Alerts feed (in Google Alerts: "Deliver to: RSS feed"), or remove this source; '
        "until then it brings nothing"
    ) in err


def preset_examples() -> list[tuple[str, str]]:
    """The commented ``[[sources]]`` example of each shipped preset's doc."""
    found = []
    for preset in sorted((ROOT / "sources").glob("*.toml")):
        lines = preset.read_text(encoding="utf-8").splitlines()
        start = lines.index("#   [[sources]]")
        block = []
        for line in lines[start:]:
            if not line.startswith("#   "):
                break
            block.append(line.removeprefix("#   "))
        found.append((preset.stem, "\n".join(block) + "\n"))
    return found


@pytest.mark.parametrize(("preset", "text"), preset_examples())
def test_each_preset_docs_example_is_a_placeholder(tmp_path: Path, preset: str, text: str) -> None:
    assert f'preset = "{preset}"' in text
    [warning] = placeholder_warnings(text, tmp_path / "w.toml")
    assert "sources[0].base_url: " in warning and "your own forum's address" in warning


@pytest.mark.parametrize(
    "source",
    [
        # Other example.* addresses are real configs' (tests, docs), not placeholders.
        'kind = "rss"\nurl = "https://presse.example.fr/rss.xml"',
        'kind = "reviews"\nurl = "https://avis.example.fr/velo-rapide-nantes"',
        'preset = "phpbb"\nbase_url = "https://forum.ufc.example.fr"',
        'kind = "google_alerts"\nurl = "https://www.google.com/alerts/feeds/1/2"',
        # The example's server with another user: tests of port and tls use it.
        'kind = "imap"\nhost = "imap.example.fr"\nusername = "u"\npassword_env = "P"',
        # A placeholder paused on purpose brings nothing, and says so already.
        'kind = "rss"\nurl = "https://www.example.fr/rss.xml"\nenabled = false',
    ],
)
def test_no_placeholder_warning_for_other_addresses(tmp_path: Path, source: str) -> None:
    text = f'[[sources]]\nname = "s"\n{source}\n'
    assert placeholder_warnings(text, tmp_path / "w.toml") == []


@pytest.mark.parametrize(
    "source",
    [
        'kind = "rss"\nurl = "https://www.example.fr/rss.xml/"',
        'kind = "html"\nurl = "HTTPS://WWW.EXAMPLE.FR/actualites"\nitem = "a"\ntitle = "a"',
        'kind = "imap"\nhost = "IMAP.example.fr"\nusername = "veille@example.fr"\n'
        'password_env = "IMAP_PASSWORD"',
    ],
)
def test_a_placeholder_written_slightly_differently_still_warns(
    tmp_path: Path, source: str
) -> None:
    text = f'[[sources]]\nname = "s"\n{source}\n'
    [warning] = placeholder_warnings(text, tmp_path / "w.toml")
    assert warning.startswith(f"{tmp_path / 'w.toml'}:4: sources[0].")


def test_the_fixture_configs_have_no_placeholder() -> None:
    for path in sorted((ROOT / "tests" / "fixtures").rglob("*.toml")):
        assert [w for w in load_config(path).warnings if PLACEHOLDER in w.message] == []


# ------------------------------------------------------------------ pack rules' lines

BRANDS = """
[slack]
default_channel = "#agence"

[[brands]]
name = "Banque Acmé"
terms = ["Banque Acmé"]

[[brands]]
name = "Boulangeries Durand"
terms = ["Boulangeries Durand"]

[[rules]]
name = "acme"
brands = ["Banque Acmé"]
notify = ["slack:#client-acme"]
"""


def test_a_pack_rule_warning_points_at_the_include_line(tmp_path: Path) -> None:
    """The pack's rules come after the file's own: their index has no line, and
    the line of the file's last rule would name the wrong one."""
    text = '# an agency\ninclude = ["crisis-fr"]\n' + BRANDS
    path = tmp_path / "local.toml"
    warnings = [str(w) for w in parse_config(text, path).warnings if "has no notify" in w.message]
    assert [w.split(": rule ")[0] for w in warnings] == [f"{path}:2: include"] * 2
    assert warnings[0].startswith(
        f"{path}:2: include: rule 'crisis-fr' has no notify (a rule of the included pack "
        "'crisis-fr'): its mentions of 'Banque Acmé' go to default_notify (slack:#agence)"
    )
    assert "rule 'crisis-fr-service' has no notify (a rule of the included pack" in warnings[1]


def test_a_file_rule_overriding_a_pack_rule_keeps_its_own_line(tmp_path: Path) -> None:
    # Guard: a rule named like a pack rule is the file's, at its own line.
    text = (
        'include = ["crisis-fr"]\n'
        + BRANDS
        + '\n[[rules]]\nname = "crisis-fr"\nseverity = "critical"\n'
    )
    path = tmp_path / "local.toml"
    warnings = [str(w) for w in parse_config(text, path).warnings if "has no notify" in w.message]
    own_line = text.splitlines().index('name = "crisis-fr"') + 1
    assert warnings[0].startswith(
        f"{path}:{own_line}: rules[1].name: rule 'crisis-fr' has no notify: its mentions"
    )
    assert warnings[1].startswith(f"{path}:1: include: rule 'crisis-fr-service' has no notify")


def test_with_one_brand_a_pack_rule_without_notify_is_not_warned_about(
    write_config: Callable[[str], Path],
) -> None:
    # Guard, and intended: the warning is about one client's crises reaching
    # another's channel; with one brand there is no other client to reach.
    text = (
        'include = ["crisis-fr"]\n[[brands]]\nname = "Acmé"\nterms = ["Acmé"]\n'
        '[[rules]]\nname = "acme"\nbrands = ["Acmé"]\nnotify = ["slack:#acme"]\n'
    )
    assert not [w for w in load_config(write_config(text)).warnings if "notify" in w.message]
