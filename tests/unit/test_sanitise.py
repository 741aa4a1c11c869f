"""Untrusted text made safe to show: no terminal controls, no bidi overrides,
in every place that shows a feed's or a server's words (console, status, logs,
ops notices, config problems)."""

from __future__ import annotations

import io

import pytest
from rich.console import Console

from watchtower import metrics
from watchtower.errors import ConfigProblem
from watchtower.progress import RunSummary, summary_table
from watchtower.redact import redact_text
from watchtower.reload_notices import ops_payload
from watchtower.sanitise import BIDI_CONTROLS, printable

CONTROLS = [chr(c) for c in [*range(0x20), *range(0x7F, 0xA0)]]


@pytest.mark.parametrize("char", CONTROLS, ids=[f"U+{ord(c):04X}" for c in CONTROLS])
def test_every_control_character_becomes_a_space(char: str) -> None:
    shown = printable(f"a{char}b", keep="")
    assert shown == "a b"


@pytest.mark.parametrize("char", sorted(BIDI_CONTROLS), ids=lambda c: f"U+{ord(c):04X}")
def test_bidi_controls_are_dropped(char: str) -> None:
    assert printable(f"https://{char}rf.acme.evil.example") == "https://rf.acme.evil.example"


def test_line_breaks_and_tabs_are_kept_when_asked() -> None:
    assert printable("a\nb\tc\rd") == "a\nb\tc d"
    assert printable("a\nb\tc", keep="\n") == "a\nb c"
    assert printable("a\nb\tc", keep="") == "a b c"


def test_other_format_characters_stay() -> None:
    family = "👩\u200d👩\u200d👧"  # zero-width joiners make one emoji
    assert printable(f"{family} pré\u00adfé") == f"{family} pré\u00adfé"


def test_an_error_quoting_a_server_is_recorded_without_its_controls() -> None:
    # What poll.py stores, logs and sends to ops for a hostile Content-Encoding.
    error = "unsupported compression (\x1b[8m\x1b]8;;https://evil.example/\x07\x9b8m)"
    assert redact_text(error) == "unsupported compression ( [8m ]8;;https://evil.example/  8m)"


def test_a_refused_config_tells_ops_no_url_password() -> None:
    problem = ConfigProblem(
        "w.toml",
        8,
        "sources[0].url",
        "only http:// and https:// URLs are allowed, got 'htps://u:HUNTER2@h/f.rss'",
    )
    payload = ops_payload([problem], "en", "2026-01-01T00:00:00+00:00")
    assert "HUNTER2" not in str(payload)
    assert "htps://u:***@h/f.rss" in payload["excerpt"]


@pytest.mark.parametrize("error", ["[/]", "[link=https://evil.example/]x[/link]", "a\x9b8m\\"])
def test_the_run_once_summary_shows_an_error_as_written(error: str) -> None:
    summary = RunSummary()
    summary.on_event("poll", metrics.PollEvent("forum", "rss", ok=False, seconds=0.1, error=error))
    out = io.StringIO()
    Console(file=out, force_terminal=True, width=300).print(summary_table(summary))
    shown = out.getvalue()
    assert printable(error, keep="") in shown
    assert "\x1b]8;" not in shown and "\x9b" not in shown
