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

A date is read exactly or not at all: a text that names a zone we do not know
("HNEC", a damaged "+01!0"), a 12-hour clock past 12, or words we cannot place
is ``None``, never the same clock time taken as UTC. An undated item is still
matched (and counts as news on a source's first poll: see
``pipeline.runner._is_news``), whereas a wrong instant is shown wrong and can
put an article on the wrong side of the first poll's backlog cut-off.
Readers, in order: ISO 8601; RFC 822 day first (``Wed, 25 Nov 2026 14:32:00
+0100``, with French month names, a 12-hour clock, a ``(CET)`` comment,
``GMT+1`` or an IANA zone such as ``Europe/Paris``); month first (asctime, Java's
``Wed Nov 25 14:32:00 CET 2026``, JavaScript's ``Wed Nov 25 2026 14:32:00
GMT+0100 (…)``, ``Nov 25, 2026 2:32 PM``).
"""

from __future__ import annotations

import functools
import re
import threading
from datetime import UTC, datetime, timedelta, timezone, tzinfo
from typing import Any
from zoneinfo import ZoneInfo

__all__ = ["EARLIEST", "LATEST", "parse_date", "parse_human_date", "plausible"]

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
# Month names written in full or as French sites write them (setlocale's %b: "janv.",
# "févr.", "juil.", "août"; older glibc "fév", "aoû"), lowercased, without accents or
# the final dot. "juin" and "juil" differ only after three letters, so French names
# are looked up whole; other names by their first three letters (English, as before).
_MONTH_NAMES = {
    **_MONTHS,
    **dict.fromkeys(("janv", "janvier", "january"), 1),
    **dict.fromkeys(("fev", "fevr", "fevrier", "february"), 2),
    **dict.fromkeys(("mars", "march"), 3),
    **dict.fromkeys(("avr", "avril", "april"), 4),
    "mai": 5,
    **dict.fromkeys(("juin", "june"), 6),
    **dict.fromkeys(("juil", "juillet", "july"), 7),
    **dict.fromkeys(("aou", "aout", "august"), 8),
    **dict.fromkeys(("sept", "septembre", "september"), 9),
    **dict.fromkeys(("octobre", "october"), 10),
    **dict.fromkeys(("novembre", "november"), 11),
    **dict.fromkeys(("decembre", "december"), 12),
}
_UNACCENTED = str.maketrans("éèêëûùüôöâàäîï", "eeeeuuuooaaaii")
# Named zones still seen in feeds and e-mails, as RFC 822 and feedparser read the
# US ones (CST is US Central, not China). A name with several common meanings
# is left out ("ET" is -5 or -4 by season; military letters other than Z, whose
# signs RFC 1123 says were printed wrong): the date is then None, not a guess.
# BST is British Summer Time and IST India's, as in most feeds that write them.
_ZONES = {
    "": 0, "z": 0, "ut": 0, "utc": 0, "gmt": 0,
    "est": -5, "edt": -4, "cst": -6, "cdt": -5, "mst": -7, "mdt": -6, "pst": -8, "pdt": -7,
    "ast": -4, "adt": -3, "nst": -3.5, "ndt": -2.5, "akst": -9, "akdt": -8, "hst": -10,
    "wet": 0, "west": 1, "bst": 1, "cet": 1, "cest": 2, "met": 1, "mest": 2, "eet": 2,
    "eest": 3, "msk": 3, "ist": 5.5, "hkt": 8, "sgt": 8, "awst": 8, "jst": 9, "kst": 9,
    "acst": 9.5, "acdt": 10.5, "aest": 10, "aedt": 11, "nzst": 12, "nzdt": 13,
    # French names (Québec, and French locales): heure normale / avancée de l'Est…
    "hne": -5, "hae": -4, "hnc": -6, "hac": -5, "hnr": -7, "har": -6, "hnp": -8, "hap": -7,
}  # fmt: skip
# "GMT+1", "UTC-05:00", "GMT+0100" (JavaScript, Java): the offset east of UTC, as
# written (not the POSIX "Etc/GMT+1", which an IANA name below reads correctly).
_NAMED_OFFSET = re.compile(r"(?:gmt|utc|ut)([+-])(?:(\d{2}):?(\d{2})|(\d{1,2}))", re.IGNORECASE)
# "Europe/Paris", "America/Argentina/Buenos_Aires".
_IANA = re.compile(r"[A-Za-z]+(?:/[A-Za-z0-9_+-]+){1,2}")
# The pieces of the readers below (re.IGNORECASE).
_DAY_NAME = r"[^\W\d_]+\.?,?"  # "Wed,", "Jeu.", "mercredi"
_MONTH_WORD = r"([^\W\d_]{3,9}\.?)"
_TIME = r"(\d{1,2})[:.](\d{2})(?:[:.](\d{2})(?:[.,]\d+)?)?(?:\s*([ap])\.?m\b\.?)?"
_ZONE = (
    r"([+-]\d{1,2}(?::?\d{2})?|(?:gmt|utc|ut)[+-][\d:]{1,5}"
    r"|[a-z]{1,5}|[a-z]+(?:/[a-z0-9_+-]+){1,2})"
)
# "+0100 CET": a name after an offset (it must agree), "+0100 (CET)": a comment.
_LABEL = r"(?:\s+([a-z]{2,5}))?"
_COMMENT = r"(?:\s*\(([^()]{1,64})\))?"
# Day first, RFC 822 and its variants: "Wed, 25 Nov 2026 2:32:00 PM +0100 (CET)".
_RFC822 = re.compile(
    rf"\s*(?:{_DAY_NAME}\s*)?(\d{{1,2}})[\s-]+{_MONTH_WORD}[\s-]+(\d{{2,4}})"
    rf"(?:,?[\sT]+{_TIME})?\s*{_ZONE}?{_LABEL}{_COMMENT}\s*$",
    re.IGNORECASE,
)
# Month first: asctime and Java ("Wed Nov 25 14:32:00 CET 2026"), JavaScript ("Wed
# Nov 25 2026 14:32:00 GMT+0100 (heure normale d’Europe centrale)"), "Nov 25, 2026
# 2:32 PM". The year comes before the time or after the zone.
_MONTH_FIRST = re.compile(
    rf"\s*(?:{_DAY_NAME}(?<=,)\s*|{_DAY_NAME}\s+)?{_MONTH_WORD}[\s-]+(\d{{1,2}})(?:st|nd|rd|th)?,?"
    rf"(?:\s+(\d{{4}}|\d{{2}}),?)?(?:[\sT]+{_TIME})?\s*{_ZONE}?{_LABEL}(?:\s+(\d{{4}}|\d{{2}}))?"
    rf"{_COMMENT}\s*$",
    re.IGNORECASE,
)


def _month(word: str) -> int | None:
    """The month a name means ("Nov", "nov.", "Déc", "févr.", "Juil", "August")."""
    name = word.lower().rstrip(".").translate(_UNACCENTED)
    return _MONTH_NAMES.get(name) or _MONTHS.get(name[:3])


@functools.lru_cache(maxsize=256)
def _zone(text: str | None) -> tzinfo | None:
    """The zone ``text`` names (UTC when ``None``), or ``None`` when it names none we know.

    A fixed offset, except for an IANA name: its offset depends on the date
    (:func:`_fixed` settles it).
    """
    if text is None:
        return UTC
    if text[0] in "+-":
        digits = text[1:].replace(":", "", 1) if len(text) == 6 else text[1:]
        if len(digits) != 4 or not digits.isascii() or not digits.isdigit():
            return None  # "+01!0", "+0１00": not an offset
        minutes = int(digits[:2]) * 60 + int(digits[2:])
        return _offset(text[0], minutes)
    named = _NAMED_OFFSET.fullmatch(text)
    if named is not None:
        sign, hh, mm, h = named.groups()
        return _offset(sign, int(hh or h) * 60 + int(mm or 0))
    hours = _ZONES.get(text.lower())
    if hours is not None:
        return timezone(timedelta(hours=hours))
    if _IANA.fullmatch(text):
        try:
            return ZoneInfo(text)
        except (ValueError, OSError, KeyError):  # unknown (KeyError), not a zone file
            return None
    return None


def _offset(sign: str, minutes: int) -> timezone | None:
    if minutes > _MAX_OFFSET_MINUTES:  # "+9999": not a zone
        return None
    return timezone(timedelta(minutes=minutes if sign == "+" else -minutes))


def _fixed(when: datetime) -> datetime | None:
    """``when`` at a fixed offset: an IANA zone's offset for that day and time, or
    ``None`` for a time the zone skips or repeats (the hour a clock changes)."""
    if type(when.tzinfo) is timezone:
        return when
    offset, other = when.utcoffset(), when.replace(fold=1).utcoffset()
    if offset is None or offset != other:
        return None
    return when.replace(tzinfo=timezone(offset))


# The layout nearly every feed writes, "Wed, 06 Apr 2022 21:07:47 +0000": ASCII
# only, each piece a strict case of _RFC822's (a day name of letters, a day of 1-2
# digits, a month word of 3-9 letters, a year of 2-4 digits, "hh:mm:ss" or "hh:mm",
# a "+hhmm" offset or a zone name of letters), so _RFC822 matches such a text with
# the same pieces. A zone name is never AM or PM there: _zone knows neither word,
# so the fast path gives up and _RFC822 reads a 12-hour clock.
_COMMON = re.compile(
    r"[A-Za-z]+\.?,? +([0-9]{1,2}) +([A-Za-z]{3,9})\.? +([0-9]{2,4})"
    r" +([0-9]{2})[:.]([0-9]{2})(?:[:.]([0-9]{2}))? +([+-][0-9]{4}|[A-Za-z]{1,5})"
)


_TWO_DIGITS = {**{str(n): n for n in range(10)}, **{f"{n:02d}": n for n in range(100)}}


def _rfc822_common(text: str) -> datetime | None:
    """:data:`_COMMON`'s layout, read faster than :func:`_rfc822` reads it.

    Exact: for every text it reads it returns what :func:`_rfc822` returns
    (``None`` included); ``None`` for any other text, which the caller then reads
    the general way. ``tests/unit/adapters/test_dates_fast.py`` compares both on
    generated dates.
    """
    match = _COMMON.fullmatch(text)
    if match is None:
        return None
    day, word, year, hour, minute, second, zone = match.groups()
    tz = _zone(zone)
    word = word.lower()
    month = _MONTH_NAMES.get(word) or _MONTHS.get(word[:3])
    if month is None or tz is None:
        return None
    y = int(year)
    if y < 100 and len(year) < 4:  # _year
        y += 2000 if y < 50 else 1900
    two = _TWO_DIGITS  # cheaper than int() for the five small numbers
    try:
        when = datetime(y, month, two[day], two[hour], two[minute], two[second or "0"], 0, tz)
    except ValueError:
        return None
    return when if type(tz) is timezone else _fixed(when)


def _rfc822(text: str, local: tzinfo = UTC) -> datetime | None:
    """Day first. ``local``: the zone of a time written without one (a date alone
    stays UTC midnight)."""
    match = _RFC822.match(text)
    if match is None:
        return None
    day, month, year, hour, minute, second, half, zone, label, comment = match.groups()
    clock = (hour, minute, second, half)
    return _at(_year(year), month, day, clock, (zone, label, comment), local)


def _month_first(text: str, local: tzinfo = UTC) -> datetime | None:
    """Month first (asctime, Java, JavaScript, US English); see :data:`_MONTH_FIRST`."""
    match = _MONTH_FIRST.match(text)
    if match is None:
        return None
    month, day, year, hour, minute, second, half, zone, label, year_after, comment = match.groups()
    if (year is None) == (year_after is None):
        return None  # no year, or two
    clock = (hour, minute, second, half)
    return _at(_year(year or year_after), month, day, clock, (zone, label, comment), local)


def _year(digits: str) -> int:
    y = int(digits)
    # RFC 822 two-digit years (RFC 2822 §4.3); "0001", written with four digits,
    # is the year 1 (a placeholder, out of plausible()'s window), not 2001.
    if y < 100 and len(digits) < 4:
        y += 2000 if y < 50 else 1900
    return y


def _at(
    year: int,
    month_name: str,
    day: str,
    clock: tuple[str | None, str | None, str | None, str | None],
    zones: tuple[str | None, str | None, str | None],
    local: tzinfo,
) -> datetime | None:
    """The instant the pieces of a matched date name, or ``None`` when one of them
    is not exact (an unknown month or zone, "14:32 PM", a 31st of November, "+0100
    EST").

    ``clock`` is hour, minute, second and "a"/"p"; ``zones`` the zone, a name
    after it and a comment after them.
    """
    month = _month(month_name)
    hour, minute, second, half = clock
    zone, label, comment = zones
    if zone is None and comment is not None:
        zone = comment.strip()  # "14:32:00 (CET)": the comment is the only zone named
    tz = local if zone is None and hour is not None else _zone(zone)
    if month is None or tz is None:
        return None
    h = int(hour or 0)
    if half is not None:  # 12-hour clock: 12:05 AM is 00:05, 12:05 PM is 12:05
        if not 1 <= h <= 12:
            return None
        h = h % 12 + (12 if half.lower() == "p" else 0)
    try:
        when = datetime(year, month, int(day), h, int(minute or 0), int(second or 0), tzinfo=tz)
    except ValueError:
        return None
    fixed = when if type(tz) is timezone else _fixed(when)
    if fixed is not None and label is not None:
        named = _ZONES.get(label.lower())  # an unknown name ("MEZ") leaves the offset alone
        if named is not None and fixed.utcoffset() != timedelta(hours=named):
            return None  # "+0100 EST": which one is right?
    return fixed


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
    when = _rfc822_common(text) or _rfc822(text) or _month_first(text)
    if when is not None:
        return when if 1970 < when.year < 2099 else plausible(when)
    return None


# ------------------------------------------------------------------ human dates
# Web pages write dates for people: "25 nov. 2026 à 14h32", "hier à 18:40", "il y a
# 3 heures", "Nov 25, 2026". parse_human_date reads them, French and English, after
# the machine forms above (a <time datetime> attribute stays on the fast path).

#: The longest human date worth reading, spaces collapsed ("Publié le mercredi 25
#: novembre 2026 à 14h32, mis à jour le jeudi 26 novembre 2026 à 08h15" is 87).
_MAX_HUMAN_LENGTH = 160
# How far in the future a date may lie (clocks, zones) before it is taken for a
# mistake: nothing is published tomorrow.
_FUTURE_SLACK = timedelta(days=1)
_APOSTROPHES = str.maketrans({"’": "'", "ʼ": "'", "´": "'"})
# Words before the date: "Publié le", "Mis à jour :", "Posted on", "Le".
_LEAD = re.compile(
    r"^(?:(?:publi[ée]e?s?|mise?s? à jour|mise?s? en ligne|modifi[ée]e?s?|actualis[ée]e?s?"
    r"|cr[ée]{2}e?s?|post[ée]e?s?|derni[èe]re (?:mise à jour|modification)|published|posted"
    r"|(?:last )?updated|edited|modified|date|le|on|at)\b\s*:?\s*)+",
    re.IGNORECASE,
)
# A byline before the date: "Par Jean Dupont, le 25 novembre", "By Jane Doe on Nov 25".
_BYLINE = re.compile(r"^(?:par|by)\s+[^,]{1,60}?(?:,\s*(?:le|on)?|\s+(?:le|on))\s+", re.IGNORECASE)
# An update after the publication date: what comes before is the publication.
_UPDATE = re.compile(
    r"[\s,;(–—-]+(?:mise?s? à jour|modifi[ée]e?|actualis[ée]e?|(?:last )?updated|edited)\b.*$",
    re.IGNORECASE,
)
# "25 nov. 2026 | 3 min de lecture", "Actualités · 25 nov.": the date is one of the parts.
_PARTS = re.compile(r"\s*[|•·]\s*")
_MAX_PARTS = 4
# A publication date is never ahead: "dans 3 jours", "demain", "in 2 days" are not one.
_FUTURE = re.compile(r"\b(?:dans|demain|tomorrow|from now|in (?:\d|an? |one ))", re.IGNORECASE)
_NOW = frozenset(
    (
        "à l'instant", "a l'instant", "maintenant", "il y a quelques secondes",
        "il y a moins d'une minute", "just now", "now", "a few seconds ago", "seconds ago",
        "less than a minute ago", "moments ago",
    )
)  # fmt: skip
_RELATIVE = re.compile(r"\b(?:il y a|ago)\b", re.IGNORECASE)
# "25/11/2026", "25.11.26", "25-11-2026 14:32", "25/11/2026 à 8h05" (day first).
_NUMERIC = re.compile(
    r"^(\d{1,2})([/.-])(\d{1,2})\2(\d{4}|\d{2})"
    r"(?:\s*,?\s*(?:à|a|at|-)?\s*(\d{1,2})\s*[h:]\s*(\d{2})?(?::(\d{2}))?)?$",
    re.IGNORECASE,
)
# "14h32", "14:32" alone: today (a list page's entries of the day).
_CLOCK = re.compile(r"^(\d{1,2})\s*[h:]\s*(\d{2})$")
# "14h32", "10 h 05" → "14:32"; "à 9h" → "à 9:00": the forms dateparser reads.
_HOURS = re.compile(r"\b(\d{1,2})\s*h\s*(\d{2})\b")
_HOUR = re.compile(r"\b(à|a|at)\s*(\d{1,2})\s*h\b", re.IGNORECASE)
# dateparser is not thread-safe (scrapinghub/dateparser#441); sources are polled
# in threads. A date costs about 1 ms, so waiting for another thread is cheap.
_DATEPARSER_LOCK = threading.Lock()


def parse_human_date(
    text: str | None, *, now: datetime | None, zone: tzinfo = UTC
) -> datetime | None:
    """A date as a web page shows it, French or English, or ``None``.

    Machine forms first, as :func:`parse_date` reads them, but a time written
    without a zone is in ``zone`` (the site's: "2026-11-25T14:32" on a French
    page is Paris time). Then human ones: "25 nov. 2026 à 14h32", "mercredi 25
    novembre 2026, 14:32", "Publié le 25/11/2026", "1er décembre", "Nov 25,
    2026 2:32 PM" (absolute, in ``zone``), and "il y a 3 heures", "hier à
    18:40", "aujourd'hui", "3 hours ago", "14h32" alone (relative to ``now``,
    the fetch time). A date without a time is midnight UTC of that day, as
    everywhere else (notifications then show the date alone).

    With ``now`` ``None`` only dates that name their year are read (the result
    then depends on the text alone). ``None`` for anything else: not a date,
    outside :func:`plausible`'s window, or more than a day ahead of ``now``.
    """
    if not text:
        return None
    text = " ".join(text.split())
    if not text or len(text) > _MAX_HUMAN_LENGTH:
        return None
    when = _machine(text, zone)
    if when is None:
        when = _human(text, now, zone)
    when = plausible(when)
    if when is not None and now is not None and when > now + _FUTURE_SLACK:
        return None
    return when


def _machine(text: str, zone: tzinfo) -> datetime | None:
    """ISO 8601, RFC 822 or a Unix timestamp; a time without a zone is in ``zone``."""
    if text[0].isdigit() and len(text) >= 10 and text[4] == "-":
        try:
            when = datetime.fromisoformat(text.replace(" ", "T", 1) if text[10:11] == " " else text)
        except ValueError:
            return None
        if when.tzinfo is None:
            when = when.replace(tzinfo=zone if len(text) > 10 else UTC)
        return when
    if text.isascii() and text.isdigit() and len(text) in (10, 13):  # data-timestamp="…"
        return datetime.fromtimestamp(int(text) / (1000 if len(text) == 13 else 1), UTC)
    return _rfc822_common(text) or _rfc822(text, zone)


def _human(text: str, now: datetime | None, zone: tzinfo) -> datetime | None:
    text = text.translate(_APOSTROPHES)
    local_now = now.astimezone(zone) if now is not None else None
    for part in _PARTS.split(text)[:_MAX_PARTS]:
        part = _UPDATE.sub("", part)
        part = _LEAD.sub("", _BYLINE.sub("", part)).strip(" ,;:-–—")
        if not part or _FUTURE.search(part):
            continue
        if local_now is not None and part.lower().rstrip(".!") in _NOW:
            return now
        when = (
            _numeric(part, zone)
            or _machine(part, zone)
            or _clock(part, local_now)
            or _dateparser(part, local_now, zone)
        )
        if when is not None:
            return when
    return None


def _numeric(text: str, zone: tzinfo) -> datetime | None:
    """``25/11/2026 à 14h32``: day first, as in France, unless the day cannot be one."""
    match = _NUMERIC.match(text)
    if match is None:
        return None
    day, _sep, month, year, hour, minute, second = match.groups()
    d, m, y = int(day), int(month), int(year)
    if m > 12 >= d:  # 11/25/2026: only month first makes sense
        d, m = m, d
    if len(year) == 2:
        y += 2000 if y < 70 else 1900
    try:
        if hour is None:
            return datetime(y, m, d, tzinfo=UTC)
        return datetime(y, m, d, int(hour), int(minute or 0), int(second or 0), tzinfo=zone)
    except ValueError:
        return None


def _clock(text: str, local_now: datetime | None) -> datetime | None:
    """``14h32`` alone: today at that time, or yesterday if that is still ahead."""
    match = _CLOCK.match(text)
    if match is None or local_now is None:
        return None
    try:
        when = local_now.replace(
            hour=int(match.group(1)), minute=int(match.group(2)), second=0, microsecond=0
        )
    except ValueError:
        return None
    return when - timedelta(days=1) if when > local_now + timedelta(minutes=5) else when


@functools.lru_cache(maxsize=4)
def _date_data_parser(base: datetime | None) -> Any:
    # ~150 ms to import, and more to load its French and English data: only when needed.
    from dateparser.date import DateDataParser  # type: ignore[import-untyped]

    settings: dict[str, Any] = {
        "PREFER_DATES_FROM": "past",
        "DATE_ORDER": "DMY",
        "RETURN_TIME_AS_PERIOD": True,
    }
    if base is None:  # nothing relative, nothing guessed from today
        settings.update(PARSERS=["absolute-time"], REQUIRE_PARTS=["day", "month", "year"])
    else:
        settings.update(
            RELATIVE_BASE=base,
            PARSERS=["relative-time", "absolute-time"],
            REQUIRE_PARTS=["day", "month"],
        )
    return DateDataParser(languages=["fr", "en"], settings=settings, try_previous_locales=False)


def _dateparser(text: str, local_now: datetime | None, zone: tzinfo) -> datetime | None:
    """French and English words, through dateparser (about 1 ms a date)."""
    if not _RELATIVE.search(text):
        text = _HOUR.sub(r"\1 \2:00", _HOURS.sub(r"\1:\2", text))
    base = local_now.replace(tzinfo=None, microsecond=0) if local_now is not None else None
    try:
        with _DATEPARSER_LOCK:
            data = _date_data_parser(base).get_date_data(text)
    except Exception:  # a third-party parser on text from the network: never fail the page
        return None
    when, period = data.date_obj, data.period
    if not isinstance(when, datetime):
        return None
    if when.tzinfo is not None:  # the text named its zone: "14:32 UTC"
        return when
    if period == "time":
        return when.replace(tzinfo=zone)
    return datetime(when.year, when.month, when.day, tzinfo=UTC)
