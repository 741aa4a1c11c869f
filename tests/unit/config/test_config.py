"""Config loading: good and bad files, with the exact error text (file:line: key: message)."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

import pytest

from tests.conftest import ROOT
from watchtower.cli import main
from watchtower.config import load_config, parse_config
from watchtower.durations import parse_duration
from watchtower.errors import ConfigError
from watchtower.tomllines import locate_keys

GOOD = """\
[watchtower]
database_url = "sqlite:///state/wt.db"

[[brands]]
name = "Acmé"
terms = ["Acmé"]

[[sources]]
name = "alertes"
kind = "google_alerts"
url = "https://www.google.com/alerts/feeds/1/2"
every = "10m"

[[rules]]
name = "crise"
brands = ["Acmé"]
severity = "critical"
notify = ["console:"]
"""


def test_example_config_is_valid() -> None:
    loaded = load_config(ROOT / "config.example.toml")
    assert loaded.config.brands[0].name == "Acmé"
    assert loaded.config.sources[0].every == timedelta(minutes=10)


def test_relative_sqlite_path_resolves_from_config_folder(
    write_config: Callable[[str], Path], tmp_path: Path
) -> None:
    loaded = load_config(write_config(GOOD))
    assert loaded.database_url == f"sqlite:///{tmp_path / 'state' / 'wt.db'}"


def test_relative_sqlite_path_of_a_symlinked_config_is_beside_its_target(
    write_config: Callable[[str], Path], tmp_path: Path
) -> None:
    # Where it always was (beside the file the link leads to): an upgrade that
    # read it beside the link would start on a new, empty database.
    target = write_config(GOOD, "real.toml")
    (tmp_path / "etc").mkdir()
    link = tmp_path / "etc" / "watchtower.toml"
    link.symlink_to(target)
    loaded = load_config(link)
    assert loaded.path == link
    assert loaded.database_url == f"sqlite:///{tmp_path / 'state' / 'wt.db'}"


def test_database_url_env_override(
    write_config: Callable[[str], Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("WATCHTOWER_DATABASE_URL", "sqlite:////tmp/elsewhere.db")
    assert load_config(write_config(GOOD)).database_url == "sqlite:////tmp/elsewhere.db"


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        (
            'severity = "critical"',
            'sevrity = "critical"',
            "17: rules[0].sevrity: unknown key; did you mean 'severity'?",
        ),
        (
            'url = "https://www.google.com/alerts/feeds/1/2"',
            'url = "file:///etc/passwd"',
            "11: sources[0].url: only http:// and https:// URLs are allowed, got 'file:///etc/passwd'",
        ),
        (
            'every = "10m"',
            'every = "10 minutes"',
            "12: sources[0].every: '10 minutes' is not a duration; did you mean '10m'?",
        ),
        (
            'brands = ["Acmé"]',
            'brands = ["Acme"]',
            "16: rules[0].brands: unknown brand 'Acme'; did you mean 'Acmé'?",
        ),
        (
            'kind = "google_alerts"',
            'kind = "gogle_alerts"',
            "10: sources[0].kind: unknown kind 'gogle_alerts'",
        ),
        (
            'notify = ["console:"]',
            'notify = ["sms:0600000000"]',
            "18: rules[0].notify[0]: unknown target 'sms:0600000000'",
        ),
        (
            'severity = "critical"',
            'severity = "urgent"',
            "17: rules[0].severity: must be 'info', 'warning' or 'critical', got 'urgent'",
        ),
        (
            'terms = ["Acmé"]',
            "terms = []",
            "6: brands[0].terms: cannot be empty: a brand needs at least one term, e.g. "
            'terms = ["Acmé"]',
        ),
    ],
)
def test_bad_config_names_line_and_key(
    write_config: Callable[[str], Path], old: str, new: str, expected: str
) -> None:
    assert old in GOOD
    path = write_config(GOOD.replace(old, new))
    with pytest.raises(ConfigError) as caught:
        load_config(path)
    lines = [str(p) for p in caught.value.problems]
    assert len(lines) == 1, lines
    assert lines[0].startswith(f"{path}:{expected}"), lines[0]


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        (
            'terms = ["Acmé"]',
            'terms = ["Acmé", "!!!"]',
            "6: brands[0].terms[1]: '!!!' has no letters or digits; expected a term",
        ),
        (
            'terms = ["Acmé"]',
            'terms = ["ac*mé"]',
            "6: brands[0].terms[0]: '*' is only allowed at the end of a word, in 'ac*mé'",
        ),
    ],
)
def test_bad_terms_are_named(
    write_config: Callable[[str], Path], old: str, new: str, expected: str
) -> None:
    path = write_config(GOOD.replace(old, new))
    with pytest.raises(ConfigError) as caught:
        load_config(path)
    assert [str(p) for p in caught.value.problems] == [f"{path}:{expected}"]


def test_unknown_rule_pack_names_the_line(write_config: Callable[[str], Path]) -> None:
    path = write_config('include = ["crisis-fr", "crise-xx"]\n' + GOOD)
    with pytest.raises(ConfigError) as caught:
        load_config(path)
    [problem] = caught.value.problems
    assert str(problem).startswith(f"{path}:1: include[1]: ")
    assert "crise-xx" in str(problem)


def test_toml_syntax_error_names_the_line(write_config: Callable[[str], Path]) -> None:
    path = write_config(GOOD.replace("[[brands]]", "[[brands]"))
    with pytest.raises(ConfigError) as caught:
        load_config(path)
    assert str(caught.value).startswith(f"{path}:4: TOML syntax error:")


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="file not found"):
        load_config(tmp_path / "nope.toml")


def test_every_problem_is_reported(write_config: Callable[[str], Path]) -> None:
    text = GOOD.replace('every = "10m"', 'every = "soon"').replace("severity", "sevrity")
    with pytest.raises(ConfigError) as caught:
        load_config(write_config(text))
    assert [p.key for p in caught.value.problems] == ["sources[0].every", "rules[0].sevrity"]


def test_references_are_checked_in_the_same_pass(write_config: Callable[[str], Path]) -> None:
    # A typo in one entry must not hide a wrong reference or query in another:
    # marketing fixes the file once, not once per kind of problem.
    text = (
        GOOD.replace('every = "10m"', 'evry = "10m"')
        .replace('brands = ["Acmé"]', 'brands = ["acne"]\nquery = "arnaque AND ("')
        .replace('terms = ["Acmé"]', 'terms = ["Acmé"]\ncolour = "red"')
    )
    with pytest.raises(ConfigError) as caught:
        load_config(write_config(text))
    assert [(p.key, p.message) for p in caught.value.problems] == [
        ("brands[0].colour", "unknown key"),
        ("sources[0].evry", "unknown key; did you mean 'every'?"),
        ("rules[0].brands", "unknown brand 'acne'; did you mean 'Acmé'?"),  # case, accent, typo
        (
            "rules[0].query",
            "column 14: expected a term, a \"phrase\", '(' or a field such as title:,"
            " found the end of the query",
        ),
    ]


def test_an_invalid_entry_still_defines_its_name(write_config: Callable[[str], Path]) -> None:
    # The brand has a bad key; the rule naming it is not wrong as well.
    text = GOOD.replace('terms = ["Acmé"]', 'terms = ["Acmé"]\ncolour = "red"')
    with pytest.raises(ConfigError) as caught:
        load_config(write_config(text))
    assert [p.key for p in caught.value.problems] == ["brands[0].colour"]


def test_duplicate_names(write_config: Callable[[str], Path]) -> None:
    text = GOOD + '\n[[brands]]\nname = "Acmé"\nterms = ["x"]\n'
    with pytest.raises(ConfigError, match=r":21: brands\[1\]\.name: duplicate name 'Acmé'"):
        load_config(write_config(text))


def test_email_target_needs_email_section(write_config: Callable[[str], Path]) -> None:
    text = GOOD.replace('notify = ["console:"]', 'notify = ["email:dircom@example.fr"]')
    with pytest.raises(ConfigError, match=r"rules\[0\]\.notify: an email: target needs"):
        load_config(write_config(text))


def test_check_command_exit_codes(
    write_config: Callable[[str], Path], capsys: pytest.CaptureFixture[str]
) -> None:
    good = write_config(GOOD)
    assert main(["check", "--config", str(good)]) == 0
    assert "OK — 1 brand(s), 1 source(s), 1 rule(s)" in capsys.readouterr().out
    bad = write_config(GOOD.replace("severity", "sevrity"), "bad.toml")
    assert main(["check", "--config", str(bad)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert err == [f"{bad}:17: rules[0].sevrity: unknown key; did you mean 'severity'?"]


def test_check_as_a_process(write_config: Callable[[str], Path]) -> None:
    bad = write_config(GOOD.replace('every = "10m"', 'every = "10x"'))
    result = subprocess.run(
        [sys.executable, "-m", "watchtower", "check", "--config", str(bad)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 2
    assert result.stderr.strip().startswith(f"{bad}:12: sources[0].every:")


def test_secrets_come_from_env_and_never_print(
    write_config: Callable[[str], Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SLACK_BOT_TOKEN", "xoxb-very-secret")
    monkeypatch.setenv("SMTP_PASSWORD", "hunter2")
    loaded = load_config(write_config(GOOD))
    assert loaded.secrets.slack_bot_token is not None
    assert loaded.secrets.slack_bot_token.get_secret_value() == "xoxb-very-secret"
    shown = repr(loaded) + str(loaded.secrets)
    assert "xoxb-very-secret" not in shown and "hunter2" not in shown


def test_secrets_are_not_config_keys(write_config: Callable[[str], Path]) -> None:
    text = GOOD.replace("default_channel", "x") + '\n[slack]\ntoken = "xoxb-in-file"\n'
    with pytest.raises(ConfigError) as caught:
        load_config(write_config(text))
    assert "slack.token: unknown key" in str(caught.value)
    assert "xoxb-in-file" not in str(caught.value)


@pytest.mark.parametrize(
    ("text", "seconds"),
    [("90s", 90), ("10m", 600), ("1h", 3600), ("1h30m", 5400), ("7d", 604800), (45, 45)],
)
def test_durations(text: str | int, seconds: int) -> None:
    assert parse_duration(text).total_seconds() == seconds


@pytest.mark.parametrize("text", ["", "10", "ten minutes", "-5s", "5 parsecs", True])
def test_bad_durations(text: object) -> None:
    with pytest.raises(ValueError):
        parse_duration(text)


def test_locate_keys_handles_multiline_arrays() -> None:
    text = 'a = 1\nb = [\n  "x",\n  "y",\n]\n[[t]]\nk = 2\n[[t]]\nk = 3\n'
    lines = locate_keys(text)
    assert lines[("b",)] == 2
    assert lines[("t", 0, "k")] == 7
    assert lines[("t", 1, "k")] == 9


def test_a_misspelt_base_url_of_a_preset_gets_a_hint(tmp_path: Path) -> None:
    text = '[[sources]]\nname = "forum"\npreset = "phpbb"\nbsae_url = "https://forum.example.fr"\n'
    with pytest.raises(ConfigError) as caught:
        parse_config(text, tmp_path / "w.toml")
    assert "needs base_url ('bsae_url': did you mean 'base_url'?)" in str(caught.value)


@pytest.mark.parametrize(
    ("section", "key"),
    [
        ("[watchtower]", "poll_interval"),
        ("[watchtower]", "drain_interval"),
        ("[watchtower]", "request_timeout"),
        ("[watchtower]", "retention"),
        ("[dedup]", "window"),
    ],
)
def test_a_zero_interval_or_timeout_is_refused(tmp_path: Path, section: str, key: str) -> None:
    text = f'{section}\n{key} = "0s"\n\n[[brands]]\nname = "Acmé"\nterms = ["Acmé"]\n'
    with pytest.raises(ConfigError) as caught:
        parse_config(text, tmp_path / "w.toml")
    assert f"{key}: " in str(caught.value) and "must be longer than 0s" in str(caught.value)


def test_a_source_polled_every_0s_is_refused(tmp_path: Path) -> None:
    text = '[[sources]]\nname = "f"\nkind = "rss"\nurl = "https://a.fr/f.xml"\nevery = "0s"\n'
    with pytest.raises(ConfigError, match="must be longer than 0s"):
        parse_config(text, tmp_path / "w.toml")


def test_check_warns_about_what_this_machine_lacks(
    write_config: Callable[[str], Path], capsys: pytest.CaptureFixture[str]
) -> None:
    path = write_config(
        '[[sources]]\nname = "boite"\nkind = "imap"\nhost = "imap.example.fr"\n'
        'username = "veille@example.fr"\npassword_env = "WT_TEST_NO_SUCH_PASSWORD"\n'
        'ca_file = "/nonexistent/ca.pem"\n'
    )
    assert main(["check", "--config", str(path)]) == 0  # the daemon may run elsewhere
    err = capsys.readouterr().err
    assert "WT_TEST_NO_SUCH_PASSWORD is not set here" in err
    assert "ca_file /nonexistent/ca.pem does not exist here" in err


def test_a_source_brand_must_be_a_configured_brand(tmp_path: Path) -> None:
    text = (
        '[[brands]]\nname = "Acmé"\nterms = ["Acmé"]\n\n'
        '[[sources]]\nname = "avis"\nkind = "reviews"\nurl = "https://a.fr/avis"\n'
        'brands = ["Acme"]\n'
    )
    with pytest.raises(ConfigError) as caught:
        parse_config(text, tmp_path / "w.toml")
    assert "sources[0].brands: unknown brand 'Acme'; did you mean 'Acmé'?" in str(caught.value)
    fixed = parse_config(text.replace('["Acme"]', '["Acmé"]'), tmp_path / "w.toml")
    assert fixed.sources[0].brands == ("Acmé",)
