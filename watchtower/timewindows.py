"""Wall-clock windows in a time zone: quiet hours and digest schedules (pure functions).

Quiet windows are written ``"mon-fri 20:00-08:00"``, ``"sat,sun"`` (all day) or
``"daily 22:00-07:00"``; a window whose end is before its start runs past
midnight into the next day. Digest schedules are ``"hourly"`` or
``"daily 08:30"``. Every function takes ``now`` (aware, any zone) so tests drive
them with a simulated clock.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_TIME = r"([01]?\d|2[0-4]):([0-5]\d)"
_WINDOW = re.compile(rf"^\s*(?P<days>[a-z,\- ]+?)?\s*(?:(?P<range>{_TIME}-{_TIME}))?\s*$")
_DIGEST = re.compile(rf"^\s*(?:(?P<hourly>hourly)|daily\s+(?P<at>{_TIME}))\s*$")


@dataclass(frozen=True)
class Window:
    """Quiet from ``start`` for ``length`` on each of ``days`` (0 = Monday)."""

    days: frozenset[int]
    start: time
    length: timedelta

    def containing(self, local: datetime) -> datetime | None:
        """The end of the occurrence of this window that contains ``local``, if any."""
        for back in (0, 1):
            day: date = local.date() - timedelta(days=back)
            if day.weekday() not in self.days:
                continue
            begin = datetime.combine(day, self.start, tzinfo=local.tzinfo)
            end = begin + self.length
            if begin <= local < end:
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
    """``None`` when ``now`` is outside every window; else when the quiet period ends.

    Adjacent or overlapping windows (Friday night, then the week-end) merge into
    one period, so held notifications come out once, at the real end.
    """
    local = now.astimezone(ZoneInfo(zone))
    end: datetime | None = None
    for _ in range(16):  # a week of back-to-back windows at most
        ends = [e for w in windows if (e := w.containing(local)) is not None]
        if not ends:
            break
        local = max(ends)
        end = local
    return end


@dataclass(frozen=True)
class DigestSchedule:
    """``hourly`` or ``daily HH:MM`` (local time)."""

    hourly: bool
    at: time = time(0, 0)

    def next_after(self, now: datetime, zone: str) -> datetime:
        """The first digest time strictly after ``now``."""
        local = now.astimezone(ZoneInfo(zone))
        if self.hourly:
            return local.replace(minute=0, second=0, microsecond=0) + timedelta(hours=1)
        candidate = datetime.combine(local.date(), self.at, tzinfo=local.tzinfo)
        return candidate if candidate > local else candidate + timedelta(days=1)

    def period(self) -> timedelta:
        return timedelta(hours=1) if self.hourly else timedelta(days=1)


def parse_digest(text: str) -> DigestSchedule:
    """Parse ``"hourly"`` or ``"daily 08:30"``."""
    m = _DIGEST.match(text.lower())
    if m is None:
        raise ValueError(f"{text!r} is not a digest schedule; use 'hourly' or 'daily 08:30'")
    if m.group("hourly"):
        return DigestSchedule(hourly=True)
    at = _clock(m.group(3), m.group(4))
    if at >= timedelta(hours=24):
        raise ValueError("a digest time must be before 24:00")
    return DigestSchedule(hourly=False, at=(datetime.min + at).time())
