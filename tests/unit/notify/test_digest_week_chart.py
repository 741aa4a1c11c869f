"""A weekly digest's chart is its week, the digest's morning is that day's, and
the e-mail's HTML reads right on a phone.

- The chart of a weekly digest is one bar per local day, stacked by severity
  ("lun. 16" … "dim. 22"), in place of the per-brand chart; daily and hourly
  digests keep theirs. Its words (days, legend) are in the configured language,
  its legend no longer over the bars.
- The hours of the digest's own day before its time (Monday before 08:30) are
  that day's, an 8th bar "lun. 23 … (avant 08:30)" shown when they had
  mentions, not Sunday's.
- The HTML: the days' chart takes the place of the days' table, its ``alt``
  giving each day's count; without a chart, the table keeps each bar and its
  count on one line and hides the blocks from screen readers.

PNGs are checked by their header (size, dimensions), not decoded, except for
opacity (dark mode).
"""

from __future__ import annotations

import base64
import html
import io
import re
import struct
from datetime import datetime, timedelta
from typing import Any

import pytest

from tests.unit import test_digest_schedule as schedule
from tests.unit.notify.test_digest_week_render import FRENCH, digest, new_year
from tests.unit.test_digest_week_days import DIRECTOR, KEY, PARIS, WEEKLY, add, local
from watchtower import digest as digests
from watchtower.notify import digest_text
from watchtower.notify.email_digest import digest_email
from watchtower.pipeline import grouping
from watchtower.storage.db import Database
from watchtower.storage.tables import OutboxRow

db = schedule.db  # the fixture: a migrated database (SQLite, or PostgreSQL when set)

NBSP = "\u00a0"
BRANDS = {"Banque Acmé": {"info": 30, "warning": 5, "critical": 2}}
#: The digest's morning of 4 January 2027, as :func:`watchtower.digest.week_counts` gives it.
MORNING: dict[str, Any] = {"day": "2027-01-04", "count": 2, "critical": 1, "warning": 0}
MORNING |= {"info": 1, "before": "08:30"}


def size_of(png: bytes) -> tuple[int, int]:
    """A PNG's width and height, from its header."""
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = struct.unpack(">II", png[16:24])
    return int(width), int(height)


def week(**summary: Any) -> dict[str, Any]:
    """The new year's week with each day's severities (as week_counts now gives them)."""
    days = [d | {"warning": 0, "info": d["count"] - d["critical"]} for d in new_year()["days"]] + [
        MORNING
    ]
    return new_year(**({"days": days} | summary))


# ----------------------------------------------------------------- the chart
def test_a_weekly_chart_is_the_week_by_day() -> None:
    """Same brands, two weeks: two images (the per-brand chart was the same)."""
    one = digests.chart_png(BRANDS, "", days=week()["days"])
    other_days = [dict(d) for d in week()["days"]]
    other_days[2]["count"], other_days[2]["info"] = 2, 0  # a quiet Wednesday
    other = digests.chart_png(BRANDS, "", days=other_days)
    brands = digests.chart_png(BRANDS, "")
    assert one != other and one != brands
    assert size_of(one) == (600, 260)
    assert len(one) < 40_000  # today's per-brand charts weigh 10-15 KB
    assert size_of(brands)[0] == 600


def test_the_chart_speaks_the_configured_language() -> None:
    """Its days ("lun. 28", "Mon 28") and its legend (it said "critical" in French)."""
    days = week()["days"]
    assert digests.chart_png(BRANDS, "", days=days, language="fr") != digests.chart_png(
        BRANDS, "", days=days, language="en"
    )
    assert digests.chart_png(BRANDS, "", language="fr") != digests.chart_png(
        BRANDS, "", language="en"
    )


def test_the_weeks_chart_is_opaque_so_dark_mode_keeps_it_readable() -> None:
    from matplotlib import image

    png = digests.chart_png(BRANDS, "", days=week()["days"])
    pixels = image.imread(io.BytesIO(png), format="png")
    assert pixels.shape[2] == 3 or float(pixels[:, :, 3].min()) == 1.0


def test_the_legend_no_longer_covers_the_only_brands_bar() -> None:
    """One brand: the legend sat on its bar, hiding a third of it."""
    from matplotlib import image

    png = digests.chart_png(BRANDS, "")
    pixels = image.imread(io.BytesIO(png), format="png")[:, :, :3]
    info = [0x1F / 255, 0x77 / 255, 0xB4 / 255]  # SEVERITY_COLOURS["info"]
    blue = (abs(pixels - info) < 0.02).all(axis=2).sum(axis=1)
    across_the_bar = [int(n) for n in blue if n > 100]  # not the legend's swatch
    assert across_the_bar and len(set(across_the_bar)) == 1


def test_a_week_without_a_mention_keeps_the_brands_chart() -> None:
    """No day to draw: the chart is the brands' (the summary says so)."""
    empty = [dict(d, count=0, critical=0, info=0) for d in week()["days"]]
    assert digests.chart_png(BRANDS, "", days=empty) == digests.chart_png(BRANDS, "")


def released(db: Database, period: str, since: datetime, due: datetime) -> dict[str, Any]:
    """The digest summary ``release_due`` queues, with the daemon's own chart."""
    held = {"hold_reason": "digest", "group_key": KEY, "hold_until": due}
    add(db, "a", due - timedelta(hours=30), **held)
    add(db, "b", due - timedelta(hours=3), severity="warning", **held)
    with db.writing() as session:
        grouping.release_due(
            session, due, chart=digests.chart_png, periods={KEY: period}, since={KEY: since}
        )
    with db.session() as session:
        [row] = [
            r
            for r in session.query(OutboxRow).filter(OutboxRow.target == DIRECTOR)
            if r.payload.get("kind") == "summary"
        ]
        return dict(row.payload)


def test_release_draws_the_weeks_days_for_a_weekly_digest(db: Database) -> None:
    due = local(PARIS, 2026, 11, 23, 8, 30)
    payload = released(db, "weekly", digests.period_start(WEEKLY, due, PARIS), due)
    assert payload["summary"]["chart"] == "days"
    assert size_of(base64.b64decode(payload["chart"])) == (600, 260)


def test_release_keeps_the_brands_chart_for_a_daily_digest(db: Database) -> None:
    """A guard on the chart, new on the summary: a daily digest is charted by brand."""
    due = local(PARIS, 2026, 11, 23, 8, 30)
    payload = released(db, "daily", due - timedelta(days=1), due)
    assert payload["summary"]["chart"] == "brands" and "days" not in payload["summary"]
    assert size_of(base64.b64decode(payload["chart"]))[1] < 260


# ------------------------------------------------------- the digest's morning
MORNING_FR = "lun. 4    ███ 2 (dont 🚨 1, avant 08:30)"


def test_the_digests_morning_is_its_own_day_not_sunday() -> None:
    assert digest_text.week_lines(week(), "fr") == [*FRENCH, MORNING_FR]
    assert digest_text.week_lines(week(), "en")[-1] == "Mon 4   ███ 2 (incl. 🚨 1, before 08:30)"


def test_a_quiet_morning_shows_no_eighth_day() -> None:
    """Nothing before 08:30: the usual Monday-to-Sunday week."""
    days = [*week()["days"][:7], dict(MORNING, count=0, critical=0, info=0)]
    assert digest_text.week_lines(week(days=days), "fr") == FRENCH


def test_an_older_payload_still_shows_its_seven_days() -> None:
    """A guard: queued before the upgrade (7 days, no warning/info), it reads as before."""
    assert digest_text.week_lines(new_year(), "fr") == FRENCH


# ------------------------------------------------------------------ the HTML
def with_chart(summary: dict[str, Any], kind: str) -> Any:
    n = digest(summary | {"chart": kind})
    png = digests.chart_png(summary["by_brand"], "", days=summary["days"])
    n.extra["chart"] = base64.b64encode(png).decode("ascii")
    return n


def test_the_weeks_chart_takes_the_place_of_the_days_table() -> None:
    """One image, under "Mentions par jour", whose alt gives each day's count;
    the table said the same again below it, a phone's screen further down."""
    _, text, page = digest_email(with_chart(week(), "days"), "fr", "Europe/Paris")
    assert "<table" not in page
    days = (
        "lun. 28 3, mar. 29 0, mer. 30 12 (dont 🚨 2), jeu. 31 1, ven. 1er 0, sam. 2 4, "
        "dim. 3 2, lun. 4 2 (dont 🚨 1, avant 08:30)"
    )
    assert (
        f"<p style='margin:0 0 6px 0'><strong>Mentions par jour{NBSP}:</strong></p>"
        f"<p style='margin:0 0 6px 0'><img src=\"cid:chart@watchtower\" "
        f'alt="Mentions par jour{NBSP}: {days}" width="600" '
        'style="display:block;width:100%;max-width:600px;height:auto;border:0"></p>'
        "<h3 "
    ) in page
    assert page.count("<img ") == 1
    # The text part keeps its bars: it has no image.
    assert "\n".join([*FRENCH, MORNING_FR]) in text


def test_the_english_alt() -> None:
    _, _, page = digest_email(with_chart(week(), "days"), "en", "Europe/Paris")
    [alt] = re.findall(r'alt="([^"]*)"', page)
    assert html.unescape(alt).startswith("Mentions per day: Mon 28 3, Tue 29 0, Wed 30 12 (incl.")


def test_an_older_weekly_payloads_chart_is_still_the_brands() -> None:
    """A guard: queued before the upgrade, its chart is per brand: named so, and the table stays."""
    n = digest(new_year())
    n.extra["chart"] = base64.b64encode(digests.chart_png(BRANDS, "")).decode("ascii")
    _, _, page = digest_email(n, "fr", "Europe/Paris")
    assert f'alt="Mentions par marque{NBSP}: Acmé 20"' in page and "<table" in page


@pytest.mark.parametrize(
    ("day", "row"),
    [
        (
            2,
            "<tr><td style='text-align:left;vertical-align:top;padding:0 12px 2px 0;"
            "white-space:nowrap'>mer. 30</td><td style='vertical-align:top;padding:0 0 2px 0'>"
            "<span style='white-space:nowrap'><span aria-hidden='true'>████████████████████"
            "</span> 12</span> (dont 🚨 2)</td></tr>",
        ),
        (
            1,
            "<tr><td style='text-align:left;vertical-align:top;padding:0 12px 2px 0;"
            "white-space:nowrap'>mar. 29</td><td style='vertical-align:top;padding:0 0 2px 0'>"
            "<span style='white-space:nowrap'>0</span></td></tr>",
        ),
    ],
)
def test_without_a_chart_a_bar_stays_on_one_line_and_is_not_read_aloud(day: int, row: str) -> None:
    """The page's ``overflow-wrap:anywhere`` let a narrow phone cut a bar in two
    (read as two bars), and VoiceOver read "plein bloc" twenty times."""
    _, _, page = digest_email(digest(new_year()), "fr", "Europe/Paris")
    rows = re.findall(r"<tr>.*?</tr>", page)
    assert rows[day] == row
    assert len(rows) == 7


def test_the_scheduled_digests_of_critical_alerts_only_keep_the_table() -> None:
    """A guard: a [[digests]] digest with nothing held has no chart; its days
    (the crises) are the table."""
    summary = new_year(count=0)
    _, _, page = digest_email(digest(summary), "fr", "Europe/Paris")
    assert "<img" not in page and page.count("<tr>") == 7
