"""The real App across the nights summer time changes in Paris (2026-03-29: 02:00 →
03:00, a 23-hour day; 2026-10-25: 03:00 → 02:00, a 25-hour day), driven by an
injected clock, with the fake Slack and SMTP servers.

What was found: a "daily 02:30" digest e-mail went out several times on 25
October; the morning digest after a change counted the critical alerts of the
last 24 hours, not of its 23- or 25-hour period (one counted twice in March,
one lost in October); quiet hours ending at 02:30 released their notifications
at 03:30 in March, after newer ones had gone out, and in October let the
repeated hour's mentions through one by one; the spike detector compared 10:00
on the Sunday of the change with 09:00 on the days before, and called a normal
morning a crisis.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from tests.e2e.alerting_helpers import Clock, queue, rows
from tests.e2e.test_spikes import add_mentions
from tests.french import nb, readable
from tests.servers.slack import FakeSlack
from tests.servers.smtp import SmtpServer
from watchtower.app import App
from watchtower.storage.tables import OutboxRow

PARIS = ZoneInfo("Europe/Paris")
DIRECTION = "email:direction@example.fr"


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


def shown(when: datetime) -> str:
    at = when.astimezone(PARIS)
    return f"{at:%Y-%m-%d %H:%M} {at.tzname()}"


def cycle(app: App) -> None:
    """What the daemon's jobs do at each tick: deliver, release due holds, deliver."""
    app.outbox.drain()
    app.alerting.tick()
    app.outbox.drain()


def summaries(app: App, reason: str) -> list[OutboxRow]:
    return [
        r
        for r in rows(app)
        if r.payload.get("kind") == "summary" and r.payload["summary"]["reason"] == reason
    ]


def digest_counts(smtp: SmtpServer) -> list[int]:
    counts = []
    for mail in smtp.messages:
        if m := re.search(r"Résumé quotidien\xa0: (\d+) mention", str(mail["Subject"])):
            counts.append(int(m.group(1)))
    return counts


def body(mail: object) -> str:
    return "".join(
        str(p.get_content())
        for p in mail.walk()  # type: ignore[attr-defined]
        if p.get_content_type() == "text/plain"
    )


# ------------------------------------------------------------------ digests


def test_a_0230_digest_goes_once_on_the_25_hour_night_and_loses_nothing(
    app_for: Callable[[str], App], smtp: SmtpServer, clock: Clock
) -> None:
    app = app_for(f"""
[[digests]]
targets = ["{DIRECTION}"]
digest = "daily 02:30"
""")
    clock.now = utc(2026, 10, 24, 18)  # 20:00 CEST, Saturday
    queued = 0
    while clock.now < utc(2026, 10, 26, 3):  # past 02:30 CET on Monday
        queue(app, DIRECTION, key=f"m{queued}")
        queued += 1
        cycle(app)
        clock.advance(minutes=10)

    sent = summaries(app, "digest")
    assert [shown(s.sent_at) for s in sent if s.sent_at] == [
        "2026-10-25 02:30 CEST",
        "2026-10-26 02:30 CET",
    ]
    assert len(digest_counts(smtp)) == 2
    # Every mention is in exactly one digest, or waits for the next one.
    statuses = [r.status for r in rows(app) if r.payload.get("kind") != "summary"]
    assert len(statuses) == queued
    assert sum(digest_counts(smtp)) == statuses.count("grouped")
    assert set(statuses) == {"grouped", "held"}
    # The second digest covers the 25 hours between the two 02:30s.
    assert sent[1].payload["summary"]["count"] == 25 * 6


def test_a_0230_digest_goes_once_when_the_clocks_skip_it(
    app_for: Callable[[str], App], smtp: SmtpServer, clock: Clock
) -> None:
    app = app_for(f"""
[[digests]]
targets = ["{DIRECTION}"]
digest = "daily 02:30"
""")
    clock.now = utc(2026, 3, 28, 19)  # 20:00 CET
    while clock.now < utc(2026, 3, 29, 3):
        queue(app, DIRECTION, key=clock.now.strftime("%H%M"))
        cycle(app)
        clock.advance(minutes=10)
    [digest] = summaries(app, "digest")
    assert digest.sent_at is not None and shown(digest.sent_at) == "2026-03-29 03:00 CEST"
    # Everything queued before the clocks jumped is in it; nothing after.
    assert digest.payload["summary"]["count"] == 6 * 6
    assert digest_counts(smtp) == [36]


def morning_digests(app: App, clock: Clock, smtp: SmtpServer, events: list[datetime]) -> list[str]:
    """A critical mention at ``events[0]`` (sent at once) and an ordinary one (held
    for the digest); the daemon's jobs at each later time; the text of each digest."""
    clock.now = events[0]
    queue(app, DIRECTION, key="crisis", severity="critical")
    queue(app, DIRECTION, key="day1")
    cycle(app)
    for n, at in enumerate(events[1:]):
        clock.now = at
        queue(app, DIRECTION, key=f"later{n}")
        cycle(app)
    return [body(m) for m in smtp.messages if "Résumé quotidien" in str(m["Subject"])]


DIGEST_0830 = f"""
[[digests]]
targets = ["{DIRECTION}"]
digest = "daily 08:30"
"""


def test_the_morning_digest_after_the_23_hour_day_counts_no_crisis_twice(
    app_for: Callable[[str], App], smtp: SmtpServer, clock: Clock
) -> None:
    app = app_for(DIGEST_0830)
    texts = morning_digests(
        app,
        clock,
        smtp,
        [
            utc(2026, 3, 28, 7),  # Saturday 08:00 CET: a crisis, sent at once
            utc(2026, 3, 28, 7, 31),  # 08:31 CET: Saturday's digest
            utc(2026, 3, 28, 12),
            utc(2026, 3, 29, 6, 31),  # Sunday 08:31 CEST, 23 hours later
        ],
    )
    assert len(texts) == 2
    assert "1 alerte critique envoyée" in texts[0]
    assert "alerte critique" not in texts[1]  # the 08:00 CET alert was Saturday's


def test_the_morning_digest_after_the_25_hour_day_loses_no_crisis(
    app_for: Callable[[str], App], smtp: SmtpServer, clock: Clock
) -> None:
    app = app_for(DIGEST_0830)
    texts = morning_digests(
        app,
        clock,
        smtp,
        [
            utc(2026, 10, 24, 7),  # Saturday 09:00 CEST: a crisis, after Saturday's digest
            utc(2026, 10, 24, 12),
            utc(2026, 10, 25, 7, 31),  # Sunday 08:31 CET, 25 hours after Saturday's
        ],
    )
    assert len(texts) == 1
    assert "1 alerte critique envoyée" in texts[0]


# ------------------------------------------------------------------ quiet hours


def test_quiet_hours_ending_at_the_skipped_0230_end_when_the_clocks_jump(
    app_for: Callable[[str], App], slack: FakeSlack, clock: Clock
) -> None:
    app = app_for("""
[[quiet_hours]]
targets = ["slack:#veille"]
windows = ["daily 01:00-02:30"]
""")
    clock.now = utc(2026, 3, 29, 0, 30)  # 01:30 CET: quiet
    queue(app, "slack:#veille", key="night")
    posted: list[tuple[str, str]] = []
    while clock.now < utc(2026, 3, 29, 2):
        if clock.now == utc(2026, 3, 29, 1, 10):  # 03:10 CEST: the night is over
            queue(app, "slack:#veille", key="morning")
        cycle(app)
        posted += [
            ("night" if "Article night" in post["text"] else "morning", shown(clock.now))
            for post in slack.posts()[len(posted) :]
        ]
        clock.advance(minutes=5)
    # The night's mention at 03:00, when the clocks jumped past 02:30; before the morning's.
    assert posted == [
        ("night", "2026-03-29 03:00 CEST"),
        ("morning", "2026-03-29 03:10 CEST"),
    ]


def test_quiet_hours_ending_at_the_repeated_0230_hold_the_repeated_hour_too(
    app_for: Callable[[str], App], slack: FakeSlack, clock: Clock
) -> None:
    app = app_for("""
[[quiet_hours]]
targets = ["slack:#veille"]
windows = ["daily 22:00-02:30"]
""")
    clock.now = utc(2026, 10, 24, 21)  # 23:00 CEST
    times = {
        utc(2026, 10, 24, 21): "evening",
        utc(2026, 10, 25, 0, 40): "first",  # 02:40 CEST
        utc(2026, 10, 25, 1, 10): "second",  # 02:10 CET: the clocks show it again
    }
    posted: list[str] = []
    while clock.now < utc(2026, 10, 25, 3):
        if clock.now in times:
            queue(app, "slack:#veille", key=times[clock.now])
        cycle(app)
        posted += [shown(clock.now)] * (len(slack.posts()) - len(posted))
        clock.advance(minutes=5)
    # Released once, when the clocks show 02:30 for the last time, in one summary.
    assert posted == ["2026-10-25 02:30 CET"]
    assert nb("Pendant les heures calmes : 3 mentions") in readable(slack.posts()[0]["blocks"])


# ------------------------------------------------------------------ spikes


SPIKES = """
[spikes]
min_count = 10
notify = ["slack:#crise"]
"""


def test_the_usual_level_is_the_same_clock_time_on_the_days_before_a_change(
    app_for: Callable[[str], App], slack: FakeSlack, clock: Clock
) -> None:
    """Every morning 09:00–10:00 (Paris) is busy: 20 mentions, one an hour otherwise.
    At 10:00 on the Sunday the clocks went forward, that hour is the usual level,
    not a spike; a real burst the next morning still is one."""
    start = utc(2026, 3, 8)
    check = utc(2026, 3, 29, 8)  # 10:00 CEST
    hours = []
    at = start
    while at < check:
        hours.append((at, 20 if at.astimezone(PARIS).hour == 9 else 1))
        at += timedelta(hours=1)
    app = app_for(SPIKES)
    add_mentions(app, hours, since=start)
    clock.now = check
    cycle(app)
    assert [p for p in slack.posts() if "Pic de mentions" in p["text"]] == []

    # Monday 10:00–11:00 CEST: 40 mentions where 1 is usual.
    add_mentions(app, [(at + timedelta(hours=h), 1) for h in range(24)])
    add_mentions(app, [(utc(2026, 3, 30, 8), 40)])
    clock.now = utc(2026, 3, 30, 9)  # 11:00 CEST
    cycle(app)
    assert len([p for p in slack.posts() if "Pic de mentions" in p["text"]]) == 1


# ------------------------------------------------------------------ escalation


def test_an_alert_at_0155_cest_escalates_15_real_minutes_later(
    app_for: Callable[[str], App], slack: FakeSlack, clock: Clock
) -> None:
    """25 October: 01:55 CEST + 15 min is 02:10 CEST (00:10 UTC), not 03:10 nor at once."""
    app = app_for("""
[spikes]
min_count = 10
notify = ["slack:#crise"]
escalate_to = ["@U0123"]
ack_timeout = "15m"
escalate_notify = ["slack:#direction"]
""")
    burst = utc(2026, 10, 24, 23)  # 01:00 CEST
    add_mentions(app, [(burst, 40)], since=burst - timedelta(days=20))
    clock.now = utc(2026, 10, 24, 23, 55)  # 01:55 CEST
    escalated: list[str] = []
    while clock.now < utc(2026, 10, 25, 2):
        cycle(app)
        if any(p["channel"] == "#direction" for p in slack.posts()) and not escalated:
            escalated.append(shown(clock.now))
        clock.advance(minutes=1)
    alerts = [p for p in slack.posts() if "Retour au calme" not in p["text"]]
    assert [p["channel"] for p in alerts] == ["#crise", "#direction"]
    assert escalated == ["2026-10-25 02:10 CEST"]
    # The escalation says when the alert went, in the team's zone and summer time.
    assert "25/10/2026 à 01:55 (CEST)" in alerts[1]["text"] + str(alerts[1].get("blocks"))
