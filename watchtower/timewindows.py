"""Wall-clock windows in a time zone: quiet hours and digest schedules (pure functions).

Quiet windows are written ``"mon-fri 20:00-08:00"``, ``"sat,sun"`` (all day) or
``"daily 22:00-07:00"``; a window whose end is before its start runs past
midnight into the next day. Digest schedules are ``"hourly"``,
``"daily 08:30"`` or ``"weekly mon 08:30"`` (one day, written as in quiet
windows). Every function takes ``now`` (aware, any zone) so tests drive them
with a simulated clock.

Clock times meet summer time twice a year (in Paris, 02:00 → 03:00 on the last
Sunday of March, 03:00 → 02:00 on the last Sunday of October). A clock time is
turned into one instant by :func:`at_local`: a time the clocks skip (02:30 in
March) is the moment they jump past it (03:00); a time they show twice (02:30
in October) is its first showing, or its second for the end of a quiet window,
so that the window covers every minute the clock shows inside it. Instants are
compared as instants (in UTC), never as the clock readings of one zone.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_TIME = r"([01]?\d|2[0-4]):([0-5]\d)"
_WINDOW = re.compile(rf"^\s*(?P<days>[a-z,\- ]+?)?\s*(?:(?P<range>{_TIME}-{_TIME}))?\s*$")
_DIGEST = re.compile(
    rf"^\s*(?:(?P<hourly>hourly)|daily\s+(?P<at>{_TIME})"
    rf"|weekly\s+(?P<day>[a-z]+)\s+(?P<week_at>{_TIME}))\s*$"
)
DIGEST_FORMS = "'hourly', 'daily 08:30' or 'weekly mon 08:30'"


def at_local(day: date, at: time, zone: ZoneInfo, *, last: bool = False) -> datetime:
    """The instant (in UTC) when the clocks of ``zone`` show ``at`` on ``day``.

    A time the clocks skip (02:30 when they go from 02:00 to 03:00) is the
    instant they jump, the first one after it; a time they show twice (02:30
    when they go back from 03:00 to 02:00) is the first showing, or with
    ``last`` the second.
    """
    naive = datetime.combine(day, at)
    early, late = naive.replace(tzinfo=zone, fold=0), naive.replace(tzinfo=zone, fold=1)
    first, second = early.astimezone(UTC), late.astimezone(UTC)
    if first == second:
        return first
    if first < second:  # shown twice (fold 0 is the earlier showing)
        return second if last else first
    # Skipped: ``second`` is before the jump and ``first`` after it; find the jump.
    lo, hi = second, first
    while hi - lo > timedelta(seconds=1):
        mid = lo + (hi - lo) / 2
        if mid.astimezone(zone).utcoffset() == early.utcoffset():  # still before the jump
            lo = mid
        else:
            hi = mid
    return hi.replace(microsecond=0)


def days_before(now: datetime, days: int, zone: str) -> datetime:
    """The same clock time ``days`` local days before ``now`` (in UTC).

    Across a change of summer time a day is 23 or 25 hours: "the same time
    yesterday" is what the team's clocks showed, not ``now - 24h``.
    """
    tz = ZoneInfo(zone)
    local = now.astimezone(tz)
    return at_local(local.date() - timedelta(days=days), local.time(), tz)


@dataclass(frozen=True)
class Window:
    """Quiet from ``start`` for ``length`` on each of ``days`` (0 = Monday).

    ``length`` is a span of clock time: ``22:00-08:00`` ends at 08:00 on the
    clocks, which is 9 or 11 hours later on the nights summer time changes.
    """

    days: frozenset[int]
    start: time
    length: timedelta

    def occurrence(self, day: date, zone: ZoneInfo) -> tuple[datetime, datetime]:
        """The instants (UTC) this window starts and ends when it starts on ``day``."""
        begin = datetime.combine(day, self.start)
        end = begin + self.length  # clock arithmetic: 22:00 + 10h is 08:00 the next day
        return (
            at_local(day, self.start, zone),
            at_local(end.date(), end.time(), zone, last=True),
        )

    def containing(self, local: datetime) -> datetime | None:
        """The end of the occurrence of this window that contains ``local``, if any.

        ``local`` is aware, in the window's zone (a :class:`ZoneInfo`); the end is
        an instant in UTC (a clock reading of the repeated hour would not compare
        equal to the same instant in another zone).
        """
        zone = local.tzinfo
        if not isinstance(zone, ZoneInfo):
            raise TypeError("a quiet window needs a datetime in a ZoneInfo zone")
        instant = local.astimezone(UTC)
        for back in (0, 1):
            day: date = local.date() - timedelta(days=back)
            if day.weekday() not in self.days:
                continue
            begin, end = self.occurrence(day, zone)
            if begin <= instant < end:
                return end
        return None


def _days(text: str) -> frozenset[int]:
    text = text.strip()
    if text in ("", "daily", "every day", "everyday"):
        return frozenset(range(7))
    if text in ("weekend", "weekends"):
        return frozenset({5, 6})
    if text in ("weekdays",):
        return frozenset(range(5))
    out: set[int] = set()
    for part in text.replace(" ", "").split(","):
        first, _, last = part.partition("-")
        if first not in DAYS or (last and last not in DAYS):
            raise ValueError(f"unknown day in {text!r}; use mon…sun, 'daily', 'weekends'")
        a, b = DAYS.index(first), DAYS.index(last or first)
        out.update(DAYS.index(d) % 7 for d in (DAYS * 2)[a : a + ((b - a) % 7) + 1])
    return frozenset(out)


def _clock(hours: str, minutes: str) -> timedelta:
    value = timedelta(hours=int(hours), minutes=int(minutes))
    if value > timedelta(hours=24):
        raise ValueError("a time of day cannot be after 24:00")
    return value


def parse_window(text: str) -> Window:
    """Parse ``"mon-fri 20:00-08:00"``; raise ``ValueError`` with a hint."""
    m = _WINDOW.match(text.lower())
    if m is None or not text.strip():
        raise ValueError(f"{text!r} is not a window; use e.g. 'mon-fri 20:00-08:00' or 'sat,sun'")
    days = _days(m.group("days") or "")
    if m.group("range"):
        g = m.groups()
        start, end = _clock(g[2], g[3]), _clock(g[4], g[5])
    else:
        start, end = timedelta(0), timedelta(hours=24)
    length = end - start if end > start else end + timedelta(hours=24) - start
    begin = (datetime.min + start).time()
    return Window(days, begin, length)


def quiet_until(windows: list[Window], now: datetime, zone: str) -> datetime | None:
    """``None`` when ``now`` is outside every window; else when the quiet period ends
    (in UTC).

    Adjacent or overlapping windows (Friday night, then the week-end) merge into
    one period, so held notifications come out once, at the real end.
    """
    tz = ZoneInfo(zone)
    local = now.astimezone(tz)
    end: datetime | None = None
    for _ in range(16):  # a week of back-to-back windows at most
        ends = [e for w in windows if (e := w.containing(local)) is not None]
        if not ends:
            break
        end = max(ends)
        local = end.astimezone(tz)
    return end


@dataclass(frozen=True)
class DigestSchedule:
    """``hourly``, ``daily HH:MM`` or ``weekly DAY HH:MM`` (local time).

    ``weekday`` (0 = Monday) is set for a weekly digest only.
    """

    hourly: bool
    at: time = time(0, 0)
    weekday: int | None = None

    @property
    def name(self) -> str:
        """``"hourly"``, ``"daily"`` or ``"weekly"``: the digest's title and period."""
        if self.hourly:
            return "hourly"
        return "daily" if self.weekday is None else "weekly"

    def _on(self, day: date) -> bool:
        return self.weekday is None or day.weekday() == self.weekday

    def next_after(self, now: datetime, zone: str) -> datetime:
        """The first digest time in ``zone`` strictly after ``now`` (in UTC).

        One a day (a week): at 02:30 on a night the clocks skip it, when they
        jump (03:00); on a night they show it twice, at its first showing only.
        """
        tz = ZoneInfo(zone)
        instant = now.astimezone(UTC)
        if self.hourly:
            top = now.astimezone(tz).replace(minute=0, second=0, microsecond=0)
            nxt = top.astimezone(UTC) + timedelta(hours=1)  # real hours: the repeated one too
            while nxt <= instant:
                nxt += timedelta(hours=1)
            return nxt
        day = now.astimezone(tz).date() - timedelta(days=1)
        while not self._on(day) or (candidate := at_local(day, self.at, tz)) <= instant:
            day += timedelta(days=1)
        return candidate

    def last_at_or_before(self, now: datetime, zone: str) -> datetime:
        """The latest digest time in ``zone`` at or before ``now`` (in UTC)."""
        tz = ZoneInfo(zone)
        instant = now.astimezone(UTC)
        if self.hourly:
            top = now.astimezone(tz).replace(minute=0, second=0, microsecond=0)
            return top.astimezone(UTC)
        day = now.astimezone(tz).date() + timedelta(days=1)
        while not self._on(day) or (candidate := at_local(day, self.at, tz)) > instant:
            day -= timedelta(days=1)
        return candidate

    def period_start(self, now: datetime, zone: str) -> datetime:
        """When the period of the digest due at ``now`` began: the digest time before.

        A daily digest the morning after a change of summer time covers 23 or 25
        hours, from yesterday's digest to today's, not the last 24 hours; a
        weekly one, 167 or 169 hours: the same clock time 7 days before.
        """
        due = self.last_at_or_before(now, zone)
        return self.last_at_or_before(due - timedelta(microseconds=1), zone)

    def period(self) -> timedelta:
        """The usual length of a period (a week of a change of summer time differs)."""
        if self.hourly:
            return timedelta(hours=1)
        return timedelta(days=1 if self.weekday is None else 7)


def _weekday(word: str) -> int:
    if word not in DAYS:
        raise ValueError(
            f"{word!r} is not a day for a weekly digest; use mon, tue, wed, thu, fri, sat or sun"
        )
    return DAYS.index(word)


def parse_digest(text: str) -> DigestSchedule:
    """Parse ``"hourly"``, ``"daily 08:30"`` or ``"weekly mon 08:30"``."""
    m = _DIGEST.match(text.lower())
    if m is None:
        raise ValueError(f"{text!r} is not a digest schedule; use {DIGEST_FORMS}")
    if m.group("hourly"):
        return DigestSchedule(hourly=True)
    weekday = None
    if m.group("day"):
        weekday = _weekday(m.group("day"))
        at = _clock(m.group(7), m.group(8))
    else:
        at = _clock(m.group(3), m.group(4))
    if at >= timedelta(hours=24):
        raise ValueError("a digest time must be before 24:00")
    return DigestSchedule(hourly=False, at=(datetime.min + at).time(), weekday=weekday)
