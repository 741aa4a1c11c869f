"""A Slack summary too big for one message says how many mentions it leaves
out, and how many brands when whole brands go, never how many Block Kit
blocks ("… et 10 de plus" while 50 mentions and 5 brands were missing)."""

from __future__ import annotations

import re
from typing import Any

import pytest

from tests.servers.slack import FakeSlack
from watchtower.models import Notification
from watchtower.notify.slack import SlackNotifier
from watchtower.notify.slack_render import (
    BLOCKS_MAX,
    BLOCKS_TEXT_TOTAL,
    fit,
    section,
    summary_blocks,
)

# Google Alerts' and news sites' addresses are this long.
LONG = "a" * 140


def _item(brand: str, i: int, story: int | None = None, url: str = LONG) -> dict[str, Any]:
    return {
        "title": f"Article {i} sur {brand} : un titre comme la presse en écrit, "
        "assez long pour remplir la ligne d'un téléphone",
        "url": f"https://site{i}.example.fr/actualites/{url}/{brand}/{i}",
        "source": "presse",
        "severity": "info",
        "brands": [brand],
        "story": story,
    }


def _summary(reason: str, brands: int, per_brand: int, url: str = LONG) -> Notification:
    items = [
        _item(f"Marque{b}", i, b * 1000 + i, url) for b in range(brands) for i in range(per_brand)
    ]
    summary = {
        "reason": reason,
        "what": "presse",
        "count": len(items),
        "period": "daily",
        "items": items,
        "by_brand": {f"Marque{b}": {"info": per_brand} for b in range(brands)},
    }
    payload = {
        "title": "",
        "brands": list(summary["by_brand"]),
        "severity": "info",
        "extra": {"kind": "summary", "summary": summary, "created_at": 1.0},
    }
    return Notification.from_payload(1, "slack:#veille", payload)


def _texts(blocks: list[dict[str, Any]]) -> list[str]:
    texts = []
    for block in blocks:
        if isinstance(block.get("text"), dict):
            texts.append(block["text"]["text"])
        texts += [e.get("text", "") for e in block.get("elements") or []]
    return texts


def _accounted(texts: list[str]) -> tuple[int, int]:
    """(mentions listed, mentions counted in "… et N de plus" lines of any kind)."""
    shown = sum(text.count("🔎 <https://") for text in texts)
    told = sum(
        int(n)
        for text in texts
        for n in re.findall(r"(?:et|and) (\d+) (?:mentions? )?(?:de plus|more)", text)
    )
    return shown, told


def test_a_cut_digest_counts_the_mentions_it_leaves_out(slack: FakeSlack) -> None:
    """8 brands × 10 stories with long addresses: Slack receives the first
    brands, and one line counting every mention and brand left out."""
    port = slack.httpd.server_address[1]
    notifier = SlackNotifier(
        slack.token, api_url=f"http://127.0.0.1:{port}/api/", timeout=5.0, channel_interval=0.0
    )
    notifier.send(notifier.render(_summary("digest", 8, 10), "#veille"))

    (posted,) = slack.posts()
    texts = _texts(posted["blocks"])
    shown, told = _accounted(texts)
    assert shown < 80  # the message was cut: that is the case under test
    assert shown + told == 80  # every mention is listed or counted
    headed = sum(bool(re.match(r"\*Marque\d\* — ", text)) for text in texts)
    last = texts[-1]
    assert re.fullmatch(r"… et \d+ mentions de plus \(\d+ marques\)", last), last
    assert last.endswith(f"({8 - headed} marques)")
    assert sum(len(text) for text in texts) <= BLOCKS_TEXT_TOTAL


def test_a_cut_digest_says_it_in_english() -> None:
    blocks, _ = summary_blocks(_summary("digest", 8, 10), "en")
    texts = _texts(blocks)
    shown, told = _accounted(texts)
    assert shown + told == 80
    assert re.fullmatch(r"… and \d+ more mentions \(\d+ brands\)", texts[-1]), texts[-1]


def test_a_brand_cut_in_its_middle_is_not_counted_as_left_out() -> None:
    """The cut falls inside a brand whose heading is shown: its mentions are
    counted, the brand is not among those left out."""
    blocks, _ = summary_blocks(_summary("digest", 2, 60, url="b" * 1_500), "fr")
    texts = _texts(blocks)
    shown, told = _accounted(texts)
    assert shown + told == 120
    # Brand 0's stories (1,700 characters each) overflow the message: its
    # heading and first stories are shown, brand 1 is left out whole.
    headed = [text for text in texts if re.match(r"\*Marque\d\* — ", text)]
    assert len(headed) == 1 and 0 < shown < 10
    assert texts[-1] == f"… et {120 - shown} mentions de plus (1 marque)"


def test_sixty_brands_stay_within_fifty_blocks_and_count_the_rest() -> None:
    blocks, _ = summary_blocks(_summary("digest", 60, 1, url="x"), "fr")
    shown, told = _accounted(_texts(blocks))
    assert len(blocks) <= BLOCKS_MAX
    assert shown < 60 and shown + told == 60
    assert _texts(blocks)[-1].endswith(f"({60 - shown} marques)")


def test_a_grouped_message_with_long_addresses_counts_its_mentions() -> None:
    """A grouped message (reason "group") of 30 items with 1,900-character
    addresses: what does not fit is counted in mentions, not brands."""
    n = _summary("group", 1, 30, url="c" * 1_900)
    blocks, _ = summary_blocks(n, "fr")
    texts = _texts(blocks)
    shown, told = _accounted(texts)
    assert shown < 20 and shown + told == 30
    assert re.fullmatch(r"… et \d+ mentions de plus", texts[-1]), texts[-1]


def test_a_digest_that_fits_has_no_left_out_line() -> None:
    blocks, _ = summary_blocks(_summary("digest", 2, 3, url="x"), "fr")
    texts = _texts(blocks)
    assert _accounted(texts) == (6, 0)
    assert not any("de plus" in text or "Slack" in text for text in texts)


@pytest.mark.parametrize(("language", "said"), [("fr", "ne tient pas"), ("en", "does not fit")])
def test_the_generic_cut_never_prints_a_number(language: str, said: str) -> None:
    """Blocks ``fit`` drops (any caller: alerts, spikes, notices) are not
    mentions: it says the rest did not fit, without a count a reader would
    take for mentions."""
    for blocks in ([section("z" * 2_900) for _ in range(10)], [section("z")] * 60):
        out, _ = fit(blocks, "t", language=language)
        last = out[-1]["elements"][0]["text"]
        assert out[-1]["type"] == "context" and said in last
        assert not re.search(r"\d", last), last
        assert len(out) <= BLOCKS_MAX
