"""A token written in a URL's path (a private feed, a webhook) never shows: not in
the log, not in ``watchtower status``, not in what is stored on the source row or
the outbox row."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tests.e2e.scenario import ACME_FR
from tests.e2e.secret_urls import refused_source_config, run_once_then_status, stored
from tests.servers.http import FeedServer, Resource
from tests.servers.webhook import Webhook

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
    path = write_config(refused_source_config(database_url, url))
    out, err = run_once_then_status(path, capfd)
    assert "/private/…/atom.xml" in out + err
    assert TOKEN not in out + err
    [error] = stored(database_url, "SELECT last_error FROM sources")
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
    out, err = run_once_then_status(path, capfd)
    assert "notification failed" in err
    assert HOOK_TOKEN not in out + err
    errors = [e for e in stored(database_url, "SELECT last_error FROM outbox") if e]
    assert errors and all(HOOK_TOKEN not in e for e in errors)
