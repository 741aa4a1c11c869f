"""The poller's log of placeholder sources (:class:`PlaceholderSkips`), as the
daemon's rounds call it with the config in use: one WARNING per source, and one
line more when every enabled source is a placeholder (the daemon then polls
nothing until an edit), each said once and again only when a reload changes it."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from watchtower.adapters.base import SourceSettings
from watchtower.config import parse_config
from watchtower.logs import KeyValueFormatter
from watchtower.poll_placeholders import PlaceholderSkips

GOOGLE = 'kind = "google_alerts"\nurl = "https://www.google.com/alerts/feeds/00000/11111"'
DOCS = 'kind = "rss"\nurl = "https://news.example.com/rss.xml"'
REAL = 'kind = "rss"\nurl = "https://presse.acme.fr/rss.xml"'


def config(tmp_path: Path, *sources: tuple[str, str]) -> list[SourceSettings]:
    text = "".join(f'[[sources]]\nname = "{name}"\n{body}\n' for name, body in sources)
    return parse_config(text, tmp_path / "w.toml").sources


def told(caplog: pytest.LogCaptureFixture) -> list[str]:
    lines = [KeyValueFormatter().format(r) for r in caplog.records]
    caplog.clear()
    return [line.split(" watchtower.poll ", 1)[1] for line in lines]


ALL_OF_THEM = (
    "no source polled: every enabled source is a placeholder; each is polled once its "
    "address is edited in the config"
)


def test_every_enabled_source_a_placeholder_is_said_once_in_one_line(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING, logger="watchtower.poll")
    skips = PlaceholderSkips()
    paused = ("paused", REAL + "\nenabled = false")  # not polled either way: not counted
    sources = config(tmp_path, ("alertes", GOOGLE), ("docs", DOCS), paused)

    assert skips.names(sources) == {"alertes", "docs"}
    assert told(caplog)[-1] == f"{ALL_OF_THEM} placeholders=2 sources=alertes,docs"
    assert skips.names(sources) == {"alertes", "docs"}
    assert told(caplog) == []  # the next rounds say nothing more

    # A reload with one more placeholder: that source, and the line again.
    more = config(tmp_path, ("alertes", GOOGLE), ("docs", DOCS), ("blog", DOCS))
    assert skips.names(more) == {"alertes", "docs", "blog"}
    assert told(caplog) == [
        "source not polled: its host is reserved for documentation source=blog "
        "reason=placeholder host=news.example.com",
        f"{ALL_OF_THEM} placeholders=3 sources=alertes,docs,blog",
    ]


def test_a_real_source_polled_means_no_such_line(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING, logger="watchtower.poll")
    skips = PlaceholderSkips()
    sources = config(tmp_path, ("alertes", GOOGLE), ("presse", REAL))

    assert skips.names(sources) == {"alertes"}
    assert [line for line in told(caplog) if line.startswith("no source polled")] == []

    # The real source removed by a reload: now nothing is polled, which is said.
    assert skips.names(config(tmp_path, ("alertes", GOOGLE))) == {"alertes"}
    assert told(caplog) == [f"{ALL_OF_THEM} placeholders=1 sources=alertes"]
    # Put back, then removed again: said again (the state changed twice).
    skips.names(sources)
    skips.names(config(tmp_path, ("alertes", GOOGLE)))
    assert told(caplog) == [f"{ALL_OF_THEM} placeholders=1 sources=alertes"]
