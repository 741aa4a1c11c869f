"""Logs under systemd and for a daemon with hundreds of sources: the journal gets
one line per event with its syslog priority and no second timestamp; a fetch that
brought nothing new is a DEBUG line, the round's summary stays at INFO."""

from __future__ import annotations

import logging
import os
from collections.abc import Iterator
from pathlib import Path
from typing import IO

import pytest

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


def _fetched(new: int) -> None:
    logging.getLogger("watchtower.poll").info(
        "source fetched", extra=kv(source=f"s{new}", not_modified=not new, items=3, new=new)
    )


def test_a_fetch_with_nothing_new_is_not_logged_at_info(log_file: IO[str]) -> None:
    configure("INFO", stream=log_file)
    for _ in range(300):
        _fetched(0)
    _fetched(2)
    logging.getLogger("watchtower.scheduler").info("poll round", extra=kv(sources=301, new=2))
    lines = written(log_file)
    assert len(lines) == 2
    assert "source fetched source=s2" in lines[0] and "poll round sources=301" in lines[1]


def test_debug_shows_every_fetch(log_file: IO[str]) -> None:
    configure("DEBUG", stream=log_file)
    _fetched(0)
    [line] = written(log_file)
    assert " DEBUG watchtower.poll source fetched source=s0 not_modified=True" in line
