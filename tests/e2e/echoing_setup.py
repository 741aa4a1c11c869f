"""The setup the echoing-server tests share: a forum feed that mentions the
brand, an IMAP source and an e-mail rule, both pointed at servers on 127.0.0.1
that quote back the login they refuse (``tests/servers/echoing.py``)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from tests.e2e.scenario import ACME_FR
from tests.servers.http import FeedServer, Resource

SMTP_USERNAME = "veille"


def echoing_config(
    *,
    database_url: str,
    feeds: FeedServer,
    smtp_port: int,
    imap_port: int,
    smtp_password: str,
    imap_password: str,
    write_config: Callable[[str], Path],
    monkeypatch: pytest.MonkeyPatch,
) -> Path:
    """Write the config and set the passwords in the environment; the IMAP
    source is ``boite``, the e-mail goes to ``email:dircom@example.fr``."""
    feeds.resources["/forum.rss"] = Resource(ACME_FR, "application/rss+xml")
    monkeypatch.setenv("SMTP_USERNAME", SMTP_USERNAME)
    monkeypatch.setenv("SMTP_PASSWORD", smtp_password)
    monkeypatch.setenv("WT_TEST_ECHOED_IMAP_PASSWORD", imap_password)
    return write_config(
        f"""
[watchtower]
backlog = "all"
database_url = "{database_url}"
ops_notify = ["console:#ops"]

[email]
smtp_host = "127.0.0.1"
smtp_port = {smtp_port}
starttls = false
from = "veille@example.fr"

[[brands]]
name = "Acmé"
terms = ["Acmé"]

[[sources]]
name = "forum-conso"
kind = "rss"
url = "{feeds.url("/forum.rss")}"
allow_private = true

[[sources]]
name = "boite"
kind = "imap"
host = "127.0.0.1"
port = {imap_port}
tls = "none"
username = "{SMTP_USERNAME}"
password_env = "WT_TEST_ECHOED_IMAP_PASSWORD"
allow_private = true

[[rules]]
name = "crise"
brands = ["Acmé"]
query = "arnaque OR escroquerie"
severity = "critical"
notify = ["email:dircom@example.fr"]
"""
    )
