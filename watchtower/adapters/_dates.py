"""Dates as feeds, APIs and e-mails write them: RFC 822 and ISO 8601, leniently.

A date that cannot be read is ``None``, never an error: an item without a date
is still worth matching. Results are always timezone-aware (UTC when the text
names no zone).

A date not after 1970-01-01T00:00Z (:data:`EARLIEST`) or not before
2100-01-01T00:00Z (:data:`LATEST`) is ``None`` too. Nothing was published
then, but feeds write placeholders (0001-01-01, 9999-12-31, the Unix epoch of
an unset timestamp) and typos; and a date at the edge of Python's range can be
neither stored (SQLite converts it to UTC, which overflows: the source's whole
batch fails) nor shown in the reader's time zone (which overflows at every
render: the alert is never sent). The item is kept, undated. The window is
fixed, not relative to today, so that parsing stays pure: the stable hash of
an item without guid (``_feed_items``) and a review's identity
(``_review_ids``) include the date, and must not change as time passes.
"""

from __future__ import annotations

import email.utils
import functools
import re
from datetime import UTC, datetime, timedelta, timezone

__all__ = ["EARLIEST", "LATEST", "parse_date", "plausible"]

#: :func:`parse_date` returns only instants after this one (the Unix epoch, what
#: a feed writes for an unset timestamp) ...
EARLIEST = datetime(1970, 1, 1, tzinfo=UTC)
#: ... and before this one.
LATEST = datetime(2100, 1, 1, tzinfo=UTC)
# Any year strictly between these holds only instants inside the window, whatever
# the offset (under a day): parse_date checks the year (written as literals: a
# few ns) and compares datetimes, slow across zones (~400 ns), only at the edges.
_SAFE_AFTER, _SAFE_BEFORE = EARLIEST.year, LATEST.year - 1  # 1970, 2099
# A UTC offset is less than a day (datetime.timezone refuses the rest).
_MAX_OFFSET_MINUTES = 24 * 60 - 1
# The longest date worth reading, spaces collapsed ("Wednesday, 28 September 2022
# 21:07:47.123456 +0000 (UTC)" is 57). Longer text is not a date; and bounding it
# bounds _RFC822's backtracking over runs of spaces, quadratic in their length.
_MAX_LENGTH = 100

_MONTHS = {
    m: i
    for i, m in enumerate(
        ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"), 1
    )
}
# Named zones still seen in RSS (RFC 822 lists the US ones; CET/CEST appear in European feeds).
_ZONES = {
    "": 0, "z": 0, "ut": 0, "utc": 0, "gmt": 0,
    "est": -5, "edt": -4, "cst": -6, "cdt": -5, "mst": -7, "mdt": -6, "pst": -8, "pdt": -7,
    "cet": 1, "cest": 2, "met": 1, "mest": 2, "bst": 1, "ist": 5.5, "jst": 9,
}  # fmt: skip
_RFC822 = re.compile(
    r"\s*(?:[A-Za-z]+,?\s*)?(\d{1,2})[\s-]+([A-Za-z]{3})[A-Za-z]*\.?[\s-]+(\d{2,4})"
    r"(?:[\sT]+(\d{1,2}):(\d{2})(?::(\d{2}))?(?:\.\d+)?)?\s*([+-]\d{2}:?\d{2}|[A-Za-z]{1,5})?\s*$"
)


@functools.lru_cache(maxsize=256)
def _zone(text: str | None) -> timezone | None:
    if text is None:
        return UTC
    if text[0] in "+-":
        digits = text[1:].replace(":", "", 1) if len(text) == 6 else text[1:]
        if len(digits) != 4 or not digits.isascii() or not digits.isdigit():
            return None  # "+01!0", "+0１00": not an offset
        minutes = int(digits[:2]) * 60 + int(digits[2:])
        if minutes > _MAX_OFFSET_MINUTES:  # "+9999": not a zone
            return None
        return timezone(timedelta(minutes=minutes if text[0] == "+" else -minutes))
    hours = _ZONES.get(text.lower())
    return None if hours is None else timezone(timedelta(hours=hours))


def _rfc822_common(text: str) -> datetime | None:
    """The shape nearly every feed writes, ``Wed, 06 Apr 2022 21:07:47 +0000``, without regex."""
    parts = text.split()
    if len(parts) != 6 or len(parts[4]) != 8 or not parts[0].endswith(","):
        return None
    month = _MONTHS.get(parts[2][:3].lower())
    tz = _zone(parts[5])
    clock = parts[4]
    if month is None or tz is None or not (parts[1] + parts[3]).isdigit() or len(parts[3]) != 4:
        return None
    try:
        return datetime(
            int(parts[3]),
            month,
            int(parts[1]),
            int(clock[:2]),
            int(clock[3:5]),
            int(clock[6:]),
            tzinfo=tz,
        )
    except ValueError:
        return None


def _rfc822(text: str) -> datetime | None:
    match = _RFC822.match(text)
    if match is None:
        return None
    day, mon, year, hour, minute, second, zone = match.groups()
    month = _MONTHS.get(mon.lower())
    tz = _zone(zone)
    if month is None or tz is None:
        return None
    y = int(year)
    if y < 100:  # RFC 822 two-digit years: RFC 2822 §4.3
        y += 2000 if y < 50 else 1900
    try:
        return datetime(
            y, month, int(day), int(hour or 0), int(minute or 0), int(second or 0), tzinfo=tz
        )
    except ValueError:
        return None


def plausible(when: datetime | None) -> datetime | None:
    """``when`` if it lies strictly between :data:`EARLIEST` and :data:`LATEST`, else ``None``.

    ``when`` must be timezone-aware; the comparison never overflows, even for
    ``9999-12-31T23:30-05:00`` (whose UTC value does not exist).
    """
    if when is None or _SAFE_AFTER < when.year < _SAFE_BEFORE:
        return when
    return when if EARLIEST < when < LATEST else None


def parse_date(text: str | None) -> datetime | None:
    """Read an RFC 822 (``Wed, 6 Apr 2022 21:07:47 +0000``) or ISO 8601 date.

    ``None`` when the text is empty, not a date, or a date not strictly
    between :data:`EARLIEST` and :data:`LATEST` (see the module docstring).
    """
    if not text:
        return None
    text = text.strip()
    if not text:
        return None
    if len(text) > _MAX_LENGTH:
        text = " ".join(text.split())
        if len(text) > _MAX_LENGTH:
            return None
    if text[0].isdigit() and len(text) >= 10 and text[4] == "-":
        try:
            when = datetime.fromisoformat(text.replace(" ", "T", 1) if text[10:11] == " " else text)
        except ValueError:
            when = None
        if when is not None:
            if when.tzinfo is None:
                when = when.replace(tzinfo=UTC)
            return when if 1970 < when.year < 2099 else plausible(when)  # _SAFE_*
    when = _rfc822_common(text) or _rfc822(text)
    if when is not None:
        return when if 1970 < when.year < 2099 else plausible(when)
    try:
        when = email.utils.parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError, OverflowError):
        return None
    return plausible(when if when.tzinfo is not None else when.replace(tzinfo=UTC))
