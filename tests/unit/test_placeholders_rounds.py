"""The poller judges each source once, not every round (:class:`PlaceholderSkips`):
a reload that changes what a verdict reads (kind, url, base_url, host,
username, enabled) is judged again, whatever else stays the same."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
import pytest

from watchtower.adapters.base import SourceSettings
from watchtower.config import parse_config
from watchtower.placeholders import placeholder_names
from watchtower.poll_placeholders import PlaceholderSkips

GOOGLE = 'kind = "google_alerts"\nurl = "https://www.google.com/alerts/feeds/00000/11111"'
REAL = 'kind = "rss"\nurl = "https://presse.acme.fr/rss.xml"'
DOCS = 'kind = "rss"\nurl = "https://news.example.com/rss.xml"'
FORUM = 'kind = "discourse"\nbase_url = "https://communaute.example.fr"'
OWN_FORUM = 'kind = "discourse"\nbase_url = "https://communaute.acme.fr"'
MAILBOX = 'kind = "imap"\nhost = "imap.example.fr"\npassword_env = "IMAP_PASSWORD"\n'
EXAMPLE_USER = 'username = "veille@example.fr"'


def config(tmp_path: Path, *sources: tuple[str, str]) -> list[SourceSettings]:
    text = "".join(f'[[sources]]\nname = "{name}"\n{body}\n' for name, body in sources)
    return parse_config(text, tmp_path / "w.toml").sources


def test_a_reload_that_changes_a_judged_field_is_judged_again(tmp_path: Path) -> None:
    skips = PlaceholderSkips()
    rounds = [
        [("presse", REAL), ("alertes", GOOGLE), ("forum", FORUM)],
        [("presse", REAL), ("alertes", GOOGLE), ("forum", FORUM)],  # nothing changed
        [("presse", DOCS), ("alertes", GOOGLE), ("forum", OWN_FORUM)],  # url, base_url
        [("presse", DOCS + "\nenabled = false"), ("forum", OWN_FORUM)],  # paused, removed
        [("presse", DOCS), ("alertes", REAL)],  # resumed; a name given to a real source
        [("presse", MAILBOX.replace("example", "acme") + 'username = "veille@acme.fr"')],  # kind
        [("boite", MAILBOX + EXAMPLE_USER)],  # the example's mailbox
        [("boite", MAILBOX + 'username = "presse@acme.fr"')],  # username
        [("boite", MAILBOX + EXAMPLE_USER)],
        [("boite", MAILBOX.replace("imap.example.fr", "imap.acme.fr") + EXAMPLE_USER)],  # host
        [("boite", MAILBOX.replace("imap.example.fr", "mail.example.com") + 'username = "v"')],
    ]
    held = []
    for sources in rounds:
        loaded = config(tmp_path, *sources)
        names = skips.names(loaded)
        assert names == set(placeholder_names(loaded))  # the same verdicts, judged or not
        held.append(sorted(names))
    assert held == [
        ["alertes", "forum"],
        ["alertes", "forum"],
        ["alertes", "presse"],
        [],
        ["presse"],
        [],
        ["boite"],
        [],
        ["boite"],
        [],
        ["boite"],  # a host of a domain reserved for documentation
    ]


def test_the_same_config_in_every_round_keeps_its_verdicts(tmp_path: Path) -> None:
    skips = PlaceholderSkips()
    sources = config(tmp_path, ("presse", REAL), ("alertes", GOOGLE), ("docs", DOCS))
    assert [skips.names(sources) for _ in range(3)] == [{"alertes", "docs"}] * 3
    # The same text loaded again (a reload of an unchanged file): new objects, same fields.
    again = config(tmp_path, ("presse", REAL), ("alertes", GOOGLE), ("docs", DOCS))
    assert skips.names(again) == {"alertes", "docs"}


def test_a_round_with_the_config_unchanged_parses_no_address(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Judging a source parses its address (``httpx.URL``): done at the first
    round and after a reload that changed it, not at every round."""
    parsed: list[str] = []

    class Parsing(httpx.URL):
        def __init__(self, url: str = "", **kwargs: Any) -> None:
            parsed.append(str(url))
            super().__init__(url, **kwargs)

    skips = PlaceholderSkips()
    sources = config(tmp_path, ("presse", REAL), ("alertes", GOOGLE), ("forum", FORUM))
    monkeypatch.setattr(httpx, "URL", Parsing)
    assert skips.names(sources) == {"alertes", "forum"}
    assert parsed  # judged
    parsed.clear()
    for _ in range(3):
        assert skips.names(sources) == {"alertes", "forum"}
    assert parsed == []
    reloaded = config(tmp_path, ("presse", DOCS), ("alertes", GOOGLE), ("forum", FORUM))
    parsed.clear()  # what loading the config parsed
    assert skips.names(reloaded) == {"alertes", "forum", "presse"}
    assert set(parsed) == {"https://news.example.com/rss.xml"}  # only the edited source
