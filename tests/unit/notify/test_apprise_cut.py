"""A body Apprise cuts at the service's limit says so, in the configured language:
"… (suite tronquée)" under a mention, how many entries were left out under a
summary ("… et 12 de plus") or a digest ("… et 40 de plus (12 sujets)"), and
what it says adds up with what is shown (no I/O: real Apprise plugins are built
from their URLs, nothing is sent)."""

from __future__ import annotations

import re
from typing import Any

import pytest

from watchtower.models import Notification
from watchtower.notify.apprise import AppriseNotifier

TEAMS = "workflows://127.0.0.1:8443/wf0123/s3cr3tSig0123"  # 1,000 characters
DISCORD = "discord://112233445566/AbCdEfGhIjKlMn"  # 2,000 with its title
# Short messages: a mention's 500-character excerpt does not fit with its title.
MASTODON = "toots://abcdefghijkl@mastodon.example/"  # 500 with its title
MISSKEY = "misskeys://abcdefghijkl@misskey.example"  # 512
BLUESKY = "bsky://acme.example:app-pass-word1@"  # 280
SMS = "twilio://AC" + "a" * 32 + ":" + "b" * 32 + "@+15551234567/+15557654321"  # 160
LIMITS = {TEAMS: 1000, DISCORD: 2000, MASTODON: 500, MISSKEY: 512, BLUESKY: 280, SMS: 160}
URL = "https://forum.example.fr/t/acme-rembourse/42"
BRAND = "Acmé"
# An entry of a summary or a digest: "🔎 title — source".
ENTRY = re.compile(r"^(?:\u200b)?\S+ Article \d+ sur Acmé", re.MULTILINE)


def _mention(excerpt: str) -> Notification:
    payload = {
        "title": "Acmé rembourse ses clients",
        "url": URL,
        "source": "forum",
        "brands": [BRAND],
        "terms": [BRAND],
        "severity": "critical",
        "excerpt": excerpt,
    }
    return Notification.from_payload(7, "apprise:x", payload)


def _row(i: int, severity: str = "info", story: int | None = None) -> dict[str, Any]:
    return {
        "title": f"Article {i} sur Acmé, son rachat et ses conséquences pour les clients",
        "url": f"https://news{i}.example.fr/economie/{i}",
        "source": "presse",
        "severity": severity,
        "brands": [BRAND],
        "story": i if story is None else story,
    }


def _summary(reason: str, rows: list[dict[str, Any]], **more: Any) -> Notification:
    by_brand: dict[str, int] = {}
    for row in rows:
        by_brand[row["severity"]] = by_brand.get(row["severity"], 0) + 1
    summary = {
        "reason": reason,
        "what": BRAND,
        "count": len(rows),
        "items": rows,
        "by_brand": {BRAND: by_brand},
        "since": "2026-11-25T07:30:00+00:00",
        "until": "2026-11-26T07:30:00+00:00",
        **more,
    }
    payload = {"title": "", "brands": [BRAND], "extra": {"kind": "summary", "summary": summary}}
    return Notification.from_payload(9, "apprise:x", payload)


def _render(address: str, n: Notification, language: str) -> tuple[str, str]:
    message = AppriseNotifier(language).render(n, address)
    return message.subject, message.text


def _lines(body: str) -> list[str]:
    return [line for line in body.split("\n") if line.strip()]


def _fits(address: str, title: str, body: str) -> bool:
    return len(body) + (0 if address == TEAMS else len(title) + 12) <= LIMITS[address]


# ---------------------------------------------------------------- a mention

CUT = {"fr": "… (suite tronquée)", "en": "… (cut)"}


@pytest.mark.parametrize("address", [MASTODON, MISSKEY, BLUESKY, SMS])
@pytest.mark.parametrize("language", ["fr", "en"])
def test_a_cut_mention_says_it_was_cut_and_keeps_its_link(address: str, language: str) -> None:
    title, body = _render(address, _mention("Le forum s'enflamme. " * 300), language)

    lines = _lines(body)
    assert lines[-2] == CUT[language]  # the reader knows the text goes on
    assert URL in lines[-1]  # and still has the link to read it all
    assert _fits(address, title, body)


@pytest.mark.parametrize("language", ["fr", "en"])
def test_a_mention_that_fits_says_nothing_of_a_cut(language: str) -> None:
    _, body = _render(MASTODON, _mention("Le forum s'enflamme."), language)
    assert CUT[language] not in body and "…" not in body


# ---------------------------------------------------------------- summaries

MORE = {"fr": r"… et (\d+) de plus", "en": r"… and (\d+) more"}


@pytest.mark.parametrize("address", [TEAMS, DISCORD])
@pytest.mark.parametrize("language", ["fr", "en"])
def test_a_cut_summary_counts_the_mentions_it_left_out(address: str, language: str) -> None:
    # 60 mentions: the summary lists 20 and says "… et 40 de plus" itself; the
    # service's limit cuts inside the 20, and the count covers the 40 as well.
    title, body = _render(address, _summary("group", [_row(i) for i in range(60)]), language)

    last = _lines(body)[-1]
    more = re.fullmatch(MORE[language], last)
    assert more, last
    shown = len(ENTRY.findall(body))
    assert 0 < shown < 20
    assert shown + int(more.group(1)) == 60
    assert _fits(address, title, body)


# ---------------------------------------------------------------- digests

DIGEST_MORE = {
    "fr": r"… et (\d+) de plus \((\d+) sujets?\)",
    "en": r"… and (\d+) more \((\d+) stor",
}


@pytest.mark.parametrize("address", [TEAMS, DISCORD])
@pytest.mark.parametrize("language", ["fr", "en"])
def test_a_cut_digest_counts_the_mentions_and_stories_it_left_out(
    address: str, language: str
) -> None:
    # 30 stories of 2 mentions each, 5 critical: the digest lists 20 stories and
    # says the other 10 itself; the service cuts inside the 20.
    rows = [_row(i, "critical" if i < 5 else "info", story=i) for i in range(30)] * 2
    n = _summary("digest", rows, period="daily")
    title, body = _render(address, n, language)

    last = _lines(body)[-1]
    more = re.match(DIGEST_MORE[language], last)
    assert more, last
    shown = len(ENTRY.findall(body))
    assert 0 < shown < 20
    assert shown + int(more.group(2)) == 30  # stories
    assert 2 * shown + int(more.group(1)) == 60  # mentions
    assert _fits(address, title, body)
