"""A killed process loses nothing: notifications stored before the kill are sent once."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import sqlalchemy

from tests.conftest import ROOT
from tests.servers.slack import FakeSlack
from tests.servers.smtp import SmtpServer
from watchtower.cli import main
from watchtower.storage.engines import make_engine


def start_daemon(config: Path, token: str) -> subprocess.Popen[bytes]:
    env = dict(os.environ, SLACK_BOT_TOKEN=token, PYTHONPATH=str(ROOT))
    return subprocess.Popen(
        [sys.executable, "-m", "watchtower", "run", "--config", str(config)],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )


def wait_for_pending(database_url: str, expected: int, timeout: float = 60.0) -> None:
    engine = make_engine(database_url)
    deadline = time.monotonic() + timeout
    try:
        while time.monotonic() < deadline:
            try:
                with engine.connect() as conn:
                    count = conn.execute(
                        sqlalchemy.text("SELECT count(*) FROM outbox WHERE status = 'pending'")
                    ).scalar_one()
                    polled = conn.execute(
                        sqlalchemy.text(
                            "SELECT count(*) FROM sources WHERE last_success_at IS NOT NULL"
                        )
                    ).scalar_one()
                if count >= expected and polled == 2:
                    return
            except sqlalchemy.exc.OperationalError:
                pass  # tables not created yet
            except sqlalchemy.exc.ProgrammingError:
                pass
            time.sleep(0.2)
    finally:
        engine.dispose()
    raise AssertionError(f"the daemon did not queue {expected} notifications in {timeout}s")


@pytest.fixture
def daemon_config(setup: Path) -> Path:
    """The run-once scenario, with jobs an hour apart: nothing drains before the kill."""
    text = setup.read_text(encoding="utf-8").replace(
        'language = "fr"', 'language = "fr"\npoll_interval = "1h"\ndrain_interval = "1h"'
    )
    setup.write_text(text, encoding="utf-8")
    return setup


def test_sigkill_before_delivery_then_restart_delivers_exactly_once(
    daemon_config: Path, database_url: str, slack: FakeSlack, smtp: SmtpServer
) -> None:
    process = start_daemon(daemon_config, slack.token)
    try:
        wait_for_pending(database_url, expected=23)  # 22 Slack + 1 e-mail
    finally:
        process.send_signal(signal.SIGKILL)
        process.wait(timeout=30)
    assert slack.posts() == []

    assert main(["run", "--once", "--config", str(daemon_config)]) == 0

    # Top-level posts and story thread replies (issue 5 §4), each exactly once.
    ids = [m["metadata"]["event_payload"]["outbox_id"] for m in slack.messages]
    assert len(ids) == 22 and len(set(ids)) == 22
    assert len(smtp.messages) == 1
    assert main(["run", "--once", "--config", str(daemon_config)]) == 0
    assert len(slack.messages) == 22 and len(smtp.messages) == 1


def test_sigterm_flushes_the_outbox_and_exits_zero(
    daemon_config: Path, database_url: str, slack: FakeSlack, smtp: SmtpServer
) -> None:
    process = start_daemon(daemon_config, slack.token)
    try:
        wait_for_pending(database_url, expected=23)
        process.send_signal(signal.SIGTERM)
        output, _ = process.communicate(timeout=60)
    finally:
        if process.poll() is None:
            process.kill()
    assert process.returncode == 0, output.decode()
    assert b"stopped" in output
    assert len(slack.messages) == 22
    assert len(smtp.messages) == 1
