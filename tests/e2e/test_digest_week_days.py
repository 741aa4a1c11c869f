"""A weekly digest shows its week day by day: 7 bars, Monday to Sunday, in its zone.

The daily digest has its chart; the weekly one said "240 mentions" for the
week with no way to see the Wednesday crisis from a quiet Friday. It now
lists the week's 7 local days ("lun. 16" … "dim. 22"; "Mon 16" in English),
each with a bar and its count, critical alerts sent at once included, in the
e-mail's text and HTML and in Slack. The week the clocks go back still has 7
days: Sunday is 25 hours long, and its night's second 02:15 is Sunday's.

The real daemon (poll rounds against the local feed server, alerting ticks,
outbox drains, aiosmtpd, the fake Slack Web API) on an injected clock in Paris.
"""

from __future__ import annotations

import html
import re
import struct
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from tests.e2e import test_digest_weekly as weekly
from tests.e2e.test_digest_quiet_days import Daemons, html_of, plain_of
from tests.e2e.test_digest_weekly import (
    AUTUMN,
    AUTUMN_DIGEST,
    DIGEST_TIME,
    START,
    Feeds,
    article,
)
from tests.servers.slack import FakeSlack

week = weekly.week  # the fixture: a weekly digest "mon 08:30" to the director

NBSP = "\u00a0"


def days_of(text: str) -> list[str]:
    """The lines of a digest's "Mentions par jour" block, as written."""
    lines = text.splitlines()
    at = next(
        i for i, line in enumerate(lines) if line.startswith(("Mentions par", "Mentions per"))
    )
    return lines[at : next((i for i in range(at, len(lines)) if not lines[i]), len(lines))]


def test_the_week_the_clocks_go_back_has_seven_days(
    week: Callable[..., tuple[Daemons, Feeds]],
) -> None:
    run, news = week(start=AUTUMN)  # Monday 19 October, 08:31 (UTC+2)
    run.until(AUTUMN + timedelta(hours=2))  # Monday 10:31: a crisis, sent at once
    news.add(article(run.clock.now, "piratage", "Piratage chez Banque Acmé", "bfmtv.example"))
    run.until(AUTUMN + timedelta(hours=14))  # Monday 22:31
    news.add(article(run.clock.now, "agence", "Banque Acmé ouvre une agence à Lyon"))
    run.until(datetime(2026, 10, 22, 12, tzinfo=UTC), every=timedelta(hours=6))  # Thursday
    news.add(article(run.clock.now, "jeudi", "Banque Acmé baisse ses frais"))
    # Sunday 25 October, 02:15 the second time (UTC+1 now): Sunday, not Saturday.
    run.until(datetime(2026, 10, 25, 1, 15, tzinfo=UTC), every=timedelta(hours=6))
    news.add(article(run.clock.now, "nuit", "Banque Acmé : une nuit d'une heure de plus"))
    run.until(datetime(2026, 10, 25, 22, 30, tzinfo=UTC), every=timedelta(hours=6))  # 23:30
    news.add(article(run.clock.now, "dimanche", "Banque Acmé sponsorise le marathon"))
    # Monday 26, 08:00, before the digest: Monday's, an 8th day (it was Sunday's).
    run.until(AUTUMN_DIGEST - timedelta(minutes=30), every=timedelta(hours=6))
    news.add(article(run.clock.now, "lundi", "Banque Acmé : les résultats du trimestre"))
    run.until(AUTUMN_DIGEST + timedelta(minutes=1))

    [mail] = run.digests()
    assert "— semaine du 19 au 25 octobre" in str(mail["Subject"])
    text = plain_of(mail)
    week = [
        "lun. 19  ████████████████████ 2 (dont 🚨 1)",
        "mar. 20  0",
        "mer. 21  0",
        "jeu. 22  ██████████ 1",
        "ven. 23  0",
        "sam. 24  0",
        "dim. 25  ████████████████████ 2",
        "lun. 26  ██████████ 1 (avant 08:30)",
    ]
    assert days_of(text) == [f"Mentions par jour{NBSP}:", *week]
    # The HTML: the daemon's chart of the days, its alt each day's count, no table.
    page = html_of(mail)
    assert "<table" not in page
    [alt] = re.findall(r'<img src="cid:chart@watchtower" alt="([^"]*)"', page)
    assert html.unescape(alt) == f"Mentions par jour{NBSP}: " + ", ".join(
        " ".join(line.replace("█", "").split()) for line in week
    )
    [png] = [p.get_payload(decode=True) for p in mail.walk() if p.get_content_type() == "image/png"]
    assert isinstance(png, bytes) and struct.unpack(">II", png[16:24]) == (600, 260)
    # The days add up to what the digest says: 5 mentions and the crisis.
    assert "5 mentions" in text and "1 alerte critique" in str(mail["Subject"])
    [summary] = run.summaries()
    days = summary.payload["summary"]["days"]
    assert [d["day"] for d in days] == [f"2026-10-{day}" for day in range(19, 27)]
    assert days[7]["before"] == "08:30" and summary.payload["summary"]["chart"] == "days"


def test_the_weekly_digest_in_slack_in_english(
    week: Callable[..., tuple[Daemons, Feeds]], slack: FakeSlack
) -> None:
    run, news = week(lang="en", target="slack:#direction")
    run.until(START + timedelta(days=1), every=timedelta(hours=12))  # Tuesday 17
    news.add(article(run.clock.now, "agence", "Banque Acmé opens a branch in Lyon"))
    run.until(START + timedelta(days=6), every=timedelta(hours=12))  # Sunday 22
    news.add(article(run.clock.now, "marathon", "Banque Acmé sponsors the marathon"))
    news.add(article(run.clock.now, "results", "Banque Acmé: quarterly results"))
    run.until(DIGEST_TIME + timedelta(minutes=1), every=timedelta(hours=12))

    [post] = [p for p in slack.posts() if "digest" in p["text"]]
    [days] = [b["text"]["text"] for b in post["blocks"] if "Mentions per day" in str(b)]
    assert days == (
        "*Mentions per day*\n```"
        "Mon 16  0\n"
        "Tue 17  ██████████ 1\n"
        "Wed 18  0\n"
        "Thu 19  0\n"
        "Fri 20  0\n"
        "Sat 21  0\n"
        "Sun 22  ████████████████████ 2```"
    )
    # Its chart is the week's days, named so in the thread, in English.
    [chart] = slack.files
    assert chart["title"] == "Mentions per day"
    assert chart["thread_ts"] == post["ts"]
