"""Security review S19, end to end: a forum source naming the Slack token as
its API key does not send that token to the forum.

``api_key_env`` names any environment variable, and the forum's host is the
config's: a config edit (``api_key_env = "SLACK_BOT_TOKEN"``, ``base_url`` a
host of one's own) makes ``run --once`` send the bot token in the ``Api-Key``
header. The forum here is a local server; the test checks what it received.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.servers.http import FeedServer
from watchtower.cli import main

TOKEN = "xoxb-123456789012-123456789012-REVIEWs19SECRETtoken"


def test_run_once_sends_no_bot_token_to_a_forum(
    database_url: str,
    feeds: FeedServer,
    write_config: Callable[[str], Path],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("SLACK_BOT_TOKEN", TOKEN)
    path = write_config(f"""
[watchtower]
database_url = "{database_url}"

[[brands]]
name = "Acme"
terms = ["Acme"]

[[sources]]
name = "forum"
kind = "discourse"
base_url = "{feeds.url("/forum")}"
allow_private = true
api_key_env = "SLACK_BOT_TOKEN"

[[rules]]
name = "tout"
brands = ["Acme"]
notify = ["console:"]
""")
    with contextlib.suppress(SystemExit):
        main(["run", "--once", "--config", str(path)])
    sent = [headers for _, headers, _ in feeds.requests]
    assert all(TOKEN not in value for headers in sent for value in headers.values())
