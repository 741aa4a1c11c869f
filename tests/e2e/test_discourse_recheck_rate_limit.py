"""The community forum rate-limits the edit re-check: the real daemon, the forum
on the real wire (``Community``, see ``test_discourse_cm``), a fake Slack, SQLite,
a simulated clock.

The re-check of earlier posts (``_discourse_watch``) is an extra: its 429 must not
hold back the round's new posts nor mark the source failing; ``watchtower status``
tells it, and the edit is still told once the forum's ``Retry-After`` has passed.
"""

from __future__ import annotations

import io
import json
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urlencode

import pytest
from sqlalchemy import select

from tests.e2e.alerting_helpers import Clock
from tests.e2e.test_discourse_cm import OLD, Community, config, stamp
from tests.e2e.test_discourse_earlier_edits import ADDED, FIRST, serve_watched
from tests.servers.http import FeedServer, Resource
from tests.servers.slack import FakeSlack
from watchtower.app import App
from watchtower.config import load_config
from watchtower.status_report import status_report
from watchtower.status_text import source_lines
from watchtower.storage.tables import SourceRow

pytestmark = pytest.mark.timeout(120)


def refuse_recheck(forum: Community, tid: int, retry_after: str) -> None:
    """``posts.json?post_ids[]=…`` of the topic answers 429, as Discourse's rate limiter."""
    query = urlencode([("post_ids[]", str(p["id"])) for p in forum.posts[tid]])
    forum.feeds.resources[f"/community/t/{tid}/posts.json?{query}"] = Resource(
        b'{"errors": ["You\'ve performed this action too many times."], '
        b'"error_type": "rate_limit"}',
        "application/json; charset=utf-8",
        429,
        {"Retry-After": retry_after},
    )


def source_row(app: App) -> tuple[int, str | None, str | None]:
    """The source's failure count, last error and last warning, as ``status`` reads them."""
    columns = (SourceRow.consecutive_failures, SourceRow.last_error, SourceRow.last_warning)
    with app.db.session() as session:
        found = session.execute(select(*columns).where(SourceRow.name == "communaute")).one()
    return found[0], found[1], found[2]


def test_a_rate_limited_recheck_costs_no_news_and_no_failure(
    tmp_path: Path, feeds: FeedServer, slack: FakeSlack, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SLACK_BOT_TOKEN", slack.token)
    forum = Community(feeds)
    forum.post(7, OLD, "membre", "<p>Question sur les virements</p>")  # history: no alert
    path = tmp_path / "watchtower.toml"
    path.write_text(config(f"sqlite:///{tmp_path / 'wt.db'}", feeds, slack.api_url), "utf-8")
    clock = Clock(now=datetime(2026, 3, 4, 20, 0, tzinfo=UTC))
    app = App(load_config(path), clock=clock, console=io.StringIO())
    try:
        app.start()
        app.poller.poll()
        clock.advance(minutes=1)
        forum.post(7, clock.now, "karim", FIRST)
        clock.advance(minutes=10)
        app.poller.poll()
        app.outbox.drain()
        [post] = [p for p in slack.posts() if "karim" in json.dumps(p)]

        # Karim edits his post; the forum is busy and rate-limits the re-check.
        forum.posts[7][1].update(cooked=FIRST + ADDED, version=2, updated_at=stamp(clock.now))
        forum.publish()
        refuse_recheck(forum, 7, "3600")
        clock.advance(minutes=10)
        forum.post(9, clock.now, "lea", "<p>Acmé m'a enfin remboursée !</p>")  # the news
        clock.advance(minutes=6)
        app.poller.poll()
        app.outbox.drain()
        assert [p for p in slack.posts() if "lea" in json.dumps(p)]  # not held back
        failures, error, warning = source_row(app)
        assert failures == 0 and error is None
        assert "the site asks us to slow down (429)" in (warning or "")
        with app.db.session() as session:
            report = status_report(session, app.loaded, clock.now)
        [source] = report["sources"]
        shown = "\n".join(source_lines(source, clock.now))
        assert "edits of earlier posts could not be checked" in shown

        # The forum answers again; the next re-check waits for its Retry-After.
        serve_watched(forum, 7)
        clock.advance(minutes=30)
        app.poller.poll()
        app.outbox.drain()
        assert slack.replies(post["ts"]) == []
        clock.advance(minutes=31)
        app.poller.poll()
        app.outbox.drain()
        [reply] = slack.replies(post["ts"])
        assert reply["text"].startswith("Modifié sur ")
        assert source_row(app) == (0, None, None)
    finally:
        app.close()
