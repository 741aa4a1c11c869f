"""Two stories with the same title are two stories, in every digest.

A cut summary or digest counts what it leaves out by story, never by its line's
text: the wire's "Acmé rachète Globex" picked up by two stories (a dispatch and
a rewrite) must not count as one, and "… et 12 de plus" must add up with what
is shown, on Apprise, in the e-mail and in Slack alike (no I/O: real Apprise
plugins are built from their URLs, nothing is sent).
"""

from __future__ import annotations

import re
from typing import Any

import pytest

from watchtower.models import Notification
from watchtower.notify.apprise import AppriseNotifier
from watchtower.notify.digest_text import stories
from watchtower.notify.email_digest import digest_email
from watchtower.notify.slack_render import summary_blocks

DISCORD = "discord://112233445566/AbCdEfGhIjKlMn"  # 2,000 characters with its title
TEAMS = "workflows://127.0.0.1:8443/wf0123/s3cr3tSig0123"  # 1,000
BRAND = "Acmé"
TITLE = "Acmé rachète Globex : ce que le rachat change pour ses clients et ses salariés"
STORIES = 30


def _mentions(story: int) -> int:
    """Story ``story``'s mentions: 1, 2, 3, 1, 2, 3…, so that which story a
    line stands for changes the count."""
    return story % 3 + 1


def _rows() -> list[dict[str, Any]]:
    """The digest's rows: every story under the same title, each row its own
    address (one story, several sites), the first sightings first."""
    rows = []
    for copy in range(3):
        for story in range(STORIES):
            if copy < _mentions(story):
                rows.append(
                    {
                        "title": TITLE,
                        "url": f"https://site{copy}.example.fr/eco/{story}",
                        "source": "presse",
                        "severity": "info",
                        "brands": [BRAND],
                        "story": story,
                    }
                )
    return rows


def _digest(rows: list[dict[str, Any]]) -> Notification:
    summary = {
        "reason": "digest",
        "what": BRAND,
        "count": len(rows),
        "period": "daily",
        "items": rows,
        "by_brand": {BRAND: {"info": len(rows)}},
        "since": "2026-11-25T07:30:00+00:00",
        "until": "2026-11-26T07:30:00+00:00",
    }
    payload = {
        "title": "",
        "brands": [BRAND],
        "severity": "info",
        "extra": {"kind": "summary", "summary": summary, "created_at": 1.0},
    }
    return Notification.from_payload(9, "apprise:x", payload)


TOTAL = sum(_mentions(s) for s in range(STORIES))


def _first(shown: int) -> int:
    """The mentions of the digest's first ``shown`` stories, in its order (the
    most sites first: its 3-mention stories, each on 3 sites)."""
    return sum(int(s["mentions"]) for s in stories(_rows())[:shown])


DIGEST_MORE = {
    "fr": r"… et (\d+) de plus \((\d+) sujets?\)",
    "en": r"… and (\d+) more \((\d+) stor",
}


def _shown(text: str) -> int:
    return len(re.findall(r"^\S+ Acmé rachète Globex", text, re.MULTILINE))


@pytest.mark.parametrize("address", [DISCORD, TEAMS])
@pytest.mark.parametrize("language", ["fr", "en"])
def test_a_cut_apprise_digest_counts_each_story_of_a_shared_title(
    address: str, language: str
) -> None:
    message = AppriseNotifier(language).render(_digest(_rows()), address)
    last = [line for line in message.text.split("\n") if line.strip()][-1]
    more = re.match(DIGEST_MORE[language], last)
    assert more, last
    shown = _shown(message.text)
    assert 0 < shown < 20  # the service's limit cut inside the 20 listed
    assert shown + int(more.group(2)) == STORIES
    assert _first(shown) + int(more.group(1)) == TOTAL


def test_the_email_digest_counts_each_story_of_a_shared_title() -> None:
    _, text, _ = digest_email(_digest(_rows()), "fr", "Europe/Paris")
    assert f"{TOTAL} mentions · {STORIES} sujets" in text
    more = re.search(DIGEST_MORE["fr"], text)
    assert more, text
    shown = _shown(text)
    assert shown == 20
    assert shown + int(more.group(2)) == STORIES
    assert _first(shown) + int(more.group(1)) == TOTAL


def test_a_slack_digest_counts_each_story_of_a_shared_title() -> None:
    blocks, _ = summary_blocks(_digest(_rows()), "fr")
    text = "\n".join(
        str(b["text"]["text"]) for b in blocks if isinstance(b.get("text"), dict)
    ) + "\n".join(str(e.get("text", "")) for b in blocks for e in b.get("elements") or [])
    shown = text.count("|Acmé rachète Globex")  # each story's linked title
    more = re.search(r"… et (\d+) de plus", text)
    assert more, text
    assert 0 < shown <= 20
    assert _first(shown) + int(more.group(1)) == TOTAL


def test_rows_of_unknown_story_without_an_address_are_not_merged_by_title() -> None:
    # A row with neither a story nor an address (a mail without a link) has
    # nothing that says it is another row's story: its title is not enough.
    rows = [
        {"title": "Avis client", "url": "", "source": "imap", "severity": "info", "brands": [BRAND]}
        for _ in range(3)
    ]
    assert [s["mentions"] for s in stories(rows)] == [1, 1, 1]
    # Rows with the same address are one story, as always.
    same = [dict(r, url="https://forum.example.fr/t/1") for r in rows]
    assert [s["mentions"] for s in stories(same)] == [3]
