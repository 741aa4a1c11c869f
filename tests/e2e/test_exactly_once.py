"""SIGKILL between Slack's write and ours, then a restart: no duplicate (reconciliation)."""

from __future__ import annotations

import signal
import threading
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.e2e.alerting_helpers import Clock, base_config, make_app, queue
from tests.e2e.test_crash import start_daemon
from tests.servers.slack import FakeSlack
from tests.servers.smtp import SmtpServer
from watchtower.app import utcnow
from watchtower.cli import main


def test_sigkill_after_slack_stored_the_message_sends_no_duplicate(
    database_url: str,
    slack: FakeSlack,
    smtp: SmtpServer,
    write_config: Callable[[str], Path],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("SLACK_BOT_TOKEN", slack.token)
    text = base_config(database_url, slack, smtp).replace(
        'language = "fr"', 'language = "fr"\ndrain_interval = "1s"\ndelivery_lease = "2s"'
    )
    config = write_config(text)
    app = make_app(config, Clock())
    app.clock = utcnow
    queue(app, "slack:#veille", 3)
    app.close()

    hang = threading.Event()
    slack.hang_after_record = hang  # Slack stores the first post, the daemon never hears back
    process = start_daemon(config, slack.token)
    try:
        deadline = time.monotonic() + 60
        while not slack.messages and time.monotonic() < deadline:
            time.sleep(0.05)
        assert len(slack.messages) == 1
    finally:
        process.send_signal(signal.SIGKILL)
        process.wait(timeout=30)
        hang.set()

    # The row is 'sending' with a lease; the restart waits for it, then checks history.
    assert main(["run", "--once", "--config", str(config)]) == 0

    ids = [m["metadata"]["event_payload"]["outbox_id"] for m in slack.posts()]
    assert sorted(ids) == ["1", "2", "3"]
    assert [c.method for c in slack.calls].count("conversations.history") >= 1
