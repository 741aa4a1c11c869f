"""Slack rendering: who is pinged, what the fallback text holds, the plain-text
version sent when Slack refuses the blocks, the total size of the blocks."""

from __future__ import annotations

import dataclasses
from typing import Any

from watchtower.models import Notification
from watchtower.notify.slack import SlackNotifier, channel_name
from watchtower.notify.slack_render import (
    BLOCKS_TEXT_TOTAL,
    PLAIN_MAX,
    context,
    fit,
    header,
    plain_text,
    section,
    spike_blocks,
    summary_blocks,
)


def notification(extra: dict[str, Any], **payload: Any) -> Notification:
    base = {"title": "T", "url": "", "brands": ["Acmé"], "severity": "critical"}
    n = Notification.from_payload(7, "slack:#veille", base | payload)
    return dataclasses.replace(n, extra=extra)


def test_a_user_group_is_mentioned_as_a_group_a_user_as_a_user() -> None:
    spike = {"name": "Acmé", "observed": 12, "window": "1h", "baseline": 1.5}
    spike["escalate_to"] = ["@U0ONCALL", "@S0COMMS"]
    blocks, text = spike_blocks(notification({"kind": "spike", "spike": spike}), "fr")
    assert "<@U0ONCALL>" in str(blocks) and "<!subteam^S0COMMS>" in str(blocks)
    assert "<@S0COMMS>" not in text  # that pings nobody


def test_a_summary_fallback_text_pings_nobody() -> None:
    summary = {"reason": "group", "what": "<!channel> urgent", "count": 2, "items": []}
    _, text = summary_blocks(notification({"kind": "summary", "summary": summary}), "fr")
    assert "<!channel>" not in text and "&lt;!channel&gt;" in text


def test_plain_text_keeps_every_block_within_what_slack_shows() -> None:
    blocks = [
        header("Titre <!here>"),
        section("*Critique* · <https://x.example/1|Un article>"),
        context("Publié le 01/03"),
        section("y" * 10_000),
    ]
    text = plain_text(blocks, "fallback")
    assert len(text) <= PLAIN_MAX
    assert text.startswith("*Titre &lt;!here&gt;*\n*Critique* · <https://x.example/1|Un article>")
    assert "Publié le 01/03" in text and text.endswith("…")


def test_blocks_are_cut_to_a_total_slack_accepts() -> None:
    blocks = [section("z" * 2_900) for _ in range(10)]
    out, _ = fit(blocks, "t")
    sizes = [len(b["elements"][0]["text"] if "elements" in b else b["text"]["text"]) for b in out]
    assert sum(sizes) <= BLOCKS_TEXT_TOTAL
    # Not "6 de plus": blocks are not mentions (test_slack_digest_cut.py).
    assert out[-1]["type"] == "context" and "ne tient pas" in out[-1]["elements"][0]["text"]


def test_a_capitalised_channel_name_is_slacks_lower_case_name() -> None:
    assert channel_name("#Veille") == "#veille"
    assert channel_name("C0VEILLE") == "C0VEILLE"
    n = notification({}, title="Un titre")
    notifier = SlackNotifier("xoxb-x", api_url="http://127.0.0.1:9/api/")
    assert notifier.render(n, "#Veille-Marque").address == "#veille-marque"
