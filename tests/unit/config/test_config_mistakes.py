"""The mistakes people make editing the config, and what `watchtower check` tells them.

One row per mistake: an edit of a good file and the exact problems, each as
``LINE: key: message``, like Alertmanager's ``config/testdata``. Every message
says what to write instead.
"""

from __future__ import annotations

import codecs
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.unit.config.test_config import GOOD
from watchtower.cli import main
from watchtower.config import load_config
from watchtower.errors import ConfigError

#: Lines of GOOD: 1 [watchtower], 4 [[brands]], 6 terms, 8 [[sources]], 10 kind,
#: 12 every, 14 [[rules]], 16 brands, 17 severity, 18 notify.
QUIET = '\n[[quiet_hours]]\ntargets = ["console:"]\nwindows = ["sat-sun"]\n'  # lines 20-22


def problems(path: Path) -> list[str]:
    with pytest.raises(ConfigError) as caught:
        load_config(path)
    return [str(p).removeprefix(f"{path}:") for p in caught.value.problems]


MISTAKES: list[tuple[str, str, str, list[str]]] = [
    # ------------------------------------------------------------- durations
    (
        "a duration as a bare number would be seconds",
        'every = "10m"',
        "every = 15",
        [
            '12: sources[0].every: a duration needs a unit, in quotes: "15s" (seconds), '
            '"15m" (minutes) or "15h" (hours)'
        ],
    ),
    (
        "a duration with a space and a word",
        'every = "10m"',
        'every = "15 min"',
        ["12: sources[0].every: '15 min' is not a duration; did you mean '15m'?"],
    ),
    (
        "a duration written the French way",
        'every = "10m"',
        'every = "1h30"',
        ["12: sources[0].every: '1h30' is not a duration; did you mean '1h30m'?"],
    ),
    (
        "a duration without a unit, in quotes",
        'every = "10m"',
        'every = "90"',
        [
            "12: sources[0].every: '90' is not a duration; it needs a unit: '90s' (seconds), "
            "'90m' (minutes) or '90h' (hours)"
        ],
    ),
    (
        "a bare number in a section's duration",
        'database_url = "sqlite:///state/wt.db"',
        'database_url = "sqlite:///state/wt.db"\nretention = 90',
        [
            '3: watchtower.retention: a duration needs a unit, in quotes: "90s" (seconds), '
            '"90m" (minutes) or "90h" (hours)'
        ],
    ),
    # ----------------------------------------------------- keys in the wrong table
    (
        "a source key in a rule",
        'severity = "critical"',
        'severity = "critical"\nevery = "10m"',
        ["18: rules[0].every: unknown key here; every belongs in [[sources]]"],
    ),
    (
        "a rule key in a source",
        'every = "10m"',
        'every = "10m"\nseverity = "critical"',
        ["13: sources[0].severity: unknown key here; severity belongs in [[rules]]"],
    ),
    (
        "a [watchtower] key in another table",
        'notify = ["console:"]',
        'notify = ["console:"]\ntimezone = "Europe/Paris"',
        [
            "19: rules[0].timezone: unknown key here; timezone belongs in [watchtower], "
            "[[quiet_hours]], [[digests]] or [[sources]] of kind 'html'"
        ],
    ),
    (
        "another kind's key in a source",
        'every = "10m"',
        'every = "10m"\nmax_topics = 5',
        [
            "13: sources[0].max_topics: unknown key here; max_topics belongs in "
            "[[sources]] of kind 'discourse'"
        ],
    ),
    (
        "a misspelt key still gets its 'did you mean'",
        'every = "10m"',
        'evry = "10m"',
        ["12: sources[0].evry: unknown key; did you mean 'every'?"],
    ),
    # ----------------------------------------------------- values in plain words
    (
        "a severity in French",
        'severity = "critical"',
        'severity = "critique"',
        [
            "17: rules[0].severity: must be 'info', 'warning' or 'critical', got 'critique'; "
            "did you mean 'critical'?"
        ],
    ),
    (
        "a brand with no terms",
        'terms = ["Acmé"]',
        "terms = []",
        [
            "6: brands[0].terms: cannot be empty: a brand needs at least one term, "
            'e.g. terms = ["Acmé"]'
        ],
    ),
    (
        "a boolean in quotes, in French",
        'every = "10m"',
        'every = "10m"\nenabled = "oui"',
        ["13: sources[0].enabled: must be true or false (in lower case, no quotes), got 'oui'"],
    ),
    (
        "a list written as one text",
        'notify = ["console:"]',
        'notify = "console:"',
        ['18: rules[0].notify: must be a list in brackets: notify = ["console:"]'],
    ),
    (
        "a number in quotes",
        'database_url = "sqlite:///state/wt.db"',
        'database_url = "sqlite:///state/wt.db"\nconcurrency = "vingt"',
        ["3: watchtower.concurrency: must be a whole number (no quotes), got 'vingt'"],
    ),
    (
        "a number out of range",
        'database_url = "sqlite:///state/wt.db"',
        'database_url = "sqlite:///state/wt.db"\nconcurrency = 0',
        ["3: watchtower.concurrency: must be 1 or more, got 0"],
    ),
    (
        "a Slack user by name",
        'notify = ["console:"]',
        'notify = ["console:"]\nescalate_to = ["@jean"]',
        [
            "19: rules[0].escalate_to[0]: a Slack user is written '@U0123' (the member ID "
            "from the Slack profile); got '@jean'"
        ],
    ),
    (
        "a Slack channel without #",
        'notify = ["console:"]',
        'notify = ["slack:crise"]',
        [
            "18: rules[0].notify[0]: a Slack channel looks like '#name' or 'C0123', "
            "got 'crise'; did you mean 'slack:#crise'?"
        ],
    ),
    (
        "a city for a time zone",
        'database_url = "sqlite:///state/wt.db"',
        'database_url = "sqlite:///state/wt.db"\ntimezone = "Paris"',
        ["3: watchtower.timezone: unknown time zone 'Paris'; did you mean 'Europe/Paris'?"],
    ),
    (
        "quiet hours the French way",
        '["sat-sun"]',
        '["22h-7h"]',
        [
            "22: quiet_hours[0].windows[0]: '22h-7h' is not a window; use e.g. "
            "'mon-fri 20:00-08:00' or 'sat,sun'; did you mean 'daily 22:00-07:00'?"
        ],
    ),
    (
        "a digest the French way",
        'notify = ["console:"]',
        'notify = ["console:"]\ndigest = "tous les jours 8h30"',
        [
            "19: rules[0].digest: 'tous les jours 8h30' is not a digest schedule; use "
            "'hourly', 'daily 08:30' or 'weekly mon 08:30'; did you mean 'daily 08:30'?"
        ],
    ),
    (
        "a source kind in capitals",
        'kind = "google_alerts"',
        'kind = "RSS"',
        [
            "10: sources[0].kind: unknown kind 'RSS'; did you mean 'rss'? (one of: discourse, "
            "google_alerts, html, imap, reviews, rss)"
        ],
    ),
    # ------------------------------------------------------- regular expressions
    (
        "a query written as a regular expression",
        'severity = "critical"',
        "query = 'arnaque|escroquerie.*'\nseverity = \"critical\"",
        [
            "17: rules[0].query: column 8: '|' is regular-expression syntax, which queries "
            "do not use; did you mean 'arnaque OR escroquerie*'?"
        ],
    ),
    (
        "a query with a regular-expression set",
        'severity = "critical"',
        "query = '[Aa]rnaque'\nseverity = \"critical\"",
        [
            "17: rules[0].query: column 1: '[Aa]' is regular-expression syntax, which queries "
            "do not use: join words with OR, write rembours* for a prefix"
        ],
    ),
    (
        "a brand term written as a regular expression",
        'terms = ["Acmé"]',
        "terms = ['acm(e|é)']",
        [
            "6: brands[0].terms[0]: column 6: '|' is regular-expression syntax, which terms "
            'do not use: list each form ("arnaque", "arnaques") or write arnaque*'
        ],
    ),
    # ------------------------------------------------------------- tables
    (
        "[brands] for [[brands]], and no follow-up noise about its name",
        '[[brands]]\nname = "Acmé"',
        '[brands]\nname = "Acmé"',
        ["4: brands: write [[brands]] (two brackets): each entry is its own [[brands]] table"],
    ),
    (
        "[sources] for [[sources]]",
        "[[sources]]",
        "[sources]",
        ["8: sources: write [[sources]] (two brackets): each source is its own [[sources]] table"],
    ),
    # ------------------------------------------------------------ TOML syntax
    (
        "a missing closing quote",
        'severity = "critical"',
        'severity = "critical',
        ['17: TOML syntax error: a "…" text is not closed: add " at the end of the value'],
    ),
    (
        "an unclosed list names the line it opens on",
        'terms = ["Acmé"]',
        'terms = ["Acmé"',
        ["6: TOML syntax error: the [ of terms is not closed: end the list with ]"],
    ),
    (
        "a key set twice",
        'severity = "critical"',
        'severity = "critical"\nseverity = "info"',
        ["18: TOML syntax error: severity is set twice (also on line 17): keep one"],
    ),
    (
        "a table declared twice",
        'notify = ["console:"]',
        'notify = ["console:"]\n\n[watchtower]\nlanguage = "en"',
        [
            "20: TOML syntax error: [watchtower] appears twice (first on line 1): put all its "
            "keys under one [watchtower]"
        ],
    ),
    (
        "[x] then [[x]]",
        "[[rules]]",
        '[rules]\nname = "veille"\n\n[[rules]]',
        [
            "17: TOML syntax error: [[rules]] cannot follow a [rules] table: write [[rules]] "
            "(two brackets) for every entry, the first one too"
        ],
    ),
    (
        "text without quotes",
        'severity = "critical"',
        "severity = critical",
        ['17: TOML syntax error: text values are written in double quotes: severity = "critical"'],
    ),
    (
        "a colon for an equals sign",
        'severity = "critical"',
        'severity: "critical"',
        ['17: TOML syntax error: write key = value, with "=" (not ":")'],
    ),
    (
        "a trailing comma after a value",
        'notify = ["console:"]',
        'notify = ["console:"],',
        ["18: TOML syntax error: remove the ',' after the value (commas only separate list items)"],
    ),
    (
        "a sender that is not an address",
        'database_url = "sqlite:///state/wt.db"',
        'database_url = "sqlite:///state/wt.db"\n[email]\nfrom = "Veille Acmé"',
        [
            "4: email.from: not a sender address: 'Veille Acmé'; write from = "
            '"veille@example.fr" or from = "Veille Acmé <veille@example.fr>"'
        ],
    ),
    (
        "a Windows path in double quotes",
        'database_url = "sqlite:///state/wt.db"',
        'database_url = "sqlite:///C:\\dossier\\wt.db"',
        [
            '2: TOML syntax error: a \\ in "…" starts an escape: write \\\\, or use single '
            "quotes 'C:\\dossier'"
        ],
    ),
]


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [pytest.param(old, new, expected, id=name) for name, old, new, expected in MISTAKES],
)
def test_mistake_is_named_with_what_to_write(
    write_config: Callable[[str], Path], old: str, new: str, expected: list[str]
) -> None:
    good = GOOD + QUIET
    assert old in good
    assert problems(write_config(good.replace(old, new, 1))) == expected


def test_every_mistake_of_a_file_is_reported_at_once(write_config: Callable[[str], Path]) -> None:
    text = (
        GOOD.replace('every = "10m"', "every = 15\nseverity = 'info'")
        .replace('severity = "critical"', 'serverity = "critical"\nquery = "a|b"')
        .replace('database_url = "sqlite:///state/wt.db"', 'timezone = "Paris"')
    )
    assert problems(write_config(text)) == [
        "2: watchtower.timezone: unknown time zone 'Paris'; did you mean 'Europe/Paris'?",
        '12: sources[0].every: a duration needs a unit, in quotes: "15s" (seconds), '
        '"15m" (minutes) or "15h" (hours)',
        "13: sources[0].severity: unknown key here; severity belongs in [[rules]]",
        "18: rules[0].serverity: unknown key; did you mean 'severity'?",
        "19: rules[0].query: column 2: '|' is regular-expression syntax, which queries "
        "do not use; did you mean 'a OR b'?",
    ]


# ----------------------------------------------------------------- encodings


def test_a_bom_is_accepted(tmp_path: Path) -> None:
    path = tmp_path / "watchtower.toml"
    path.write_bytes(codecs.BOM_UTF8 + GOOD.encode())
    assert load_config(path).config.brands[0].name == "Acmé"


def test_windows_line_endings_are_accepted(tmp_path: Path) -> None:
    path = tmp_path / "watchtower.toml"
    path.write_bytes(GOOD.replace("\n", "\r\n").encode())
    assert load_config(path).config.rules[0].severity == "critical"


def test_a_latin1_file_names_the_line(tmp_path: Path) -> None:
    path = tmp_path / "watchtower.toml"
    path.write_bytes(GOOD.encode("latin-1"))
    assert problems(path) == [
        "5: this line is not UTF-8 (the file was probably saved as Latin-1 or Windows-1252, "
        "which writes accents differently): save the file as UTF-8"
    ]


def test_a_utf16_file_is_named(tmp_path: Path) -> None:
    path = tmp_path / "watchtower.toml"
    path.write_bytes(GOOD.encode("utf-16"))
    assert problems(path) == ["1: the file is saved as UTF-16 (“Unicode”): save it as UTF-8"]


def test_a_folder_is_not_a_config(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as caught:
        load_config(tmp_path)
    assert str(caught.value) == f"{tmp_path}: is a folder, not a file"


def test_check_exits_2_and_prints_one_line_per_problem(
    write_config: Callable[[str], Path], capsys: pytest.CaptureFixture[str]
) -> None:
    path = write_config(GOOD.replace('every = "10m"', 'evry = "10m"'))
    assert main(["check", "--config", str(path)]) == 2
    out = capsys.readouterr()
    assert out.out == ""
    assert out.err == f"{path}:12: sources[0].evry: unknown key; did you mean 'every'?\n"
