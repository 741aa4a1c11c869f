"""End to end: a feed's words cannot mention anyone in Slack.

Slack text objects default to ``verbatim: false``: Slack then parses "certain
mentions" in plain text by itself. A forum post titled "@marketing-team
rappel" must not ping the marketing user group, nor "@jdupont" a member, nor
"<!subteam^S0123>", "<@U0123>", "<#C0123>" or "@here" anyone, whatever Slack
parses; watchtower's own link to the post stays a link. Real parts: a local
feed server, the pipeline, the fake Slack Web API; the test reads the JSON
Slack received.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator
from html import escape
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.scenario import targets
from tests.servers.http import FeedServer, Resource
from tests.servers.slack import FakeSlack
from tests.servers.smtp import SmtpServer
from watchtower.cli import main

ITEMS = {
    "group": (
        "Arnaque Acmé : @marketing-team et @DircomAcme prévenez @jdupont",
        "Un client écrit à @support-acme et (@service.client) ; voir "
        "https://medium.com/@acme/arnaque-acme ou écrire à contact@acme.fr.",
    ),
    "written": (
        "Arnaque Acmé <!subteam^S0123> <@U0123> <#C0123> <!here|here> @here",
        "Relayé par <@W0456|jdupont> dans <#C0123|general> : <!channel>.",
    ),
}
#: A mention Slack could make of them: a handle after anything but a letter or
#: digit (an e-mail's "@" follows one), or a written-out mention.
MENTION = re.compile(r"(?<![^\W_])@\w|<[@#!]", re.UNICODE)


def feed() -> bytes:
    entries = "".join(
        f"<item><title>{escape(escape(title))}</title>"
        f"<link>https://forum.example.fr/t/{key}</link><guid>{key}</guid>"
        "<pubDate>Tue, 24 Nov 2026 09:15:00 +0100</pubDate>"
        f"<description>{escape(escape(excerpt))}</description></item>"
        for key, (title, excerpt) in ITEMS.items()
    )
    return (
        '<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel>'
        f"<title>Forum</title><link>https://forum.example.fr/</link>{entries}</channel></rss>"
    ).encode()


@pytest.fixture
def config(
    database_url: str,
    feeds: FeedServer,
    slack: FakeSlack,
    smtp: SmtpServer,
    write_config: Callable[[str], Path],
    monkeypatch: pytest.MonkeyPatch,
) -> Path:
    feeds.resources["/forum.rss"] = Resource(feed(), "application/rss+xml")
    monkeypatch.setenv("SLACK_BOT_TOKEN", slack.token)
    return write_config(
        f"""
{targets(database_url, slack, smtp)}
[[brands]]
name = "Acmé"
terms = ["Acmé"]

[[sources]]
name = "forum-conso"
kind = "rss"
url = "{feeds.url("/forum.rss")}"
every = "10m"
allow_private = true

[[rules]]
name = "crise"
brands = ["Acmé"]
query = "arnaque"
severity = "critical"
notify = ["slack:#crise"]
"""
    )


def texts(post: dict[str, Any]) -> Iterator[tuple[str, str]]:
    """Each text Slack received in ``post``: (its type, its text), the fallback
    ``text`` as mrkdwn."""
    yield "mrkdwn", str(post.get("text") or "")
    blocks = post.get("blocks") or []
    if isinstance(blocks, str):
        blocks = json.loads(blocks)
    for block in blocks:
        objects = [block["text"]] if isinstance(block.get("text"), dict) else []
        objects += [e for e in block.get("elements", []) if "text" in e]
        for obj in objects:
            yield str(obj.get("type")), str(obj["text"])


def without_links(text: str) -> str:
    """``text`` without watchtower's own ``<https://…|label>`` links' address
    and the http(s) addresses written out (an address's "@" is no mention)."""
    text = re.sub(r"<https?://[^|>]*\|", "", text)
    return re.sub(r"https?://\S+", "", text)


def test_handles_and_written_mentions_from_a_feed_ping_nobody(
    config: Path, slack: FakeSlack
) -> None:
    assert main(["run", "--once", "--config", str(config)]) == 0

    posts = slack.posts()
    assert len(posts) == len(ITEMS)
    for post in posts:
        for kind, text in texts(post):
            if kind == "plain_text":  # a header: never parsed
                continue
            assert not MENTION.findall(without_links(text)), text
    group = next(p for p in posts if "marketing" in p["text"])
    shown = "".join(text for _, text in texts(group))
    # Still readable: the handles are there, a zero-width space after each "@".
    for handle in ("marketing-team", "DircomAcme", "jdupont", "support-acme", "service.client"):
        assert f"@\u200b{handle}" in shown
    # An address keeps its "@": the e-mail, and the link Slack makes whole.
    assert "contact@acme.fr" in shown
    assert "https://medium.com/@acme/arnaque-acme" in shown
    # Watchtower's own link to the post is still a link.
    assert "<https://forum.example.fr/t/group|" in shown

    written = next(p for p in posts if "forum.example.fr/t/written" in json.dumps(p))
    shown = "".join(text for _, text in texts(written))
    assert "&lt;!subteam^S0123&gt;" in shown and "&lt;#C0123&gt;" in shown
    assert "<https://forum.example.fr/t/written|" in shown
