"""A token written in a URL's path (a private feed, a webhook) never shows: not in
the log, not in ``watchtower status``, not in what is stored on the source row or
the outbox row."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import sqlalchemy

from tests.e2e.scenario import ACME_FR
from tests.servers.http import FeedServer, Resource
from tests.servers.webhook import Webhook
from watchtower.cli import main
from watchtower.storage.engines import make_engine

TOKEN = "Q2hhbmdlTWUxMjM0NTY3ODkwSGVsbG8"
HOOK_TOKEN = "xq7hpyw8jbrzbfwmo4ngtk3d9r"  # a Mattermost incoming webhook's shape


@pytest.fixture
def webhook() -> Iterator[Webhook]:
    server = Webhook().start()
    yield server
    server.stop()


def test_a_failing_source_with_a_token_in_its_path(
    database_url: str,
    feeds: FeedServer,
    write_config: Callable[[str], Path],
    capfd: pytest.CaptureFixture[str],
) -> None:
    # Loopback without allow_private: refused, and the refusal quotes the URL.
    url = feeds.url(f"/private/{TOKEN}/atom.xml")
    path = write_config(
        f"""
[watchtower]
database_url = "{database_url}"
ops_notify = ["console:#ops"]

[[brands]]
name = "Acmé"
terms = ["Acmé"]

[[sources]]
name = "prive"
kind = "rss"
url = "{url}"
"""
    )
    assert main(["run", "--once", "--config", str(path)]) == 1
    assert main(["status", "--config", str(path)]) == 0
    output = capfd.readouterr()
    assert "/private/…/atom.xml" in output.out + output.err
    assert TOKEN not in output.out + output.err
    engine = make_engine(database_url)
    try:
        with engine.connect() as conn:
            [error] = conn.execute(sqlalchemy.text("SELECT last_error FROM sources")).scalars()
    finally:
        engine.dispose()
    assert "/private/…/atom.xml" in error and TOKEN not in error


def test_a_refused_webhook_with_a_token_in_its_path(
    database_url: str,
    feeds: FeedServer,
    webhook: Webhook,
    write_config: Callable[[str], Path],
    capfd: pytest.CaptureFixture[str],
) -> None:
    feeds.resources["/forum.rss"] = Resource(ACME_FR, "application/rss+xml")
    webhook.fail_next, webhook.fail_status = 100, 400  # refuses these messages
    target = f"apprise:json://127.0.0.1:{webhook.port}/hooks/{HOOK_TOKEN}"
    path = write_config(
        f"""
[watchtower]
backlog = "all"
database_url = "{database_url}"
default_notify = ["{target}"]
ops_notify = ["console:#ops"]
max_delivery_attempts = 1

[[brands]]
name = "Acmé"
terms = ["Acmé", "Banque Acmé"]

[[sources]]
name = "forum-conso"
kind = "rss"
url = "{feeds.url("/forum.rss")}"
allow_private = true
"""
    )
    assert main(["run", "--once", "--config", str(path)]) == 1
    assert main(["status", "--config", str(path)]) == 0
    output = capfd.readouterr()
    assert "notification failed" in output.err
    assert HOOK_TOKEN not in output.out + output.err
    engine = make_engine(database_url)
    try:
        with engine.connect() as conn:
            errors = conn.execute(sqlalchemy.text("SELECT last_error FROM outbox")).scalars()
            stored = [e for e in errors if e]
    finally:
        engine.dispose()
    assert stored and all(HOOK_TOKEN not in e for e in stored)
