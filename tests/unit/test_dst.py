"""Clock times across the nights summer time changes, as a Paris team lives them.

France goes 02:00 → 03:00 on 2026-03-29 (a 23-hour day) and 03:00 → 02:00 on
2026-10-25 (a 25-hour day); New York on 2026-03-08 and 2026-11-01. What was
found: a "daily 02:30" digest went out twice on 25 October (its time was
computed as the first 02:30, already past, for mentions of the second 02:00
hour); on 29 March it went at 03:30 and left the mentions of 03:00–03:30 to the
next day; an hourly digest skipped the repeated hour; a quiet window ending at
02:30 released its notifications at 03:30 in March while new ones went out from
03:00, and in October held them "until" a time already past; the spike
detector's "same time yesterday" was an hour off for the days before a change;
the critical alerts a digest counts were those of the last 24 hours, not of its
23- or 25-hour period.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from itertools import pairwise
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from watchtower import digest, timewindows
from watchtower.digest import next_digest
from watchtower.timewindows import parse_digest, parse_window, quiet_until

PARIS = "Europe/Paris"
NEW_YORK = "America/New_York"


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


def local(zone: str, *args: int, fold: int = 0) -> datetime:
    """A clock reading in ``zone``, as an instant (UTC)."""
    return datetime(*args, tzinfo=ZoneInfo(zone), fold=fold).astimezone(UTC)


def shown(when: datetime, zone: str = PARIS) -> str:
    """``when`` as the team's clocks show it: ``"2026-10-25 02:30 CEST"``."""
    at = when.astimezone(ZoneInfo(zone))
    return f"{at:%Y-%m-%d %H:%M} {at.tzname()}"


def minutes(start: datetime, end: datetime, step: int = 5) -> list[datetime]:
    out, now = [], start
    while now < end:
        out.append(now)
        now += timedelta(minutes=step)
    return out


def digests_sent(schedule: str, zone: str, start: datetime, end: datetime) -> list[datetime]:
    """Play the daemon: a mention every 5 minutes is held until the next digest
    time (computed when it is claimed); each tick releases what is due as one
    digest. Returns when digests went out."""
    held: list[datetime] = []
    sent: list[datetime] = []
    for now in minutes(start, end):
        until = next_digest(schedule, now, zone)
        assert until > now, f"held at {shown(now, zone)} until {shown(until, zone)}, already past"
        held.append(until)
        if any(u <= now for u in held):
            sent.append(now)
            held = [u for u in held if u > now]
    return sent


# ------------------------------------------------------------------ digests


def test_daily_0230_goes_once_on_the_25_hour_day() -> None:
    sent = digests_sent("daily 02:30", PARIS, utc(2026, 10, 24, 12), utc(2026, 10, 26, 12))
    assert [shown(s) for s in sent] == ["2026-10-25 02:30 CEST", "2026-10-26 02:30 CET"]


def test_daily_0230_goes_once_when_the_clocks_skip_it() -> None:
    """02:30 does not exist on 29 March: the digest goes when the clocks jump (03:00)."""
    sent = digests_sent("daily 02:30", PARIS, utc(2026, 3, 28, 12), utc(2026, 3, 30, 12))
    assert [shown(s) for s in sent] == ["2026-03-29 03:00 CEST", "2026-03-30 02:30 CEST"]
    # A mention at 03:10 is in the next day's digest, one at 01:55 in that of 03:00.
    assert shown(next_digest("daily 02:30", local(PARIS, 2026, 3, 29, 1, 55), PARIS)) == (
        "2026-03-29 03:00 CEST"
    )
    assert shown(next_digest("daily 02:30", local(PARIS, 2026, 3, 29, 3, 10), PARIS)) == (
        "2026-03-30 02:30 CEST"
    )


@pytest.mark.parametrize(
    ("start", "end", "expected"),
    [
        (
            utc(2026, 3, 28, 12),
            utc(2026, 3, 30, 12),
            ["2026-03-29 08:30 CEST", "2026-03-30 08:30 CEST"],
        ),
        (
            utc(2026, 10, 24, 12),
            utc(2026, 10, 26, 12),
            ["2026-10-25 08:30 CET", "2026-10-26 08:30 CET"],
        ),
    ],
)
def test_daily_0830_the_morning_after_each_change(
    start: datetime, end: datetime, expected: list[str]
) -> None:
    assert [shown(s) for s in digests_sent("daily 08:30", PARIS, start, end)] == expected


def test_an_hourly_digest_keeps_the_repeated_hour() -> None:
    sent = digests_sent("hourly", PARIS, utc(2026, 10, 24, 22), utc(2026, 10, 25, 4))
    assert [s - p for p, s in pairwise(sent)] == [timedelta(hours=1)] * 4
    assert [shown(s) for s in sent][1:4] == [
        "2026-10-25 02:00 CEST",
        "2026-10-25 02:00 CET",
        "2026-10-25 03:00 CET",
    ]


@pytest.mark.parametrize(
    ("due", "since", "hours"),
    [
        (local(PARIS, 2026, 3, 29, 8, 30), "2026-03-28 08:30 CET", 23),
        (local(PARIS, 2026, 10, 25, 8, 30), "2026-10-24 08:30 CEST", 25),
        (local(PARIS, 2026, 10, 26, 8, 30), "2026-10-25 08:30 CET", 24),
    ],
)
def test_a_digest_period_runs_from_the_previous_digest(
    due: datetime, since: str, hours: int
) -> None:
    """Released a few minutes late or on time, the period is yesterday's digest to today's."""
    for now in (due, due + timedelta(minutes=3)):
        start = digest.period_start("daily 08:30", now, PARIS)
        assert shown(start) == since
        assert due - start == timedelta(hours=hours)


def test_a_daily_digest_in_new_york_does_not_assume_paris() -> None:
    """New York changes on 8 March and 1 November; Paris's dates mean nothing there."""
    spring = digests_sent("daily 02:30", NEW_YORK, utc(2026, 3, 7, 12), utc(2026, 3, 9, 12))
    assert [shown(s, NEW_YORK) for s in spring] == ["2026-03-08 03:00 EDT", "2026-03-09 02:30 EDT"]
    autumn = digests_sent("daily 01:30", NEW_YORK, utc(2026, 10, 31, 12), utc(2026, 11, 2, 12))
    assert [shown(s, NEW_YORK) for s in autumn] == ["2026-11-01 01:30 EDT", "2026-11-02 01:30 EST"]
    # Paris's nights are ordinary nights in New York.
    paris_night = digests_sent(
        "daily 02:30", NEW_YORK, utc(2026, 10, 24, 12), utc(2026, 10, 26, 12)
    )
    assert [s - p for p, s in pairwise(paris_night)] == [timedelta(hours=24)]


# ------------------------------------------------------------------ quiet hours


def quiet_periods(window: str, zone: str, start: datetime, end: datetime) -> list[tuple[str, str]]:
    """Each stretch of minutes that is quiet, as (first quiet minute, end announced)."""
    windows = [parse_window(window)]
    out: list[tuple[str, str]] = []
    current: datetime | None = None
    for now in minutes(start, end, step=1):
        until = quiet_until(windows, now, zone)
        if until is not None:
            assert until > now, f"quiet at {shown(now, zone)} until {shown(until, zone)}"
            if current is None:
                out.append((shown(now, zone), shown(until, zone)))
            else:  # one quiet stretch announces one end, and ends there
                assert until == current, f"{shown(now, zone)}: {shown(until)} != {shown(current)}"
            current = until
        else:
            if current is not None:
                assert now == current, f"quiet said until {shown(current)}, over at {shown(now)}"
            current = None
    return out


def test_a_quiet_window_ending_at_a_skipped_0230_ends_when_the_clocks_jump() -> None:
    periods = quiet_periods("daily 01:00-02:30", PARIS, utc(2026, 3, 28, 23), utc(2026, 3, 29, 3))
    assert periods == [("2026-03-29 01:00 CET", "2026-03-29 03:00 CEST")]


def test_a_quiet_window_ending_at_a_repeated_0230_covers_the_repeated_hour() -> None:
    periods = quiet_periods("daily 22:00-02:30", PARIS, utc(2026, 10, 24, 19), utc(2026, 10, 25, 3))
    assert periods == [("2026-10-24 22:00 CEST", "2026-10-25 02:30 CET")]


@pytest.mark.parametrize(
    ("window", "start", "expected"),
    [
        ("daily 01:00-03:00", utc(2026, 3, 28, 23), ("2026-03-29 01:00 CET", "03:00 CEST")),
        ("daily 01:00-03:00", utc(2026, 10, 24, 22), ("2026-10-25 01:00 CEST", "03:00 CET")),
        ("daily 22:00-08:00", utc(2026, 3, 28, 20), ("2026-03-28 22:00 CET", "08:00 CEST")),
        ("daily 22:00-08:00", utc(2026, 10, 24, 19), ("2026-10-24 22:00 CEST", "08:00 CET")),
    ],
)
def test_night_windows_end_at_their_clock_time_on_both_nights(
    window: str, start: datetime, expected: tuple[str, str]
) -> None:
    [(first, end)] = quiet_periods(window, PARIS, start, start + timedelta(hours=14))
    assert (first, end.split(" ", 1)[1]) == expected


@pytest.mark.parametrize(
    ("saturday", "expected"),
    [
        (utc(2026, 3, 27, 23), [("2026-03-28 00:00 CET", "2026-03-30 00:00 CEST")]),
        (utc(2026, 10, 23, 22), [("2026-10-24 00:00 CEST", "2026-10-26 00:00 CET")]),
    ],
)
def test_a_weekend_window_on_the_sunday_clocks_change_ends_monday_0000(
    saturday: datetime, expected: list[tuple[str, str]]
) -> None:
    around = (saturday - timedelta(hours=1), saturday + timedelta(days=2, hours=2))
    assert quiet_periods("sat-sun", PARIS, *around) == expected


# ------------------------------------------------------------------ spikes' usual level


def test_the_same_time_on_previous_days_is_the_team_s_clock_time() -> None:
    monday = local(PARIS, 2026, 3, 30, 9, 0)  # 09:00 CEST
    assert shown(timewindows.days_before(monday, 1, PARIS)) == "2026-03-29 09:00 CEST"
    assert shown(timewindows.days_before(monday, 2, PARIS)) == "2026-03-28 09:00 CET"  # not 08:00
    assert monday - timewindows.days_before(monday, 2, PARIS) == timedelta(hours=47)
    autumn = local(PARIS, 2026, 10, 25, 9, 0)  # 09:00 CET, the 25-hour Sunday
    assert shown(timewindows.days_before(autumn, 1, PARIS)) == "2026-10-24 09:00 CEST"
    assert autumn - timewindows.days_before(autumn, 1, PARIS) == timedelta(hours=25)
    # Skipped and repeated clock times still give one instant each.
    assert shown(timewindows.days_before(local(PARIS, 2026, 3, 30, 2, 30), 1, PARIS)) == (
        "2026-03-29 03:00 CEST"
    )
    assert shown(timewindows.days_before(local(PARIS, 2026, 10, 26, 2, 30), 1, PARIS)) == (
        "2026-10-25 02:30 CEST"
    )


def test_digest_schedule_is_still_parsed_as_before() -> None:
    assert parse_digest("daily 08:30").next_after(utc(2026, 3, 4, 10), PARIS) == local(
        PARIS, 2026, 3, 5, 8, 30
    )
    assert parse_digest("hourly").next_after(utc(2026, 3, 4, 10, 20), PARIS) == utc(2026, 3, 4, 11)


# ------------------------------------------------------------------ the zone `check` accepts


@pytest.mark.parametrize(
    ("zone", "code", "said"),
    [
        ("Europe/Paris", 0, []),
        ("CET", 0, []),  # the old name of the Central European zone: it follows summer time
        ("Asia/Tokyo", 0, []),  # no summer time there: nothing to say
        ("UTC", 0, []),
        (
            "UTC+1",
            2,
            [
                "2: watchtower.timezone: unknown time zone 'UTC+1': an offset does not follow "
                "summer time; use the place's zone name, such as 'Europe/Paris' (UTC+1 in "
                "winter, UTC+2 in summer)"
            ],
        ),
        (
            "GMT+1",  # never 'Etc/GMT+1', which is UTC-1
            2,
            [
                "2: watchtower.timezone: unknown time zone 'GMT+1': an offset does not follow "
                "summer time; use the place's zone name, such as 'Europe/Paris' (UTC+1 in "
                "winter, UTC+2 in summer)"
            ],
        ),
        (
            "CEST",  # never 'EST', New York's winter offset
            2,
            [
                "2: watchtower.timezone: unknown time zone 'CEST'; did you mean "
                "'Europe/Paris'? (CEST is an abbreviation, not a zone)"
            ],
        ),
        (
            "EST",
            0,
            [
                "warning: 2: watchtower.timezone: 'EST' is a fixed offset that never changes "
                "for summer time; use the place's zone name, such as 'Europe/Paris' or "
                "'America/New_York'"
            ],
        ),
        (
            "Etc/GMT-1",
            0,
            [
                "warning: 2: watchtower.timezone: 'Etc/GMT-1' is a fixed offset that never "
                "changes for summer time; use the place's zone name, such as 'Europe/Paris' or "
                "'America/New_York'"
            ],
        ),
    ],
)
def test_what_check_says_of_a_time_zone(
    write_config: Callable[[str], Path],
    capsys: pytest.CaptureFixture[str],
    zone: str,
    code: int,
    said: list[str],
) -> None:
    from tests.unit.config.test_config import GOOD
    from watchtower.cli import main

    path = write_config(GOOD.replace("[watchtower]\n", f'[watchtower]\ntimezone = "{zone}"\n', 1))
    assert main(["check", "--config", str(path)]) == code
    err = capsys.readouterr().err.replace(f"{path}:", "").splitlines()
    assert [line for line in err if "timezone" in line] == said


@pytest.mark.parametrize(
    ("when", "text"),
    [
        (local(PARIS, 2026, 10, 25, 2, 30), "2026-10-25 02:30 CEST"),
        (local(PARIS, 2026, 10, 25, 2, 30, fold=1), "2026-10-25 02:30 CET"),
        (local(PARIS, 2026, 3, 29, 1, 59), "2026-03-29 01:59 CET"),
        (local(PARIS, 2026, 3, 29, 3, 0), "2026-03-29 03:00 CEST"),
    ],
)
def test_status_times_name_summer_time_on_either_side(when: datetime, text: str) -> None:
    from watchtower.status_text import moment

    assert moment(when, when + timedelta(hours=3), PARIS) == f"{text} (3h ago)"
