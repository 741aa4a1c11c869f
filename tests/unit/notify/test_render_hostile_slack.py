"""A stranger's title, author, excerpt, source name or link, through every Slack
notification that carries item text (mention, thread reply, grouped, quiet-hours
and digest summaries, spike alert, escalation), in both languages.

Two promises: nothing an item says is a Slack control sequence (no ping, no
link of its own, no reordered text), and the message stays valid for Slack's
API — posted to the fake Slack, which refuses what Slack refuses
(``invalid_blocks``, ``msg_blocks_too_long``, ``msg_too_long``).
"""

from __future__ import annotations

import dataclasses
import json
import re
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from slack_sdk import WebClient

from tests.servers.slack import FakeSlack
from watchtower.models import Notification
from watchtower.notify.slack_render import (
    Block,
    cut_mrkdwn,
    item_blocks,
    plain_text,
    reply_blocks,
    spike_blocks,
    summary_blocks,
)

RLO, ZWJ = "\u202e", "\u200d"
ON_CALL = "<@U0ONCALL>"  # the configuration's escalate_to: the one ping allowed
HOSTILE = {
    "calm": "Acmé rachète Globex",  # the title of the cases that try a hostile link
    "channel": "Acmé <!channel> rappel",
    "here": "<!here> Acmé",
    "everyone": "Acmé <!everyone>",
    "group": "Acmé <!subteam^S123> <!subteam^S123|@dircom>",
    "user": "Acmé <@U123> <#C123> <#C123|general>",
    "labelled": "Acmé <!here|here> <!date^1392734382^{date}|x>",
    "spelled": "Acmé @channel @here @everyone @Channel",
    "escaped": "Acmé &lt;!channel&gt; &amp;lt;!here&amp;gt; &#60;!here&#62;",
    "spoof": "<http://evil.example|acme.fr> <https://evil.example/login|Banque Acmé>",
    "pipes": "Acmé a|b>c<d <mailto:x@evil.example|x>",
    "marks": "Acmé `code` ```bloc``` *gras* _it_ ~barré~ > cité",
    "bidi": f"Acmé {RLO}gpj.exe{ZWJ}\u2066x\u2069 \x1b[8m\x9b",
    "lines": "Acmé\nligne 2\r\n<!here>\u2028Bcc\u2029fin",
    "huge": "Acmé " + "&<*_" * 12_500,  # 50 kB, each character escaped or marked
}
URLS = {
    "plain": "https://forum.example.fr/t/1?a=1&b=2",
    "pipe": "https://forum.example.fr/t/1?q=a|b>c<!channel>",
    "bidi": f"https://forum.example.fr/{RLO}gpj.exe/\x1b[2J",
    "huge": "https://forum.example.fr/?" + "a=1&" * 1_000,
}
LANGUAGES = ("fr", "en")


def _item(title: str, url: str, **more: Any) -> Notification:
    payload = {
        "title": title,
        "url": url,
        "source": title,
        "brands": ["Acmé"],
        "terms": ["Acmé"],
        "rules": ["crise"],
        "severity": "critical",
        "excerpt": title,
        "extra": {"author": title, "reviewed": title, "app_version": title},
    }
    return Notification.from_payload(7, "slack:#veille", payload | more)


def _rows(title: str, url: str, count: int = 40) -> list[dict[str, Any]]:
    return [
        {
            "title": title,
            "url": url,
            "source": title,
            "severity": "critical",
            "brands": ["Acmé"],
            "story": i,
        }
        for i in range(count)
    ]


def _summary(reason: str, title: str, url: str) -> Notification:
    summary = {
        "reason": reason,
        "what": "crise",  # a rule's name: the configuration's, not the feed's
        "count": 40,
        "items": _rows(title, url),
        "by_brand": {"Acmé": {"critical": 40}},
        "period": "daily",
        "since": "2026-11-25T07:30:00+00:00",
        "last": "2026-11-26T06:00:00+00:00",
    }
    payload = {"title": "", "url": "", "source": "", "brands": ["Acmé"]}
    n = Notification.from_payload(8, "slack:#veille", payload)
    return dataclasses.replace(n, extra={"kind": "summary", "summary": summary})


def _spike(title: str, url: str, *, escalation: bool) -> Notification:
    spike = {
        "name": "Acmé",
        "observed": 13,
        "baseline": 0.4,
        "window": "1h",
        "timeout": "15m",
        "escalate_to": ["@U0ONCALL"],
        "top_sources": [[title, 9]] * 5,
        "top_terms": [[title, 13]] * 5,
        "examples": _rows(title, url, 10),
        "escalation": escalation,
        "original": {
            "copies": [
                {"target": "slack:#crise", "status": "sent", "at": "2026-11-26T07:38:00+00:00"}
            ],
            "permalink": "https://acme.slack.com/archives/C1/p1",
        },
    }
    payload = {"title": title, "url": "", "brands": ["Acmé"], "severity": "critical"}
    n = Notification.from_payload(9, "slack:#veille", payload)
    return dataclasses.replace(n, extra={"kind": "spike", "spike": spike})


Render = Callable[[str, str, str], tuple[list[Block], str]]
KINDS: dict[str, Render] = {
    "mention": lambda title, url, lang: item_blocks(_item(title, url), lang, "Europe/Paris"),
    "sighting": lambda title, url, lang: item_blocks(
        _item(title, url), lang, "Europe/Paris", sightings=3
    ),
    "reply": lambda title, url, lang: reply_blocks(
        _item(title, url, story={"id": 1, "first": False, "sightings": 2}), lang
    ),
    "group": lambda title, url, lang: summary_blocks(_summary("group", title, url), lang),
    "quiet": lambda title, url, lang: summary_blocks(_summary("quiet", title, url), lang),
    "digest": lambda title, url, lang: summary_blocks(_summary("digest", title, url), lang),
    "spike": lambda title, url, lang: spike_blocks(_spike(title, url, escalation=False), lang),
    "escalation": lambda title, url, lang: spike_blocks(_spike(title, url, escalation=True), lang),
}


def _cases() -> Iterator[tuple[str, str, str, str]]:
    for kind in KINDS:
        for lang in LANGUAGES:
            for name in HOSTILE:
                yield kind, lang, name, "plain"
            for name in URLS:
                if name != "plain":
                    yield kind, lang, "calm", name


CASES = list(_cases())
IDS = [f"{kind}-{lang}-title:{title}-url:{url}" for kind, lang, title, url in CASES]


def _render(kind: str, lang: str, title: str, url: str) -> tuple[list[Block], str]:
    return KINDS[kind](HOSTILE[title], URLS[url], lang)


def _mrkdwn(blocks: list[Block], text: str) -> list[str]:
    """Every text Slack parses as mrkdwn (headers are plain_text: never parsed)."""
    texts = [text]
    for block in blocks:
        for obj in [block.get("text"), *(block.get("elements") or [])]:
            if isinstance(obj, dict) and obj.get("type") == "mrkdwn":
                texts.append(str(obj["text"]))
    return texts


# <…> is Slack's only control sequence; ours are links to http(s) pages.
_SEQUENCE = re.compile(r"<([^<>]*)>?")
_OUR_LINK = re.compile(r"https?://[^\s<>|]+\|[^<>|][^<>]*")
_PLAIN_PING = re.compile(r"@(channel|here|everyone)\b", re.IGNORECASE)


def _sequences(text: str) -> list[str]:
    return [m.group(0) for m in _SEQUENCE.finditer(text.replace(ON_CALL, ""))]


@pytest.mark.parametrize(("kind", "lang", "title", "url"), CASES, ids=IDS)
def test_item_text_is_never_a_slack_control_sequence(
    kind: str, lang: str, title: str, url: str
) -> None:
    blocks, text = _render(kind, lang, title, url)
    for shown in _mrkdwn(blocks, text):
        for sequence in _sequences(shown):
            # A link: closed, to an http(s) address, labelled; never !, @ or #.
            assert sequence.endswith(">"), sequence[:80]
            assert _OUR_LINK.fullmatch(sequence[1:-1]), sequence[:80]
            assert "evil.example" not in sequence.partition("|")[0]
        outside_links = _SEQUENCE.sub("", shown)
        assert not _PLAIN_PING.search(outside_links), outside_links[:200]
        # mrkdwn has no escape for its marks: each is kept apart from its word.
        for marked in ("`code`", "``bloc``", "*gras*", "_it_", "~barré~"):
            assert marked not in shown
    everything = text + json.dumps(blocks, ensure_ascii=False)
    for char in (RLO, "\u2066", "\u2069", "\x1b", "\x9b", "\u2028", "\u2029"):
        assert char not in everything


@pytest.fixture(scope="module")
def fake_slack() -> Iterator[FakeSlack]:
    server = FakeSlack().start()
    yield server
    server.stop()


@pytest.mark.parametrize(("kind", "lang", "title", "url"), CASES, ids=IDS)
def test_slack_accepts_the_blocks_whatever_the_item_says(
    fake_slack: FakeSlack, kind: str, lang: str, title: str, url: str
) -> None:
    blocks, text = _render(kind, lang, title, url)
    client = WebClient(token=fake_slack.token, base_url=fake_slack.api_url)
    # Raises SlackApiError on invalid_blocks, msg_blocks_too_long or msg_too_long:
    # the alert would go as plain text, or not at all.
    answer = client.chat_postMessage(channel="#veille", text=text, blocks=blocks)
    assert answer["ok"] is True
    assert all(str(block["text"]["text"]).strip() for block in blocks if "text" in block)


def test_a_title_spelling_a_mass_mention_pings_nobody() -> None:
    for lang in LANGUAGES:
        blocks, text = item_blocks(_item(HOSTILE["spelled"], URLS["plain"]), lang, "UTC")
        for shown in _mrkdwn(blocks, text):
            assert not _PLAIN_PING.search(_SEQUENCE.sub("", shown))
        # Still readable as the feed wrote it.
        assert "@\u200bchannel @\u200bhere @\u200beveryone @\u200bChannel" in text


def test_a_link_address_shown_as_text_is_not_reordered() -> None:
    for lang in LANGUAGES:
        _, text = item_blocks(_item("Acmé", URLS["bidi"]), lang, "UTC")
        assert RLO not in text and "\x1b" not in text
        assert "https://forum.example.fr/%E2%80%AEgpj.exe/%1B[2J" in text
        # Too long to be a link: shown as text, cut, in a context block.
        blocks, _ = item_blocks(_item("Acmé", URLS["bidi"] + "x" * 3_000), lang, "UTC")
        assert RLO not in json.dumps(blocks) and "\\u202e" not in json.dumps(blocks)


def test_a_cut_never_leaves_a_link_open() -> None:
    """The plain-text fallback (sent when Slack refuses the blocks) is the blocks'
    text cut to 4,000 characters: a cut after a link whose address holds "&" once
    dropped the rest of the line back to that "&", leaving "<https://…?a=1…"."""
    lines = [f"🔎 <https://x.example/a?b=1&c={i}|Titre {i}> · _forum_" for i in range(200)]
    for cut in (
        cut_mrkdwn("\n".join(lines), 4_000),
        plain_text([{"type": "section", "text": {"type": "mrkdwn", "text": "\n".join(lines)}}], ""),
    ):
        assert cut.count("<") == cut.count(">")
        assert all(_OUR_LINK.fullmatch(s[1:-1]) for s in _sequences(cut))
        assert len(cut) <= 4_000
    # An entity cut short still goes whole: no "&am" left for Slack to show.
    assert cut_mrkdwn("Acmé " + "&amp;" * 100, 32) == "Acmé &amp;&amp;&amp;&amp;&amp;…"
