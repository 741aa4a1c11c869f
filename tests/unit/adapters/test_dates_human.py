"""parse_human_date: dates as French and English web pages write them.

The fetch time is fixed: Wednesday 25 November 2026, 15:00 in Paris (14:00 UTC).
A date without a time is midnight UTC of that day (notifications show it as a
date alone); a time without a zone is the site's (here Paris).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from watchtower.adapters._dates import parse_date, parse_human_date

PARIS = ZoneInfo("Europe/Paris")
NOW = datetime(2026, 11, 25, 14, 0, tzinfo=UTC)


def paris(*args: int) -> datetime:
    return datetime(*args, tzinfo=PARIS)  # type: ignore[misc]


def day(y: int, m: int, d: int) -> datetime:
    return datetime(y, m, d, tzinfo=UTC)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # French, absolute
        ("25 novembre 2026", day(2026, 11, 25)),
        ("25 nov. 2026 à 14h32", paris(2026, 11, 25, 14, 32)),
        ("mercredi 25 novembre 2026, 14:32", paris(2026, 11, 25, 14, 32)),
        ("le 25/11/2026", day(2026, 11, 25)),
        ("25.11.2026", day(2026, 11, 25)),
        ("25-11-2026 14:32", paris(2026, 11, 25, 14, 32)),
        ("25/11/2026 à 8h05", paris(2026, 11, 25, 8, 5)),
        ("24/11/26", day(2026, 11, 24)),
        ("Publié le 25 novembre 2026 à 8h05", paris(2026, 11, 25, 8, 5)),
        ("Le 25 novembre 2026 à 8h", paris(2026, 11, 25, 8, 0)),
        ("3 sept. 2025 à 10 h 05", paris(2025, 9, 3, 10, 5)),
        ("lun. 3 févr. 2025 09:15", paris(2025, 2, 3, 9, 15)),
        ("3 août 2025", day(2025, 8, 3)),
        ("1er décembre", day(2025, 12, 1)),  # no year: the last 1 December before now
        ("Par Jean Dupont, le 3 août 2025 à 10 h 05", paris(2025, 8, 3, 10, 5)),
        # the publication, not the update after it
        (
            "Publié le 25/11/2026 à 14h32 - Mis à jour le 26/11/2026 à 9h",
            paris(2026, 11, 25, 14, 32),
        ),
        ("Actualités | 24 nov. 2026", day(2026, 11, 24)),
        ("25\xa0nov.\xa02026", day(2026, 11, 25)),
        # French, relative to the fetch
        ("Mis à jour il y a 3 heures", paris(2026, 11, 25, 12, 0)),
        ("il y a 5 min", paris(2026, 11, 25, 14, 55)),
        ("hier à 18:40", paris(2026, 11, 24, 18, 40)),
        ("hier", day(2026, 11, 24)),
        ("avant-hier", day(2026, 11, 23)),
        ("aujourd'hui", day(2026, 11, 25)),
        ("aujourd’hui", day(2026, 11, 25)),
        ("il y a 2 j", day(2026, 11, 23)),
        ("à l'instant", NOW),
        ("14h32", paris(2026, 11, 25, 14, 32)),  # a time alone: today…
        ("16h10", paris(2026, 11, 24, 16, 10)),  # …or yesterday when today's is ahead
        # English
        ("Nov 25, 2026", day(2026, 11, 25)),
        ("Sep 3, 2025 at 4:05 PM", paris(2025, 9, 3, 16, 5)),
        ("3 hours ago", paris(2026, 11, 25, 12, 0)),
        ("Posted 3 hours ago", paris(2026, 11, 25, 12, 0)),
        ("yesterday", day(2026, 11, 24)),
        ("Updated Nov 24, 2026", day(2026, 11, 24)),
        ("11/25/2026", day(2026, 11, 25)),  # the day cannot be 25/…: month first
        # machine forms: a time without a zone is the site's, a date alone stays UTC
        ("2026-11-25T14:32", paris(2026, 11, 25, 14, 32)),
        ("2026-11-25 14:32:00", paris(2026, 11, 25, 14, 32)),
        ("2026-11-25", day(2026, 11, 25)),
        ("2026-11-25T14:32:00Z", datetime(2026, 11, 25, 14, 32, tzinfo=UTC)),
        ("25 Nov 2026 14:32", paris(2026, 11, 25, 14, 32)),
        ("Wed, 25 Nov 2026 14:32:00 +0000", datetime(2026, 11, 25, 14, 32, tzinfo=UTC)),
        ("25 novembre 2026 14:32 UTC", datetime(2026, 11, 25, 14, 32, tzinfo=UTC)),
        ("1764072000", datetime(2025, 11, 25, 12, 0, tzinfo=UTC)),  # data-timestamp
        # not a publication date
        ("demain", None),
        ("dans 3 jours", None),
        ("in 2 days", None),
        ("03/12/26", None),  # 3 December 2026: ahead of the fetch
        ("Mars", None),  # a month alone: which day?
        ("2026", None),
        ("5", None),
        ("12 commentaires", None),
        ("Lire la suite", None),
        ("31/02/2026", None),
        ("1 janv. 1970", None),  # outside 1970–2100, as for feeds
        ("il y a 99999999999 heures", None),
        ("", None),
        ("   ", None),
        ("25 novembre 2026 " + "x" * 200, None),
    ],
)
def test_human_dates(text: str, expected: datetime | None) -> None:
    assert parse_human_date(text, now=NOW, zone=PARIS) == expected


def test_the_zone_of_a_naive_time_is_the_given_one() -> None:
    tokyo = ZoneInfo("Asia/Tokyo")
    assert parse_human_date("25/11/2026 à 8h05", now=NOW, zone=tokyo) == datetime(
        2026, 11, 24, 23, 5, tzinfo=UTC
    )
    # "hier" is the day before in Tokyo, where it is already 23:00 on the 25th.
    late = datetime(2026, 11, 25, 14, 0, tzinfo=UTC)
    assert parse_human_date("hier", now=late, zone=tokyo) == day(2026, 11, 24)
    assert parse_human_date("hier", now=late, zone=ZoneInfo("Pacific/Kiritimati")) == day(
        2026, 11, 25
    )


def test_summer_time_is_the_site_zone_of_that_day() -> None:
    assert parse_human_date("3 août 2025 à 10h05", now=NOW, zone=PARIS) == datetime(
        2025, 8, 3, 8, 5, tzinfo=UTC
    )
    offset = parse_human_date("3 août 2025 à 10h05", now=NOW, zone=PARIS)
    assert offset is not None and offset.utcoffset() == timedelta(hours=2)


def test_without_the_fetch_time_only_dates_with_a_year_are_read() -> None:
    assert parse_human_date("25 nov. 2026 à 14h32", now=None, zone=PARIS) == paris(
        2026, 11, 25, 14, 32
    )
    for text in ("il y a 3 heures", "hier", "1er décembre", "14h32", "à l'instant"):
        assert parse_human_date(text, now=None, zone=PARIS) is None, text


def test_relative_dates_follow_the_fetch_time() -> None:
    later = NOW + timedelta(days=1)
    assert parse_human_date("il y a 3 heures", now=later, zone=PARIS) == paris(2026, 11, 26, 12, 0)


def test_feeds_keep_the_fast_strict_reader() -> None:
    # parse_date (feeds, APIs, e-mail, review identities) is unchanged: no words,
    # and a naive time is UTC as before.
    assert parse_date("hier à 18:40") is None
    assert parse_date("il y a 3 heures") is None
    assert parse_date("25 Nov 2026 14:32") == datetime(2026, 11, 25, 14, 32, tzinfo=UTC)
    assert parse_date("2026-11-25T14:32") == datetime(2026, 11, 25, 14, 32, tzinfo=UTC)


@given(st.text(max_size=80))
@settings(max_examples=300, deadline=None)
def test_human_dates_never_raise(text: str) -> None:
    value = parse_human_date(text, now=NOW, zone=PARIS)
    assert value is None or (
        value.tzinfo is not None and value <= NOW + timedelta(days=1) and value.year >= 1970
    )


_WORDS = st.sampled_from(
    [
        "il y a", "hier", "à", "le", "Publié", "mis à jour", "nov.", "novembre", "1er", "h",
        "14h32", "25", "2026", "99999", "0", "/", ".", ",", "ago", "hours", "yesterday",
        "dans", "semaines", "ans", "lundi", "UTC", "+0200", "-", ":", "|",
    ]
)  # fmt: skip


@given(st.lists(_WORDS, max_size=10).map(" ".join))
@settings(max_examples=300, deadline=None)
def test_date_like_garbage_never_raises(text: str) -> None:
    value = parse_human_date(text, now=NOW, zone=timezone(timedelta(hours=-3)))
    assert value is None or value.tzinfo is not None
