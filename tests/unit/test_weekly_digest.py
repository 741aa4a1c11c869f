"""A weekly digest: ``digest = "weekly mon 08:30"`` (every Monday at 08:30, last week).

Parsing (and what a refused schedule says instead), the digest times and the
7-local-day periods in Paris and New York across the weeks the clocks change
(25 October 2026 and 28 March 2027 in Paris; 1 November 2026 and 14 March 2027
in New York): a week holding a change is 167 or 169 hours, and every moment
falls in exactly one week.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from tests.unit.config.test_config import GOOD
from watchtower import digest
from watchtower.config import Config, load_config
from watchtower.errors import ConfigError
from watchtower.timewindows import parse_digest

PARIS, NEW_YORK = "Europe/Paris", "America/New_York"


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


def local(zone: str, *args: int) -> datetime:
    return datetime(*args, tzinfo=ZoneInfo(zone)).astimezone(UTC)


def hours(span: timedelta) -> float:
    return span.total_seconds() / 3600


# ----------------------------------------------------------------- parsing


@pytest.mark.parametrize(
    ("text", "weekday", "at"),
    [
        ("weekly mon 08:30", 0, "08:30"),
        ("Weekly Fri 17:00", 4, "17:00"),
        ("  weekly   sun 0:05 ", 6, "00:05"),
    ],
)
def test_a_weekly_schedule_is_its_day_and_time(text: str, weekday: int, at: str) -> None:
    schedule = parse_digest(text)
    assert (schedule.name, schedule.weekday, f"{schedule.at:%H:%M}") == ("weekly", weekday, at)
    assert schedule.period() == timedelta(days=7)


def test_hourly_and_daily_are_still_what_they_were() -> None:
    assert parse_digest("hourly").name == "hourly"
    daily = parse_digest("daily 08:30")
    assert (daily.name, daily.weekday) == ("daily", None)


def _with_digest(schedule: str) -> str:
    return GOOD + f'\n[[digests]]\ntargets = ["console:"]\ndigest = "{schedule}"\n'


def problems(path: Path) -> list[str]:
    with pytest.raises(ConfigError) as caught:
        load_config(path)
    return [str(p).removeprefix(f"{path}:").split(": ", 2)[2] for p in caught.value.problems]


FORMS = "use 'hourly', 'daily 08:30' or 'weekly mon 08:30'"


@pytest.mark.parametrize(
    ("schedule", "message"),
    [
        (
            "weekly monday 8h30",
            f"'weekly monday 8h30' is not a digest schedule; {FORMS}; "
            "did you mean 'weekly mon 08:30'?",
        ),
        (
            "weekly monday 08:30",
            "'monday' is not a day for a weekly digest; use mon, tue, wed, thu, fri, sat "
            "or sun; did you mean 'weekly mon 08:30'?",
        ),
        (
            "hebdo lundi 8h30",
            f"'hebdo lundi 8h30' is not a digest schedule; {FORMS}; "
            "did you mean 'weekly mon 08:30'?",
        ),
        (
            "chaque lundi à 8h30",
            f"'chaque lundi à 8h30' is not a digest schedule; {FORMS}; "
            "did you mean 'weekly mon 08:30'?",
        ),
        (
            "hebdo",
            f"'hebdo' is not a digest schedule; {FORMS}; a weekly digest names its day and "
            "time, e.g. 'weekly mon 08:30'",
        ),
        (
            "weekly 9h",
            f"'weekly 9h' is not a digest schedule; {FORMS}; a weekly digest names its day "
            "and time, e.g. 'weekly mon 09:00'",
        ),
        ("weekly mon 24:00", "a digest time must be before 24:00"),
        (
            "weekly mon-fri 08:30",
            f"'weekly mon-fri 08:30' is not a digest schedule; {FORMS}",
        ),
    ],
)
def test_a_mistyped_weekly_schedule_says_what_to_write(
    write_config: Callable[[str], Path], schedule: str, message: str
) -> None:
    assert problems(write_config(_with_digest(schedule))) == [message]


# ------------------------------------------------------- times and periods


@pytest.mark.parametrize(
    ("zone", "now", "due", "since", "length"),
    [
        # An ordinary week: 168 hours, Monday 08:30 to Monday 08:30 (Paris).
        (
            PARIS,
            utc(2026, 11, 23, 8),
            local(PARIS, 2026, 11, 23, 8, 30),
            local(PARIS, 2026, 11, 16, 8, 30),
            168,
        ),
        # The week holding 25 October 2026 (03:00 → 02:00): 169 hours.
        (PARIS, utc(2026, 10, 26, 9), utc(2026, 10, 26, 7, 30), utc(2026, 10, 19, 6, 30), 169),
        # The week holding 28 March 2027 (02:00 → 03:00): 167 hours.
        (PARIS, utc(2027, 3, 29, 9), utc(2027, 3, 29, 6, 30), utc(2027, 3, 22, 7, 30), 167),
        # New York changes a week later in autumn (1 November 2026) ...
        (
            NEW_YORK,
            utc(2026, 10, 26, 18),
            utc(2026, 10, 26, 12, 30),
            utc(2026, 10, 19, 12, 30),
            168,
        ),
        (NEW_YORK, utc(2026, 11, 2, 18), utc(2026, 11, 2, 13, 30), utc(2026, 10, 26, 12, 30), 169),
        # ... and two weeks earlier in spring (14 March 2027).
        (NEW_YORK, utc(2027, 3, 15, 18), utc(2027, 3, 15, 12, 30), utc(2027, 3, 8, 13, 30), 167),
        (NEW_YORK, utc(2027, 3, 29, 18), utc(2027, 3, 29, 12, 30), utc(2027, 3, 22, 12, 30), 168),
    ],
)
def test_the_week_is_the_7_local_days_before_the_digest_time(
    zone: str, now: datetime, due: datetime, since: datetime, length: int
) -> None:
    schedule = parse_digest("weekly mon 08:30")
    assert schedule.last_at_or_before(now, zone) == due
    assert digest.period_start("weekly mon 08:30", now, zone) == since
    assert hours(due - since) == length
    # Given in the digest's zone: its clock says Monday 08:30 on both ends.
    start = digest.period_start("weekly mon 08:30", now, zone)
    assert (start.weekday(), f"{start:%H:%M}") == (0, "08:30")
    assert (
        due.astimezone(ZoneInfo(zone)).weekday(),
        f"{due.astimezone(ZoneInfo(zone)):%H:%M}",
    ) == (0, "08:30")


def test_the_next_weekly_digest_is_next_monday_not_tomorrow() -> None:
    # Thursday 26 November 2026: the next is Monday 30 November, 08:30 in Paris.
    now = utc(2026, 11, 26, 12)
    assert digest.next_digest("weekly mon 08:30", now, PARIS) == local(PARIS, 2026, 11, 30, 8, 30)
    # At the digest time exactly, the next is a week later (a row then is next week's).
    monday = local(PARIS, 2026, 11, 30, 8, 30)
    assert digest.next_digest("weekly mon 08:30", monday, PARIS) == monday + timedelta(days=7)


@pytest.mark.parametrize(
    ("schedule", "zone", "start", "end"),
    [
        ("weekly mon 08:30", PARIS, utc(2026, 10, 1), utc(2026, 11, 15)),
        ("weekly sun 02:30", PARIS, utc(2026, 10, 1), utc(2026, 11, 15)),  # 25 Oct: 02:30 twice
        ("weekly sun 02:30", PARIS, utc(2027, 3, 1), utc(2027, 4, 15)),  # 28 Mar: no 02:30
        ("weekly mon 08:30", NEW_YORK, utc(2026, 10, 15), utc(2026, 11, 20)),
        ("weekly sun 01:30", NEW_YORK, utc(2026, 10, 15), utc(2026, 11, 20)),  # 1 Nov: twice
        ("weekly sun 02:30", NEW_YORK, utc(2027, 3, 1), utc(2027, 3, 31)),  # 14 Mar: skipped
    ],
)
def test_every_moment_is_in_exactly_one_week(
    schedule: str, zone: str, start: datetime, end: datetime
) -> None:
    """A mention at any minute is held for the next digest, whose period holds it;
    consecutive weeks meet exactly (nothing counted twice, nothing lost)."""
    dues: list[datetime] = []
    now = start
    while now < end:
        due = digest.next_digest(schedule, now, zone)
        since = digest.period_start(schedule, due, zone)
        assert since <= now < due
        if not dues or dues[-1] != due:
            dues.append(due)
        now += timedelta(minutes=20)
    assert len(dues) >= 5
    for before, after in itertools.pairwise(dues):
        assert digest.period_start(schedule, after, zone) == before
        # 167 or 169 hours for a week holding a change (167.5 and 168.5 for the two
        # weeks around a skipped 02:30, which goes at 03:00, when the clocks jump).
        assert 167 <= hours(after - before) <= 169
        weekday = parse_digest(schedule).weekday
        assert after.astimezone(ZoneInfo(zone)).weekday() == weekday  # once a week, its day


def test_a_weekly_0230_on_the_night_it_is_shown_twice_goes_once() -> None:
    sunday = digest.next_digest("weekly sun 02:30", utc(2026, 10, 24, 12), PARIS)
    assert sunday == utc(2026, 10, 25, 0, 30)  # the first 02:30 (CEST)
    after = digest.next_digest("weekly sun 02:30", utc(2026, 10, 25, 1, 40), PARIS)  # 2nd 02:30
    assert after == utc(2026, 11, 1, 1, 30)  # next Sunday, not the repeated 02:30


# ------------------------------------------------- rules and [[digests]] keys


@pytest.fixture
def config_of(write_config: Callable[[str], Path]) -> Callable[[str], Config]:
    def build(extra: str) -> Config:
        path = write_config(f"""
[watchtower]
database_url = "sqlite:///unused.db"
timezone = "Europe/Paris"
default_notify = ["email:veille@acme.example"]

[email]
smtp_host = "127.0.0.1"
from = "veille@acme.example"

[[brands]]
name = "Acmé"
terms = ["Acmé"]

[[brands]]
name = "Zéphyr"
terms = ["Zéphyr"]
notify = ["slack:#client-zephyr"]
{extra}
""")
        return load_config(path).config

    return build


def test_a_weekly_digests_entry_is_due_weekly_in_its_zone(
    config_of: Callable[[str], Config],
) -> None:
    config = config_of("""
[[digests]]
targets = ["email:dircom@acme.example"]
digest = "weekly mon 08:30"
timezone = "America/New_York"
""")
    [due] = digest.due_digests(config, utc(2026, 11, 4, 12))  # a Wednesday
    assert due.period == "weekly"
    assert due.due == utc(2026, 11, 2, 13, 30)  # Monday 08:30 EST
    assert due.since == utc(2026, 10, 26, 12, 30)  # the Monday before, 08:30 EDT
    assert due.since.utcoffset() == timedelta(hours=-4)  # in its zone: its first day is Monday


def test_a_rule_digest_without_notify_has_its_period_for_every_target_it_can_reach(
    config_of: Callable[[str], Config],
) -> None:
    """A pack rule (no ``notify``) goes to the brand's ``notify`` or the defaults;
    its digest there has its own period and title, not "daily" by default."""
    config = config_of("""
[[rules]]
name = "avis-semaine"
query = "avis"
digest = "weekly mon 08:30"

[[rules]]
name = "avis-heure"
query = "service"
digest = "hourly"
""")
    periods = digest.periods(config)
    starts = digest.period_starts(config, utc(2026, 11, 23, 8))
    for target in ("email:veille@acme.example", "slack:#client-zephyr"):
        assert periods[f"avis-semaine|{target}"] == "weekly"
        assert periods[f"avis-heure|{target}"] == "hourly"
        assert starts[f"avis-semaine|{target}"] == local(PARIS, 2026, 11, 16, 8, 30)
        assert starts[f"avis-heure|{target}"] == utc(2026, 11, 23, 7)


def test_the_week_of_a_weekly_digest_names_its_local_days() -> None:
    since = digest.period_start("weekly mon 08:30", utc(2026, 11, 23, 8), PARIS)
    assert digest.week_days(since) == ["2026-11-16", "2026-11-22"]
    # Monday 00:30 in Paris is Sunday evening in UTC: the days are Paris's.
    since = digest.period_start("weekly mon 00:30", utc(2026, 11, 23, 8), PARIS)
    assert since == utc(2026, 11, 15, 23, 30)
    assert digest.week_days(since) == ["2026-11-16", "2026-11-22"]
    # The week the clocks go back, at its repeated 02:30: still that Sunday's week.
    since = digest.period_start("weekly sun 02:30", utc(2026, 11, 1, 12), PARIS)
    assert since == utc(2026, 10, 25, 0, 30)  # equal to the UTC instant (PEP 495 folds)
    assert digest.week_days(since) == ["2026-10-25", "2026-10-31"]
