"""Reloading an edited config under a running App: what the operator sees in the
log and in ops_notify, and what happens to the sources a reload removes or renames.

The App is real (SQLite, a local feed server, the console notifier); the
reloader is driven by hand instead of by the file watcher.
"""

from __future__ import annotations

import io
import logging
import os
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import sqlalchemy

from tests.e2e.test_reload import rss
from tests.servers.http import FeedServer, Resource
from watchtower.app import App
from watchtower.config import load_config
from watchtower.reload import Reloader
from watchtower.storage.tables import SourceRow


def config(tmp_path: Path, feeds: FeedServer, *sources: str) -> str:
    text = f"""
[watchtower]
database_url = "sqlite:///{tmp_path / "wt.db"}"
ops_notify = ["console:"]
backlog = "all"

[[brands]]
name = "Acmé"
terms = ["Acmé"]
"""
    for name in sources or ("forum",):
        url = feeds.url("/" + name.split("-")[0] + ".rss")
        text += f"""
[[sources]]
name = "{name}"
kind = "rss"
url = "{url}"
every = "1s"
allow_private = true
"""
    return text


@pytest.fixture
def running(
    tmp_path: Path, feeds: FeedServer, write_config: Callable[[str], Path]
) -> Iterator[tuple[App, Reloader, Path]]:
    feeds.resources["/forum.rss"] = Resource(rss("Acmé ouvre une agence"))
    feeds.resources["/blog.rss"] = Resource(rss("Acmé recrute"))
    path = write_config(config(tmp_path, feeds, "forum", "blog"))
    app = App(load_config(path), console=io.StringIO())
    app.start()
    try:
        yield app, Reloader(app), path
    finally:
        app.close()


def ops_notices(app: App) -> list[str]:
    with app.db.session() as session:
        keys = session.execute(
            sqlalchemy.text("SELECT dedup_key FROM outbox WHERE item_id IS NULL ORDER BY id")
        ).scalars()
        return [key.split(":")[0] for key in keys]


def save(path: Path, text: str) -> None:
    """Write ``text`` as an editor does, with a later modification time."""
    before = path.stat().st_mtime_ns if path.exists() else 0
    path.write_text(text, "utf-8")
    os.utime(path, ns=(before + 10**9, before + 10**9))


def test_saving_the_same_broken_file_again_logs_one_line_and_tells_nobody_again(
    running: tuple[App, Reloader, Path], caplog: pytest.LogCaptureFixture
) -> None:
    app, reloader, path = running
    good = path.read_text("utf-8")
    broken = good.replace('every = "1s"', 'evry = "1s"', 1)
    save(path, broken)
    with caplog.at_level(logging.INFO, logger="watchtower.reload"):
        assert reloader.reload() is False
        first = [r.getMessage() for r in caplog.records]
        caplog.clear()
        save(path, broken)  # the editor saves again; the watcher fires
        assert reloader.reload() is False
        again = [r.getMessage() for r in caplog.records]
        caplog.clear()
        assert reloader.reload(force=True) is False  # SIGHUP: the problems are listed again
        forced = [r.getMessage() for r in caplog.records]
    assert first[:2] == [
        "config rejected; still running on the last good config",
        f"{path}:15: sources[0].evry: unknown key; did you mean 'every'?",
    ]
    assert again == [
        "config file unchanged since it was refused; still running on the last "
        "good config (problems above, or run watchtower check)"
    ]
    assert forced == first[:2]
    assert ops_notices(app) == ["config-rejected"]


def test_the_same_mistake_after_a_fix_is_told_again_and_so_is_its_fix(
    running: tuple[App, Reloader, Path],
) -> None:
    """Notices are per refusal, not per content: the outbox's dedup keys are kept
    for months, and a key made of the content alone silenced the second time."""
    app, reloader, path = running
    good = path.read_text("utf-8")
    broken = good.replace('every = "1s"', "every = 15", 1)
    for _ in range(2):
        save(path, broken)
        assert reloader.reload() is False
        save(path, good)  # the edit undone: nothing to apply, but ops hear it is fixed
        assert reloader.reload() is None
    assert ops_notices(app) == [
        "config-rejected",
        "config-accepted",
        "config-rejected",
        "config-accepted",
    ]


def test_two_different_latin1_files_are_two_refusals(
    running: tuple[App, Reloader, Path], caplog: pytest.LogCaptureFixture
) -> None:
    app, reloader, path = running
    good = path.read_text("utf-8")
    path.write_bytes(good.encode("latin-1"))
    assert reloader.reload() is False
    assert f"{path}:8: this line is not UTF-8" in caplog.text
    path.write_bytes(good.replace("agence", "x").replace("Acmé", "Acmé Banque").encode("latin-1"))
    assert reloader.reload() is False
    assert ops_notices(app) == ["config-rejected", "config-rejected"]
    assert [b.name for b in app.loaded.config.brands] == ["Acmé"]  # the last good config
    save(path, good)
    assert reloader.reload() is None
    assert ops_notices(app)[-1] == "config-accepted"


def test_a_removed_source_is_no_longer_polled_and_a_renamed_one_keeps_its_history(
    running: tuple[App, Reloader, Path], tmp_path: Path, feeds: FeedServer
) -> None:
    app, reloader, path = running
    app.poller.poll(all_sources=True)
    with app.db.session() as session:
        ids = {row.name: row.id for row in session.scalars(sqlalchemy.select(SourceRow))}

    save(path, config(tmp_path, feeds, "forum"))  # "blog" removed
    assert reloader.reload() is True
    feeds.requests.clear()
    app.poller.poll(all_sources=True)
    assert {p for p, _, _ in feeds.requests} == {"/forum.rss"}

    save(path, config(tmp_path, feeds, "forum-conso"))  # renamed; same kind and URL
    assert reloader.reload() is True
    app.poller.poll(all_sources=True)
    with app.db.session() as session:
        rows = {row.name: row.id for row in session.scalars(sqlalchemy.select(SourceRow))}
    assert rows["forum-conso"] == ids["forum"]  # same row: ETag, items, story history
