"""A weekly digest's days and dates, word for word (fr and en): 7 bars, Monday
first, in the e-mail's text and HTML and in Slack; a period across the new year
names its years, as the week's name does."""

from __future__ import annotations

import html
import re
from typing import Any

import pytest

from watchtower.models import Notification
from watchtower.notify import digest_text
from watchtower.notify.email_digest import digest_email
from watchtower.notify.slack_render import summary_blocks

NBSP = "\u00a0"
#: Counts of the week of 28 December 2026 to 3 January 2027, its days in order.
COUNTS = [(3, 0), (0, 0), (12, 2), (1, 0), (0, 0), (4, 0), (2, 0)]
DAYS = ["2026-12-28", "2026-12-29", "2026-12-30", "2026-12-31"] + [
    f"2027-01-0{day}" for day in (1, 2, 3)
]


def new_year(**summary: Any) -> dict[str, Any]:
    """The summary :func:`watchtower.digest.enrich` leaves for that week."""
    days = [
        {"day": day, "count": count, "critical": critical}
        for day, (count, critical) in zip(DAYS, COUNTS, strict=True)
    ]
    return {
        "reason": "digest",
        "period": "weekly",
        "week": ["2026-12-28", "2027-01-03"],
        "days": days,
        "count": 20,
        "sent_apart": 2,
        "since": "2026-12-28T07:30:00+00:00",
        "until": "2027-01-04T07:30:00+00:00",
        "items": [],
        "by_brand": {"Acmé": {"info": 20}},
    } | summary


def digest(summary: dict[str, Any], target: str = "email:dircom@acme.example") -> Notification:
    return Notification.from_payload(1, target, {"kind": "summary", "extra": {"summary": summary}})


def text_of(cell: str) -> str:
    """A table cell's text, as a reader sees it (its tags gone)."""
    return html.unescape(re.sub(r"<[^>]+>", "", cell))


FRENCH = [
    "lun. 28   █████ 3",
    "mar. 29   0",
    "mer. 30   ████████████████████ 12 (dont 🚨 2)",
    "jeu. 31   ██ 1",
    "ven. 1er  0",
    "sam. 2    ███████ 4",
    "dim. 3    ███ 2",
]
ENGLISH = [
    "Mon 28  █████ 3",
    "Tue 29  0",
    "Wed 30  ████████████████████ 12 (incl. 🚨 2)",
    "Thu 31  ██ 1",
    "Fri 1   0",
    "Sat 2   ███████ 4",
    "Sun 3   ███ 2",
]


@pytest.mark.parametrize(("language", "lines"), [("fr", FRENCH), ("en", ENGLISH)])
def test_the_seven_days_of_the_week(language: str, lines: list[str]) -> None:
    assert digest_text.week_lines(new_year(), language) == lines
    _, text, page = digest_email(digest(new_year()), language, "Europe/Paris")
    heading = f"Mentions par jour{NBSP}:" if language == "fr" else "Mentions per day:"
    assert f"\n{heading}\n" + "\n".join(lines) + "\n\n" in text
    rows = re.findall(r"<tr><td style='[^']*'>(.*?)</td><td style='[^']*'>(.*?)</td>", page)
    # The HTML: one row a day, the day's name, then its bar and count.
    shown = [(text_of(day), text_of(bar)) for day, bar in rows]
    assert shown == digest_text.week_bars(new_year(), language)
    assert [" ".join(f"{day}  {bar}".split()) for day, bar in shown] == [
        " ".join(line.split()) for line in lines
    ]


def test_slack_shows_the_same_lines_in_a_code_block() -> None:
    blocks, _ = summary_blocks(digest(new_year(), "slack:#direction"), "fr")
    [days] = [b["text"]["text"] for b in blocks if "Mentions par jour" in str(b)]
    assert days == "*Mentions par jour*\n```" + "\n".join(FRENCH) + "```"


def test_a_lone_mention_among_many_still_has_a_bar() -> None:
    summary = new_year()
    summary["days"][0]["count"], summary["days"][2]["count"] = 1, 500
    assert digest_text.week_lines(summary, "en")[0] == "Mon 28  █ 1"
    assert digest_text.week_lines(summary, "fr")[2].startswith("mer. 30   " + "█" * 20 + " 500")


@pytest.mark.parametrize(
    "summary",
    [
        new_year(period="daily"),  # the daily digest has no days
        new_year(days=None),  # a payload queued by an older watchtower
        new_year(days=[{"day": "2026-12-28", "count": 1}]),
        new_year(days=[{"day": "28/12", "count": 1}] * 7),
        new_year(days=[{"day": "2026-12-28", "count": 0}] * 7),  # a week with nothing
    ],
)
def test_no_days_without_a_week_to_show(summary: dict[str, Any]) -> None:
    _, text, page = digest_email(digest(summary), "fr", "Europe/Paris")
    assert "Mentions par jour" not in text and "Mentions par jour" not in page


@pytest.mark.parametrize(
    ("language", "period"),
    [
        ("fr", "Du 28 décembre 2026 à 08:30 au 4 janvier 2027 à 08:30 · 20 mentions"),
        ("en", "From December 28, 2026 at 08:30 to January 4, 2027 at 08:30 · 20 mentions"),
    ],
)
def test_a_period_across_the_new_year_names_its_years(language: str, period: str) -> None:
    subject, text, _ = digest_email(digest(new_year()), language, "Europe/Paris")
    assert text.splitlines()[1] == period
    week = (
        "semaine du 28 décembre 2026 au 3 janvier 2027"
        if language == "fr"
        else "week of December 28, 2026 – January 3, 2027"
    )
    assert subject.endswith(f" — {week}")


def test_a_period_within_one_year_names_none() -> None:
    """A guard: "Du 16 novembre à 08:30 au 23 novembre à 08:30", as before."""
    summary = new_year(
        week=["2026-11-16", "2026-11-22"],
        since="2026-11-16T07:30:00+00:00",
        until="2026-11-23T07:30:00+00:00",
    )
    _, text, _ = digest_email(digest(summary), "fr", "Europe/Paris")
    assert text.splitlines()[1].startswith("Du 16 novembre à 08:30 au 23 novembre à 08:30 · ")
