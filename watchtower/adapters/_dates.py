"""Dates as feeds, APIs and e-mails write them: RFC 822 and ISO 8601, leniently.

A date that cannot be read is ``None``, never an error: an item without a date
is still worth matching. Results are always timezone-aware (UTC when the text
names no zone).
"""

from __future__ import annotations

import email.utils
import functools
import re
from datetime import UTC, datetime, timedelta, timezone

__all__ = ["parse_date"]

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
        if len(text) not in (5, 6) or not text[1:3].isdigit():
            return None
        digits = text[1:].replace(":", "")
        minutes = int(digits[:2]) * 60 + int(digits[2:])
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


def parse_date(text: str | None) -> datetime | None:
    """Read an RFC 822 (``Wed, 6 Apr 2022 21:07:47 +0000``) or ISO 8601 date.

    ``None`` when the text is empty or not a date.
    """
    if not text:
        return None
    text = text.strip()
    if not text:
        return None
    if text[0].isdigit() and len(text) >= 10 and text[4] == "-":
        try:
            when = datetime.fromisoformat(text.replace(" ", "T", 1) if text[10:11] == " " else text)
        except ValueError:
            when = None
        if when is not None:
            return when if when.tzinfo is not None else when.replace(tzinfo=UTC)
    when = _rfc822_common(text) or _rfc822(text)
    if when is not None:
        return when
    try:
        when = email.utils.parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError):
        return None
    return when if when.tzinfo is not None else when.replace(tzinfo=UTC)
