"""Logs under systemd and for a daemon with hundreds of sources: the journal gets
one line per event with its syslog priority and no second timestamp; a fetch that
brought nothing new is a DEBUG line, the round's summary stays at INFO."""

from __future__ import annotations

import logging
import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import IO

import pytest

from tests.servers.http import FeedServer, Resource
from watchtower.app import App
from watchtower.config import load_config
from watchtower.logs import configure, kv


@pytest.fixture
def log_file(tmp_path: Path) -> Iterator[IO[str]]:
    with open(tmp_path / "stderr", "w+", encoding="utf-8") as stream:
        yield stream
    configure("INFO")  # back to stderr for the other tests


def written(stream: IO[str]) -> list[str]:
    stream.flush()
    stream.seek(0)
    return stream.read().splitlines()


def test_in_the_journal_each_line_has_its_priority_and_no_timestamp(
    log_file: IO[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    info = os.fstat(log_file.fileno())
    monkeypatch.setenv("JOURNAL_STREAM", f"{info.st_dev}:{info.st_ino}")
    configure("INFO", stream=log_file)
    log = logging.getLogger("watchtower.poll")
    log.warning("source failed", extra=kv(source="forum", error="gone (404)"))
    log.info("poll round", extra=kv(sources=300, ok=299, failed=1))
    try:
        raise RuntimeError("a bug")
    except RuntimeError:
        log.exception("poll round failed")
    lines = written(log_file)
    assert lines[0] == '<4>WARNING watchtower.poll source failed source=forum error="gone (404)"'
    assert lines[1] == "<6>INFO watchtower.poll poll round sources=300 ok=299 failed=1"
    assert lines[2] == "<3>ERROR watchtower.poll poll round failed"
    assert all(line.startswith("<3>") for line in lines[3:])  # the traceback, line by line
    assert lines[-1] == "<3>RuntimeError: a bug"


def test_elsewhere_lines_keep_their_timestamp(
    log_file: IO[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("JOURNAL_STREAM", "1:2")  # the service's stderr was redirected
    configure("INFO", stream=log_file)
    logging.getLogger("watchtower.poll").warning("source failed")
    [line] = written(log_file)
    assert line.endswith("Z WARNING watchtower.poll source failed") and line[:2] == "20"


@pytest.fixture
def poller(
    database_url: str, feeds: FeedServer, write_config: Callable[[str], Path]
) -> Iterator[App]:
    """An app with two feeds: one with a new item on every poll, one unchanged."""
    feeds.resources["/calme.xml"] = Resource(RSS.format(n=0).encode())
    path = write_config(f"""
[watchtower]
database_url = "{database_url}"
backlog = "all"

[[brands]]
name = "Acmé"
terms = ["Acmé"]

[[sources]]
name = "calme"
kind = "rss"
url = "{feeds.url("/calme.xml")}"
allow_private = true

[[sources]]
name = "vivant"
kind = "rss"
url = "{feeds.url("/vivant.xml")}"
allow_private = true
""")
    app = App(load_config(path))
    app.start()
    try:
        yield app
    finally:
        app.close()


RSS = (
    '<?xml version="1.0"?><rss version="2.0"><channel><title>f</title>'
    "<item><title>Article {n}</title><link>https://e.example.fr/{n}</link>"
    "<guid>{n}</guid></item></channel></rss>"
)


def _second_round(app: App, feeds: FeedServer) -> None:
    feeds.resources["/vivant.xml"] = Resource(RSS.format(n=1).encode())
    app.poller.poll(all_sources=True)
    feeds.resources["/vivant.xml"] = Resource(RSS.format(n=2).encode())
    app.poller.poll(all_sources=True)


def test_a_fetch_with_nothing_new_is_not_logged_at_info(
    log_file: IO[str], poller: App, feeds: FeedServer
) -> None:
    configure("INFO", stream=log_file)
    _second_round(poller, feeds)
    fetched = [line for line in written(log_file) if "source fetched" in line]
    # "calme" brought something only the first time, "vivant" both times.
    assert sorted(line.split("source=")[1].split()[0] for line in fetched) == [
        "calme",
        "vivant",
        "vivant",
    ]
    assert all(" INFO " in line for line in fetched)


def test_debug_shows_every_fetch(log_file: IO[str], poller: App, feeds: FeedServer) -> None:
    configure("DEBUG", stream=log_file)
    _second_round(poller, feeds)
    quiet = [line for line in written(log_file) if "DEBUG watchtower.poll source fetched" in line]
    assert len(quiet) == 1 and "source=calme" in quiet[0] and "new=0" in quiet[0]
