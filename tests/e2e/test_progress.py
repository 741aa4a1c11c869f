"""The terminal view of ``run --once`` and ``status`` (rich, only on a TTY)."""

from __future__ import annotations

import io
from collections.abc import Callable
from pathlib import Path

from rich.console import Console
from sqlalchemy import update

from tests.e2e.alerting_helpers import naming, queue
from tests.e2e.scenario import ACME_FR
from tests.servers.http import FeedServer, Resource
from tests.servers.slack import FakeSlack
from watchtower.app import App, utcnow
from watchtower.config import load_config
from watchtower.progress import print_status, run_once_with_progress
from watchtower.scheduler import Daemon
from watchtower.storage.tables import OutboxRow


def test_run_once_shows_a_summary_table_and_status_table(
    database_url: str, feeds: FeedServer, write_config: Callable[[str, str], Path]
) -> None:
    feeds.resources["/forum.rss"] = Resource(ACME_FR, "application/rss+xml")
    feeds.resources["/broken.rss"] = Resource(b"boom", status=500)
    path = write_config(
        f"""
[watchtower]
backlog = "all"  # the fixtures are real feeds from past years
database_url = "{database_url}"
default_notify = ["console:#veille"]

[[brands]]
name = "Acmé"
terms = ["Acmé", "Banque Acmé"]

[[sources]]
name = "forum-conso"
kind = "rss"
url = "{feeds.url("/forum.rss")}"
allow_private = true

[[sources]]
name = "en-panne"
kind = "rss"
url = "{feeds.url("/broken.rss")}"
allow_private = true
""",
        "watchtower.toml",
    )
    app = App(load_config(path), console=io.StringIO())
    screen = io.StringIO()
    console = Console(file=screen, force_terminal=True, width=160, color_system=None)
    try:
        app.start()
        assert run_once_with_progress(Daemon(app), console=console) == 1  # a source failed
        with app.db.session() as session:
            print_status(session, utcnow(), console=console)
    finally:
        app.close()
    out = screen.getvalue()
    assert "watchtower run --once" in out
    assert "forum-conso" in out and "en-panne" in out
    assert "sources: 1 ok, 1 failed" in out
    assert "server error (500)" in out
    assert "notifications: " in out and " sent, 0 retried, 0 failed" in out
    assert "Outbox" in out and "Sources" in out


def test_status_table_shows_held_rows_and_lost_targets(
    app_for: Callable[[str], App], slack: FakeSlack
) -> None:
    """The terminal view says what the plain one says: held rows, and a target
    that loses notifications with its error (what an operator must act on)."""
    app = app_for(naming("slack:#crsie"))
    queue(app, "slack:#crsie")
    slack.error_next = ["restricted_action"]  # lost: a missing channel waits instead
    app.outbox.drain()
    queue(app, "slack:#veille", key="later")
    with app.db.session() as session:
        session.execute(update(OutboxRow).where(OutboxRow.dedup_key.like("later%"))
                        .values(status="held", hold_reason="quiet hours"))  # fmt: skip
    screen = io.StringIO()
    console = Console(file=screen, force_terminal=True, width=200, color_system=None)
    with app.db.session() as session:
        print_status(session, utcnow(), console=console)
    out = screen.getvalue()
    header = next(line for line in out.splitlines() if "pending" in line)
    assert "held" in header
    words = " ".join(out.split())  # the caption wraps at the table's width
    assert (
        "failed for slack:#crsie: 1 · last error: Slack refused the message: restricted_action"
        in words
    )
