"""Console and Apprise targets render every kind: summaries, spikes and ops notices too.

A renderer that knew only mentions printed a summary as an empty mention; the
held rows it replaced are marked ``grouped``, so their items were lost.
"""

from __future__ import annotations

import io
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tests.e2e.alerting_helpers import Clock, make_app, naming, queue, rows
from tests.e2e.scenario import targets
from tests.french import nb
from tests.servers.slack import FakeSlack
from tests.servers.smtp import SmtpServer
from tests.servers.webhook import Webhook
from watchtower.app import App
from watchtower.storage.tables import OutboxRow

GROUPED = """
[[rules]]
name = "presse"
notify = ["{target}"]
group_wait = "30s"
"""


@pytest.fixture
def webhook() -> Iterator[Webhook]:
    server = Webhook().start()
    yield server
    server.stop()


def _burst(app: App, target: str, clock: Clock, count: int) -> None:
    queue(app, target, count, rules=["presse"])
    app.outbox.drain()
    app.alerting.tick()
    assert {r.status for r in rows(app)} == {"held"}
    clock.advance(seconds=31)
    app.alerting.tick()
    app.outbox.drain()


def test_a_grouped_summary_on_the_console_lists_its_items(
    app_for: Callable[[str], App], clock: Clock
) -> None:
    app = app_for(GROUPED.format(target="console:"))
    app.console = out = io.StringIO()
    _burst(app, "console:", clock, 25)

    text = out.getvalue()
    assert "25 mentions · presse" in text
    shown = [i for i in range(25) if f"Article item {i} —" in text]
    assert len(shown) == 20 and "… et 5 de plus" in text
    assert "https://news.example.fr/item/0" in text
    assert nb("Marques :") not in text  # not laid out as an (empty) mention
    summary = [r for r in rows(app) if r.payload.get("kind") == "summary"]
    assert [r.status for r in summary] == ["sent"]


def test_a_grouped_summary_through_apprise_lists_its_items(
    app_for: Callable[[str], App], clock: Clock, webhook: Webhook
) -> None:
    target = f"apprise:json://127.0.0.1:{webhook.port}/hook"
    app = app_for(GROUPED.format(target=target))
    _burst(app, target, clock, 3)

    [post] = webhook.posts
    assert post["title"] == "3 mentions · presse"
    assert all(f"Article item {i}" in post["message"] for i in range(3))
    assert "https://news.example.fr/item/2" in post["message"]


def test_a_mention_on_the_console_shows_its_excerpt(
    app_for: Callable[[str], App], clock: Clock
) -> None:
    app = app_for(naming("console:"))
    app.console = out = io.StringIO()
    queue(app, "console:", 1, excerpt="La Banque Acmé a encore perdu mon dossier.")
    app.outbox.drain()

    text = out.getvalue()
    assert "[Mention] Article item 0" in text
    assert nb("→ console · Source : presse · Marques : Acmé") in text
    assert "La Banque Acmé a encore perdu mon dossier." in text


def test_a_source_down_notice_on_the_console_says_why(
    database_url: str,
    slack: FakeSlack,
    smtp: SmtpServer,
    clock: Clock,
    write_config: Callable[[str], Path],
) -> None:
    ops = 'ops_notify = ["console:"]\nsource_alert_after = 1'
    text = f"""{targets(database_url, slack, smtp, ops)}
[[brands]]
name = "Acmé"
terms = ["Acmé"]

[[sources]]
name = "mort"
kind = "rss"
url = "http://127.0.0.1:9/flux.rss"
allow_private = true
"""
    app = make_app(write_config(text), clock)
    try:
        app.console = out = io.StringIO()
        stats = app.poller.poll(all_sources=True)
        assert stats.failed == 1
        app.outbox.drain()
    finally:
        app.close()

    printed = out.getvalue()
    assert nb("Source en panne : mort") in printed
    # The error in the configured language (the log and status keep the English).
    assert nb("Dernière erreur : le site a refusé la connexion") in printed
    assert "refused" in stats.errors["mort"] or "connect" in stats.errors["mort"]
    assert nb("Marques :") not in printed


def test_a_follow_up_on_the_console_waits_for_its_story_held_in_a_group(
    app_for: Callable[[str], App], clock: Clock
) -> None:
    app = app_for(GROUPED.format(target="console:"))
    app.console = out = io.StringIO()
    first = {"id": 7, "first": True, "sightings": 1, "edited": False}
    later = {"id": 7, "first": False, "sightings": 2, "edited": False}
    [parent] = queue(app, "console:", key="story", rules=["presse"], story=first)
    with app.db.session() as session:
        row = session.get(OutboxRow, parent)
        assert row is not None
        row.dedup_key = "story:7"  # as the pipeline keys a story's first message
    queue(app, "console:", key="reply", rules=["presse"], story=later, source="blog-b")

    app.outbox.drain()
    app.alerting.tick()
    app.outbox.drain()
    assert out.getvalue() == ""  # the story is held for its group: so is its follow-up

    clock.advance(seconds=31)
    for _ in range(2):
        app.alerting.tick()
        app.outbox.drain()
        clock.advance(seconds=6)
    text = out.getvalue()
    # The follow-up was held with its story: both come out in the one summary.
    assert text.startswith("2 mentions · presse\n")
    assert text.index("Article story 0 — presse") < text.index("Article reply 0 — blog-b")
