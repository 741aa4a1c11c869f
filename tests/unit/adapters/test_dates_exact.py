"""``parse_date`` reads a date exactly, or not at all.

Its last resort used to be ``email.utils.parsedate_to_datetime``, which keeps
the first five words of a date and reads an unknown zone as UTC: "2:32:00 PM
+0100" was 02:32 UTC (eleven hours early), Java's "14:32:00 CET 2026" lost its
zone, "GMT+1" and "Europe/Paris" were UTC. French month names ("Déc", "févr.",
"Juil") were not read. Each form below is one row; "unread is better than
wrong" rows expect ``None``.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from watchtower.adapters._dates import parse_date

PARIS_WINTER = timezone(timedelta(hours=1))
PARIS_SUMMER = timezone(timedelta(hours=2))
INSTANT = datetime(2026, 11, 25, 13, 32, tzinfo=UTC)  # 14:32 in Paris


@pytest.mark.parametrize(
    "text",
    [
        # 12-hour clocks (.NET, US English CMSs)
        "Wed, 25 Nov 2026 2:32:00 PM +0100",
        "Wed, 25 Nov 2026 2:32 pm +0100",
        "Wed, 25 Nov 2026 02:32:00 p.m. +01:00",
        "Nov 25, 2026 2:32:00 PM +0100",
        # Java's Date.toString(), asctime with a zone
        "Wed Nov 25 14:32:00 CET 2026",
        "Wed Nov 25 14:32:00 GMT+01:00 2026",
        # JavaScript's Date.toString()
        "Wed Nov 25 2026 14:32:00 GMT+0100 (Central European Standard Time)",
        "Wed Nov 25 2026 14:32:00 GMT+0100 (heure normale d’Europe centrale)",
        # zones written after GMT/UTC, IANA names, comments, a name after an offset
        "Wed, 25 Nov 2026 14:32:00 GMT+1",
        "Wed, 25 Nov 2026 14:32:00 UTC+01:00",
        "Wed, 25 Nov 2026 08:32:00 UTC-5",
        "Wed, 25 Nov 2026 14:32:00 Europe/Paris",
        "Wed, 25 Nov 2026 10:32:00 America/Argentina/Buenos_Aires",
        "Wed, 25 Nov 2026 14:32:00 +0100 (CET)",
        "Wed, 25 Nov 2026 14:32:00 (CET)",
        "Wed, 25 Nov 2026 14:32:00 +0100 CET",
        "Wed, 25 Nov 2026 14:32:00 +0100 MEZ",  # a name we do not know: the offset says it
        # named zones
        "Wed, 25 Nov 2026 14:32:00 CET",
        "Wed, 25 Nov 2026 14:32:00 MET",
        "Wed, 25 Nov 2026 15:32:00 EET",
        "Wed, 25 Nov 2026 08:32:00 EST",
        "Wed, 25 Nov 2026 08:32:00 HNE",
        "Wed, 25 Nov 2026 22:32:00 JST",
        "Wed, 25 Nov 2026 13:32:00 GMT",
        "Wed, 25 Nov 2026 13:32:00 Z",
        # shapes email.utils read, still read
        "Wed, 25 Nov 2026 13:32:00 +0000 (UTC)",
        "25 Nov 2026, 14:32:00 +0100",
        "Wed, 25 Nov 2026 14.32.00 +0100",
        "Wednesday, 25-Nov-26 13:32:00 GMT",
        "Nov 25, 26 14:32 +0100",
        "Wed,Nov 25, 2026 14:32 +0100",
    ],
)
def test_the_same_instant_in_every_form(text: str) -> None:
    assert parse_date(text) == INSTANT


def test_ambiguous_summer_zone_name_is_read_as_written() -> None:
    # BST is British Summer Time, IST India's (as feeds that write them mean them).
    assert parse_date("Wed, 24 Jun 2026 14:32:00 BST") == datetime(2026, 6, 24, 13, 32, tzinfo=UTC)
    assert parse_date("Wed, 25 Nov 2026 19:02:00 IST") == INSTANT


@pytest.mark.parametrize(
    "text",
    [
        "Wed, 25 Nov 2026 14:32:00 PM +0100",  # a 12-hour clock past 12
        "Wed, 25 Nov 2026 0:32:00 AM +0100",
        "Wed, 25 Nov 2026 14:32:00 +0100 EST",  # the offset and the name disagree
        "Wed, 25 Nov 2026 14:32:00 HNEC",  # a zone we do not know
        "Wed, 25 Nov 2026 14:32:00 heure de Paris",
        "Wed, 25 Nov 2026 14:32:00 (heure de Paris)",
        "Wed, 25 Nov 2026 14:32:00 Nowhere/Atlantis",
        "Wed, 25 Nov 2026 14:32:00 ../../etc/passwd",
        "Wed, 25 Nov 2026 14:32:00 A",  # military letters: RFC 1123 says their signs are wrong
        "Wed, 25 Nov 2026 14:32:00 ET",  # -5 or -4 by season
        "Wed, 25 Nov 2026 14:32:00 +01!0",  # a damaged offset
        "Wed, 25 Nov 2026 14:32:00 +1",
        "Wed, 25 Nov 2026 14:32:00 +0100 +0100",
        "Sun, 25 Oct 2026 02:30:00 Europe/Paris",  # happens twice that night
        "Sun, 29 Mar 2026 02:30:00 Europe/Paris",  # never happens
        "Wed Nov 25 14:32:00 CET",  # no year
        "Wed Nov 25 2026 14:32:00 CET 2027",  # two years
        "Jeu, 17 Jui 2026 10:00:00 +0100",  # juin or juillet?
    ],
)
def test_a_date_not_read_exactly_is_none(text: str) -> None:
    assert parse_date(text) is None


@pytest.mark.parametrize(
    ("text", "instant"),
    [
        ("Jeu, 17 Déc 2026 10:00:00 +0100", datetime(2026, 12, 17, 10, tzinfo=PARIS_WINTER)),
        ("jeu., 17 déc. 2026 10:00:00 +0100", datetime(2026, 12, 17, 10, tzinfo=PARIS_WINTER)),
        ("Jeu, 17 DEC 2026 10:00:00 +0100", datetime(2026, 12, 17, 10, tzinfo=PARIS_WINTER)),
        ("Jeu, 15 janv. 2026 10:00:00 +0100", datetime(2026, 1, 15, 10, tzinfo=PARIS_WINTER)),
        ("Mer, 25 févr. 2026 10:00:00 +0100", datetime(2026, 2, 25, 10, tzinfo=PARIS_WINTER)),
        ("Mer, 25 Fév 2026 10:00:00 +0100", datetime(2026, 2, 25, 10, tzinfo=PARIS_WINTER)),
        ("Mer, 25 mars 2026 10:00:00 +0100", datetime(2026, 3, 25, 10, tzinfo=PARIS_WINTER)),
        ("Ven, 03 Avr 2026 10:00:00 +0200", datetime(2026, 4, 3, 10, tzinfo=PARIS_SUMMER)),
        ("Ven, 03 avril 2026 10:00:00 +0200", datetime(2026, 4, 3, 10, tzinfo=PARIS_SUMMER)),
        ("Lun, 04 Mai 2026 10:00:00 +0200", datetime(2026, 5, 4, 10, tzinfo=PARIS_SUMMER)),
        ("Jeu, 04 Juin 2026 10:00:00 +0200", datetime(2026, 6, 4, 10, tzinfo=PARIS_SUMMER)),
        ("Ven, 03 Juil 2026 10:00:00 +0200", datetime(2026, 7, 3, 10, tzinfo=PARIS_SUMMER)),
        ("Ven, 03 juil. 2026 10:00:00 +0200", datetime(2026, 7, 3, 10, tzinfo=PARIS_SUMMER)),
        ("Sam, 01 Aoû 2026 10:00:00 +0200", datetime(2026, 8, 1, 10, tzinfo=PARIS_SUMMER)),
        ("Sam, 01 août 2026 10:00:00 +0200", datetime(2026, 8, 1, 10, tzinfo=PARIS_SUMMER)),
        ("Mar, 01 sept. 2026 10:00:00 +0200", datetime(2026, 9, 1, 10, tzinfo=PARIS_SUMMER)),
        ("Jeu, 01 oct. 2026 10:00:00 +0200", datetime(2026, 10, 1, 10, tzinfo=PARIS_SUMMER)),
        ("Mer, 25 nov. 2026 10:00:00 +0100", datetime(2026, 11, 25, 10, tzinfo=PARIS_WINTER)),
        (
            "mercredi 25 novembre 2026 10:00:00 +0100",
            datetime(2026, 11, 25, 10, tzinfo=PARIS_WINTER),
        ),
        ("25 décembre 2026", datetime(2026, 12, 25, tzinfo=UTC)),  # a date alone: UTC midnight
    ],
)
def test_french_month_names(text: str, instant: datetime) -> None:
    assert parse_date(text) == instant


@pytest.mark.parametrize(
    ("text", "instant"),
    [
        ("Wed Nov 25 14:32:00 2026", datetime(2026, 11, 25, 14, 32, tzinfo=UTC)),  # asctime
        ("Nov 25, 2026", datetime(2026, 11, 25, tzinfo=UTC)),
        ("November 25th, 2026 12:05 AM", datetime(2026, 11, 25, 0, 5, tzinfo=UTC)),
        ("Wed, 25 Nov 2026 12:05 PM GMT", datetime(2026, 11, 25, 12, 5, tzinfo=UTC)),
        ("Wed, 25 Nov 2026 14:32:00 Etc/GMT-1", INSTANT),  # POSIX signs, as IANA defines them
    ],
)
def test_other_forms(text: str, instant: datetime) -> None:
    assert parse_date(text) == instant


def test_results_are_at_a_fixed_offset() -> None:
    # An IANA zone is settled to its offset: the stable hash of an entry without a
    # guid uses isoformat(), and the database stores a plain offset.
    when = parse_date("Wed, 24 Jun 2026 14:32:00 Europe/Paris")
    assert when is not None
    assert when.tzinfo == PARIS_SUMMER
    assert when.isoformat() == "2026-06-24T14:32:00+02:00"
