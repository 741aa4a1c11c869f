"""The config of a daemon reading a mailbox of the shared Dovecot and posting to
the fake Slack, as the IMAP tests that run the daemon for a cycle write it.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.e2e.alerting_helpers import Clock
from tests.servers.slack import FakeSlack
from tests.unit.adapters.test_imap import Mailbox

ENV = "WT_TEST_IMAP_PASSWORD"  # the variable Mailbox.settings() names


def slack_clock(slack: FakeSlack, monkeypatch: pytest.MonkeyPatch) -> Clock:
    """A clock the daemon and the fake Slack share; the bot's token set."""
    clock = Clock()
    monkeypatch.setenv("SLACK_BOT_TOKEN", slack.token)
    slack.clock = clock.timestamp
    return clock


def folder_source(mailbox: Mailbox, name: str, folder: str = "Veille") -> str:
    """TOML of the IMAP source ``name`` reading ``folder`` of ``mailbox`` over TLS."""
    return f"""
[[sources]]
name = "{name}"
kind = "imap"
host = "127.0.0.1"
port = {mailbox.server.tls_port}
username = "{mailbox.user}"
password_env = "{ENV}"
ca_file = "{mailbox.server.cert}"
folder = "{folder}"
allow_private = true
"""


def slack_daemon_config(tmp_path: Path, slack: FakeSlack, settings: str, body: str) -> Path:
    """Write the config of a daemon on a SQLite file in ``tmp_path`` posting to the
    fake Slack (default channel ``#veille``): ``settings`` are more ``[watchtower]``
    keys, ``body`` its brands and sources."""
    config = tmp_path / "watchtower.toml"
    config.write_text(
        f"""
[watchtower]
database_url = "sqlite:///{tmp_path / "w.db"}"
{settings}

[slack]
default_channel = "#veille"
api_url = "{slack.api_url}"
channel_interval = "0s"
{body}""",
        encoding="utf-8",
    )
    return config
