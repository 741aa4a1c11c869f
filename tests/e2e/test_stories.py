"""One story, one alert: the same article through three sources is one Slack message + thread."""

from __future__ import annotations

import threading
from collections.abc import Callable
from pathlib import Path

import pytest
import sqlalchemy

from tests.conftest import ROOT
from tests.servers.http import FeedServer, Resource
from tests.servers.slack import FakeSlack
from watchtower.app import App
from watchtower.cli import main
from watchtower.config import load_config
from watchtower.storage.engines import make_engine

FIXTURES = ROOT / "tests" / "fixtures" / "stories"


def stories_config(database_url: str, feeds: FeedServer, slack: FakeSlack) -> str:
    sources = "".join(
        f"""
[[sources]]
name = "{name}"
kind = "{kind}"
url = "{feeds.url(path)}"
allow_private = true
"""
        for name, kind, path in (
            ("alertes-a", "google_alerts", "/a.xml"),
            ("alertes-b", "google_alerts", "/b.xml"),
            ("actu-regions", "rss", "/regions.xml"),
        )
    )
    return f"""
[watchtower]
backlog = "all"  # the fixtures are real feeds from past years
database_url = "{database_url}"

[slack]
default_channel = "#veille"
api_url = "{slack.api_url}"

[[brands]]
name = "Acmé"
terms = ["Acmé", "Banque Acmé"]
{sources}"""


@pytest.fixture
def config_path(
    database_url: str,
    feeds: FeedServer,
    slack: FakeSlack,
    write_config: Callable[[str], Path],
    monkeypatch: pytest.MonkeyPatch,
) -> Path:
    for path, name in (
        ("/a.xml", "alerts_a.atom.xml"),
        ("/b.xml", "alerts_b.atom.xml"),
        ("/regions.xml", "syndication.rss.xml"),
    ):
        feeds.resources[path] = Resource((FIXTURES / name).read_bytes())
    monkeypatch.setenv("SLACK_BOT_TOKEN", slack.token)
    return write_config(stories_config(database_url, feeds, slack))


def test_one_story_one_top_level_message(config_path: Path, slack: FakeSlack) -> None:
    assert main(["run", "--once", "--config", str(config_path)]) == 0

    top = slack.posts()
    replies = [m for m in slack.messages if m.get("thread_ts")]
    # The prélèvements story (3 sightings) and the Bordeaux news: two top-level messages.
    assert len(top) == 2, [m["text"] for m in top]
    story = next(m for m in top if "pr\u00e9l\u00e8vements" in m["text"])
    # One reply: the copy on another site. The second alert's link is the very
    # address the first one gave: a sighting, but nothing new to say.
    assert len(replies) == 1
    assert {r["thread_ts"] for r in replies} == {story["ts"]}
    assert all(r["channel"] == "#veille" for r in replies)
    assert (
        any("actu-regions" in r["text"] for r in replies)
        or any("actu-regions" in str(r.get("blocks")) for r in replies)
        or "actu-regions" in story["text"]
    )
    updates = [c for c in slack.calls if c.method == "chat.update"]
    assert updates and all(c.body["ts"] == story["ts"] for c in updates)

    # A restart and a second run send nothing new.
    calls = len(slack.calls)
    assert main(["run", "--once", "--config", str(config_path)]) == 0
    assert len(slack.messages) == 3
    assert [c.method for c in slack.calls[calls:]] == []


def test_racing_workers_make_one_story_per_article(
    config_path: Path, database_url: str, feeds: FeedServer
) -> None:
    if not database_url.startswith("postgresql"):
        pytest.skip("the race needs PostgreSQL's row locks (SQLite serialises writers)")
    loaded = load_config(config_path)
    apps = [App(loaded) for _ in range(2)]
    apps[0].start()
    apps[1].start()
    barrier = threading.Barrier(2)

    def work(app: App) -> None:
        barrier.wait()
        app.poller.poll(all_sources=True)

    try:
        threads = [threading.Thread(target=work, args=(a,)) for a in apps]
        for t in threads:
            t.start()
        for t in threads:
            t.join(60)
    finally:
        for a in apps:
            a.close()
    engine = make_engine(database_url)
    try:
        with engine.connect() as conn:
            stories = conn.execute(sqlalchemy.text("SELECT count(*) FROM stories")).scalar_one()
            parents = conn.execute(
                sqlalchemy.text("SELECT count(*) FROM outbox WHERE dedup_key NOT LIKE '%:item:%'")
            ).scalar_one()
            items = conn.execute(sqlalchemy.text("SELECT count(*) FROM items")).scalar_one()
    finally:
        engine.dispose()
    assert items == 4  # each (source, guid) once, whichever worker stored it
    assert stories == 2
    assert parents == 2
