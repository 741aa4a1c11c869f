"""Post one hostile mention through the real Slack notifier to the fake Slack
Web API and read back every text Slack received (the ping tests)."""

from __future__ import annotations

from typing import Any

from tests.servers.slack import FakeSlack
from watchtower.models import Notification
from watchtower.notify.slack import SlackNotifier

#: The mention's own link, which is no ping.
LINK = "https://forum.example.fr/t/arnaque-acme/42"


def posted_texts(slack: FakeSlack, title: str, excerpt: str) -> list[str]:
    """Every ``text`` string of the one ``chat.postMessage`` a critical mention
    titled ``title`` (excerpt ``excerpt``) makes."""
    notifier = SlackNotifier(slack.token, api_url=slack.api_url, timeout=5.0, channel_interval=0.0)
    payload = {
        "title": title,
        "url": LINK,
        "source": "forum",
        "brands": ["Acmé"],
        "terms": ["Acmé"],
        "rules": ["crise"],
        "severity": "critical",
        "excerpt": excerpt,
    }
    notifier.send(notifier.render(Notification.from_payload(1, "slack:#crise", payload), "#crise"))
    (posted,) = slack.posts()
    return texts(posted)


def texts(value: Any) -> list[str]:
    """Every ``text`` string of a chat.postMessage body, nested or not."""
    if isinstance(value, dict):
        found = [value["text"]] if isinstance(value.get("text"), str) else []
        return found + [t for v in value.values() for t in texts(v)]
    if isinstance(value, list):
        return [t for v in value for t in texts(v)]
    return []
