"""A short soak (``scripts/soak.py``): the real daemon under chaos keeps its promises.

About 60 s of items arriving on 20 feeds, some of them flaky; a fake Slack and an
SMTP server failing some calls at random (seeded); one valid reload, one invalid
config, one ``kill -9`` while Slack holds a post it stored. Every matching item
reaches each of its targets exactly once, nothing is left pending, the log has no
traceback and the daemon stops cleanly. The soak's own check is tested too: it
sees a duplicate, a loss, a Message-ID twice, a pending row and a traceback.
"""

from __future__ import annotations

import importlib.util
import random
import sqlite3
import sys
from email.message import EmailMessage
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from tests.conftest import PG_URL, ROOT
from tests.servers.slack import FakeSlack
from tests.servers.smtp import SmtpServer


def load_soak() -> ModuleType:
    spec = importlib.util.spec_from_file_location("soak", ROOT / "scripts" / "soak.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["soak"] = module  # dataclasses look their module up
    spec.loader.exec_module(module)
    return module


soak = load_soak()


@pytest.mark.parametrize("database", ["sqlite", "postgres"])
def test_a_short_soak_delivers_every_matching_item_exactly_once(
    database: str, tmp_path: Path
) -> None:
    if database == "postgres" and not PG_URL:
        pytest.skip("PostgreSQL: set WATCHTOWER_TEST_DATABASE_URL to run")
    options = soak.Options(
        out=tmp_path,
        seconds=60,
        database_url=PG_URL if database == "postgres" else None,
        kills=1,
        reloads=1,
        bad_configs=1,
        slack_outages=0,
        seed=7,
    )
    report = soak.run(options)
    summary = report["summary"]
    assert report["broken"] == [], report["broken"]
    assert summary["restarts"] == 1
    assert summary["reloads_applied"] >= 1 and summary["configs_rejected"] >= 1
    # The run did exercise what it claims: items, copies, chaos on both targets.
    assert summary["items_matching"] >= 30
    assert summary["stories_with_copies"] >= 1 and summary["slack_replies"] >= 1
    assert summary["outbox"].get("sent", 0) >= summary["items_matching"]
    killed = next(e for e in summary["events"] if e["event"] == "killed")
    assert killed["mode"] == "slack mid-send" and killed["mid_send"]
    # The post Slack stored before the kill was found, not sent again.
    assert summary["already_in_slack_not_resent"] >= 1


@pytest.fixture
def parts(tmp_path: Path) -> Any:
    """A perfect delivery of four items (one a copy), as the check reads it."""
    feeds = soak.Feeds(3, random.Random(3))
    try:
        while len(feeds.items) < 12 or not any(i.story != i.token for i in feeds.items):
            feeds.publish()
    finally:
        feeds.stop()
    slack, smtp = FakeSlack(), SmtpServer()
    received: list[tuple[float, str]] = []
    tops: dict[tuple[str, str], dict[str, Any]] = {}
    for n, item in enumerate(feeds.items):
        for target in item.targets():
            text = f"<https://site{item.feed}.example/a/{item.token}|{item.title}>"
            if target.startswith("email:"):
                if item.story != item.token:
                    continue  # a copy: Slack's thread only
                mail = EmailMessage()
                mail["Subject"], mail["Message-ID"] = item.title, f"<wt-{n}@example.fr>"
                mail.set_content(text)
                smtp.messages.append(mail)
                received.append((float(n), str(mail["Message-ID"])))
                continue
            message = {"channel_id": slack.channel_id(target[6:]), "ts": f"{n}.0", "text": text}
            parent = tops.get((target, item.story))
            if parent is None:
                tops[(target, item.story)] = message
            else:
                message["thread_ts"] = parent["ts"]
            slack.messages.append(message)
    url = f"sqlite:///{tmp_path / 'outbox.db'}"
    with sqlite3.connect(tmp_path / "outbox.db") as db:
        db.execute("CREATE TABLE outbox (status TEXT)")
        db.execute("INSERT INTO outbox VALUES ('sent')")
    (tmp_path / "daemon.log").write_text("2026-01-01T00:00:00Z INFO watchtower started\n")
    daemon = soak.Daemon(tmp_path / "watchtower.toml", tmp_path / "daemon.log")
    return url, feeds, slack, smtp, daemon, received, tmp_path


def test_the_check_passes_a_perfect_delivery(parts: Any) -> None:
    url, feeds, slack, smtp, daemon, received, _ = parts
    report = soak.check(url, feeds, slack, smtp, daemon, [], received, [])
    assert report["broken"] == []
    assert report["summary"]["items_matching"] > 0


def test_the_check_sees_each_broken_promise(parts: Any) -> None:
    url, feeds, slack, smtp, daemon, received, tmp_path = parts
    slack.messages.append(dict(slack.messages[0], ts="99.0"))  # a duplicate
    lost = slack.messages.pop(1)  # a loss
    received.append((1000.0, received[0][1]))  # the same e-mail again, no kill between
    with sqlite3.connect(tmp_path / "outbox.db") as db:
        db.execute("INSERT INTO outbox VALUES ('pending')")
    with (tmp_path / "daemon.log").open("a") as log:
        log.write("Traceback (most recent call last):\n  File x\nKeyError: 'ts'\n\n")
    report = soak.check(url, feeds, slack, smtp, daemon, [], received, [])
    broken = "\n".join(report["broken"])
    first = soak.TOKEN_RE.search(slack.messages[0]["text"]).group(0)
    assert f"{first} delivered 2 times" in broken
    assert f"{soak.TOKEN_RE.search(lost['text']).group(0)} delivered 0 times" in broken
    assert "1 Message-IDs received twice without a kill" in broken
    assert "outbox not clean at the end: {'sent': 1, 'pending': 1}" in broken
    assert "1 traceback(s) in the log: [\"KeyError: 'ts'\"]" in broken
    # The same e-mail again across a kill -9 is at-least-once, not a broken promise.
    report = soak.check(url, feeds, slack, smtp, daemon, [], received, [500.0])
    assert "Message-ID" not in "\n".join(report["broken"])
    assert report["summary"]["emails_resent_across_a_kill"] == 1
