"""The fast path for the common RFC 822 layout reads exactly what the general one reads.

``_dates._rfc822_common`` skips :data:`_dates._RFC822` for ``Wed, 25 Nov 2026
14:32:00 +0000`` and its close variants; whatever it returns a value for, the
general reader must return the same instant at the same offset. Texts are
generated from pieces, most of them valid, many of them just outside the
layout (odd spacing, zones, out-of-range fields, two-digit years, missing
seconds, lowercase months, French months, 12-hour clocks).
"""

from __future__ import annotations

import random
from datetime import datetime

from watchtower.adapters import _dates
from watchtower.adapters._dates import parse_date

_DAY_NAMES = [
    "Wed,",
    "wed,",
    "WED,",
    "Wed",
    "Wed.,",
    "Wed.",
    "Mercredi,",
    "jeu.",
    "1,",
    ",",
    "Wed,,",
]
_DAYS = ["25", "5", "05", "0", "00", "31", "32", "99", "025", "٢٥"]
_MONTHS = [
    "Nov", "nov", "NOV", "November", "Nov.", "nov.", "Sept", "sept.", "juin", "mai", "Déc",
    "fevr.", "Janvier", "Mayo", "Xyz", "Nov1", "Nov,", "No", "Novembernovember", "Feb", "Jun",
]  # fmt: skip
_YEARS = [
    "2026", "26", "49", "50", "70", "99", "0026", "026", "1969", "1970", "2099", "2100",
    "20266", "2", "２０２６",
]  # fmt: skip
_CLOCKS = [
    "14:32:00", "14:32", "02:32:00", "2:32:00", "00:00:00", "23:59:59", "24:00:00", "14:60:00",
    "14:32:60", "14.32.00", "14:32.00", "14x32x00", "+1:32:00", "14:32:00.5", "14:32:00PM",
    "02:32:00 PM", "02:32:00 AM", "12:05 am",
]  # fmt: skip
_ZONES = [
    "+0000", "-0500", "+0100", "+0530", "-1200", "+2359", "+2400", "+9999", "+01:00", "+0:100",
    "+01", "+01!0", "GMT", "gmt", "UT", "UTC", "Z", "z", "EST", "edt", "CET", "CEST", "BST",
    "HNE", "PM", "AM", "XYZ", "MEZ", "Europe/Paris", "GMT+1", "UTC-05:00", "(CET)",
    "+0100 (CET)", "+0100 CET", "+0100 EST", "-0500 EST", "America/New_York",
]  # fmt: skip
_SPACES = [" ", " ", " ", " ", "  ", "\t", " \n "]


def _general(text: str) -> datetime | None:
    """parse_date without the fast path."""
    return _dates._rfc822(text) or _dates._month_first(text)


def _same(a: datetime | None, b: datetime | None) -> bool:
    # Equal instants at the same offset (aware datetimes compare as instants).
    if a is None or b is None:
        return a is b
    return a == b and a.utcoffset() == b.utcoffset() and type(a.tzinfo) is type(b.tzinfo)


def _texts(count: int, seed: int) -> list[str]:
    rng = random.Random(seed)
    out = []
    for _ in range(count):
        pieces = [
            rng.choice(_DAY_NAMES),
            rng.choice(_DAYS),
            rng.choice(_MONTHS),
            rng.choice(_YEARS),
            rng.choice(_CLOCKS),
            rng.choice(_ZONES),
        ]
        # Mostly valid pieces: draw the canonical one often.
        for at, canonical in enumerate(("Wed,", "25", "Nov", "2026", "14:32:00", "+0000")):
            if rng.random() < 0.7:
                pieces[at] = canonical
        text = pieces[0]
        for piece in pieces[1:]:
            text += rng.choice(_SPACES) + piece
        out.append(text)
    return out


def test_the_fast_path_reads_what_the_general_path_reads() -> None:
    taken = 0
    for text in _texts(20_000, seed=6):
        fast = _dates._rfc822_common(text)
        if fast is not None:
            taken += 1
            assert _same(fast, _general(text)), text
        assert _same(parse_date(text), _dates.plausible(_general(text))), text
    # The generator does exercise the fast path, and not only on a few texts.
    assert taken > 1_000


def test_every_field_combination_of_the_common_layout_is_read_fast() -> None:
    rng = random.Random(7)
    months = [
        "Jan", "feb", "MAR", "Apr.", "May", "June", "Jul", "August", "sep", "Oct", "nov", "Dec",
    ]  # fmt: skip
    zones = ["+0000", "-0000", "+0100", "-0930", "GMT", "UT", "Z", "EST", "PDT", "CEST", "JST"]
    for _ in range(5_000):
        clock = f"{rng.randrange(24):02d}:{rng.randrange(60):02d}"
        if rng.random() < 0.7:
            clock += f":{rng.randrange(60):02d}"
        year = str(rng.randrange(1971, 2099))
        if rng.random() < 0.2:
            year = year[2:]
        day = str(rng.randrange(1, 29))
        if rng.random() < 0.5:
            day = day.zfill(2)
        text = f"Sun, {day} {rng.choice(months)} {year} {clock} {rng.choice(zones)}"
        fast = _dates._rfc822_common(text)
        assert fast is not None, text  # taken for the common layout
        assert _same(fast, _general(text)), text
        assert _same(parse_date(text), _dates.plausible(fast)), text


def test_out_of_range_fields_are_none_on_both_paths() -> None:
    for text in (
        "Wed, 31 Nov 2026 14:32:00 +0000",
        "Wed, 25 Nov 2026 24:00:00 +0000",
        "Wed, 25 Nov 2026 14:60:00 +0000",
        "Wed, 25 Nov 2026 14:32:00 +9999",
        "Wed, 00 Nov 2026 14:32:00 +0000",
    ):
        assert _dates._rfc822_common(text) is None
        assert _general(text) is None


def test_texts_outside_the_layout_are_left_to_the_general_path() -> None:
    # Each of these once read differently on the fast path (or would have).
    for text in (
        "Wed, 25 Nov 026 14:32:00 +0000",  # RFC 2822's three-digit year
        "Wed, 25 Nov 2026 14:32:00 +0:100",  # not an offset _RFC822 reads
        "1, 25 Nov 2026 14:32:00 +0000",  # not a day name
        "Wed, 025 Nov 2026 14:32:00 +0000",  # three-digit day
        "Wed, 25 Nov 2026 14x32x00 +0000",  # not a clock
        "Wed, 25 Nov, 2026 14:32:00 +0000",
        "Wed, 25 Nov 2026 02:32:00 PM",  # a 12-hour clock, no zone
    ):
        fast = _dates._rfc822_common(text)
        assert fast is None or _same(fast, _general(text)), text
    # A year written with four digits is that year, on both paths: 0001 is a placeholder.
    for text in ("Mon, 01 Jan 0001 00:30:00 +0100", "01 Jan 0001 00:30:00 +0100"):
        assert _general(text) == datetime.fromisoformat("0001-01-01T00:30:00+01:00")
        assert parse_date(text) is None
    assert parse_date("Wed, 25 Nov 2026 14:32:00 +0:100") is None
