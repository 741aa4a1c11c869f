"""An edited post: noted in its story's thread, and an alert where it now matters.

A forum post edited into a complaint ("… surtout pas Acmé, une arnaque") now
matches the crisis rule. The rule's targets never had a message about the
story, so they get a real alert (on e-mail too), not a reply under nothing;
later edits go in that alert's thread.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from tests.e2e.scenario import targets
from tests.servers.http import FeedServer, Resource
from tests.servers.slack import FakeSlack
from tests.servers.smtp import SmtpServer
from watchtower.cli import main


def post(text: str) -> Resource:
    body = (
        '<?xml version="1.0"?><rss version="2.0"><channel><title>Forum</title>'
        "<item><title>Quelle banque choisir ?</title><link>https://forum.example.fr/t/1</link>"
        "<guid>https://forum.example.fr/t/1</guid>"
        "<pubDate>Wed, 25 Nov 2026 09:00:00 +0000</pubDate>"
        f"<description>{text}</description></item></channel></rss>"
    )
    return Resource(body.encode(), "application/rss+xml")


@pytest.fixture
def run_once(
    database_url: str,
    feeds: FeedServer,
    slack: FakeSlack,
    smtp: SmtpServer,
    write_config: Callable[[str], Path],
    monkeypatch: pytest.MonkeyPatch,
) -> Callable[[], None]:
    monkeypatch.setenv("SLACK_BOT_TOKEN", slack.token)
    path = write_config(
        targets(database_url, slack, smtp)
        + f"""
[[brands]]
name = "Acmé"
terms = ["Acmé"]

[[sources]]
name = "forum"
kind = "rss"
url = "{feeds.url("/forum.rss")}"
allow_private = true

[[rules]]
name = "crise"
brands = ["Acmé"]
query = "arnaque"
severity = "critical"
notify = ["slack:#crise", "email:dircom@example.fr"]
"""
    )

    def run() -> None:
        assert main(["run", "--once", "--config", str(path)]) == 0

    return run


def test_an_edit_that_now_matches_a_rule_alerts_its_targets(
    run_once: Callable[[], None], feeds: FeedServer, slack: FakeSlack, smtp: SmtpServer
) -> None:
    feeds.resources["/forum.rss"] = post("Je compare Acmé et les autres.")
    run_once()
    [mention] = slack.posts()
    assert mention["channel"] == "#veille" and smtp.messages == []

    feeds.resources["/forum.rss"] = post("Surtout pas Acmé, une arnaque.")
    run_once()
    [alert] = [p for p in slack.posts() if p["channel"] == "#crise"]
    assert "arnaque" in str(alert["blocks"]) and "CRITIQUE" in alert["text"]
    [mail] = smtp.messages
    assert mail["To"] == "dircom@example.fr" and "CRITIQUE" in mail["Subject"]
    # The rule claims the mention now: the default channel hears no more of it.
    assert slack.replies(mention["ts"]) == []

    # Edited again, still a complaint: a reply under the alert; e-mail once per story.
    feeds.resources["/forum.rss"] = post("Surtout pas Acmé, une arnaque. Je porte plainte.")
    run_once()
    [edit] = slack.replies(alert["ts"])
    assert "Modifié sur forum" in edit["text"]
    assert len(smtp.messages) == 1
