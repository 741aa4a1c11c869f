"""Poll rounds of the daemon: a reload that changes ``concurrency`` while a source
waits behind a slow one neither deadlocks nor leaves that source leased."""

from __future__ import annotations

import io
import threading
from pathlib import Path

import pytest
import sqlalchemy

from tests.e2e.test_review_ops import config, rss
from tests.servers.http import FeedServer, Resource, answering_after
from tests.servers.slack import FakeSlack
from watchtower.app import App
from watchtower.config import load_config
from watchtower.reload import Reloader
from watchtower.storage.tables import SourceRow

SECOND_SOURCE = """
[[sources]]
name = "presse"
kind = "rss"
url = "{url}"
every = "1h"
allow_private = true
"""


@pytest.mark.timeout(60)
def test_a_reload_changing_concurrency_releases_what_was_waiting(
    tmp_path: Path, feeds: FeedServer, slack: FakeSlack
) -> None:
    release = threading.Event()
    body = rss("Acmé ouvre une agence")

    feeds.handlers["/forum.rss"] = answering_after(lambda: release.wait(30), body)
    feeds.resources["/presse.rss"] = Resource(rss("Acmé recrute"))
    extra = SECOND_SOURCE.format(url=feeds.url("/presse.rss"))
    path = tmp_path / "watchtower.toml"
    text = config(
        f"sqlite:///{tmp_path / 'wt.db'}", feeds, slack, watchtower="concurrency = 1", extra=extra
    )
    path.write_text(text, "utf-8")
    app = App(load_config(path), console=io.StringIO())
    try:
        app.start()
        first = app.poller.poll()  # waits poll_interval (1 s): the forum hangs, presse waits
        assert first.sources == 2 and first.running == 2
        reloader = Reloader(app)
        path.write_text(text.replace("concurrency = 1", "concurrency = 2"), "utf-8")
        assert reloader.reload() is True
        # New workers: presse, never started, is cancelled, released and polled now
        # (it used to wait for its 10-minute lease); the forum still runs.
        second = app.poller.poll()
        assert second.sources == 1 and second.ok == 1
        with app.db.session() as session:
            row = session.scalars(
                sqlalchemy.select(SourceRow).where(SourceRow.name == "presse")
            ).one()
        assert row.last_success_at is not None
    finally:
        release.set()
        app.close()
