"""Crisis spikes over simulated weeks, the critical alert, and escalation without an ack."""

from __future__ import annotations

import random
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from tests.e2e.alerting_helpers import Clock, base_config, make_app, rows
from tests.french import nb, readable
from tests.servers.slack import FakeSlack
from tests.servers.smtp import SmtpServer
from watchtower import spikes
from watchtower.app import App
from watchtower.config import SpikesSection
from watchtower.storage.tables import ItemRow, MentionRow, SourceRow

START = datetime(2026, 2, 2, 0, 0, tzinfo=UTC)  # a Monday
SPIKES = """
[spikes]
min_count = 10
notify = ["slack:#crise"]
escalate_to = ["@U0123"]
ack_timeout = "15m"
escalate_notify = ["slack:#direction"]
"""


def test_poisson_tail_and_assessment() -> None:
    assert spikes.poisson_tail(0, 3.0) == 1.0
    assert spikes.poisson_tail(1, 2.0) == pytest.approx(1 - 2.718281828**-2.0)
    assert spikes.poisson_tail(60, 5.0) < 1e-20
    settings = SpikesSection(min_count=10)
    assert not spikes.assess(6, [2, 3, 1, 2], settings).spike  # a handful is never a spike
    assert not spikes.assess(14, [10, 12, 9, 11, 13], settings).spike  # a busy usual hour
    assert spikes.assess(40, [2, 3, 1, 2, 4, 3], settings).spike


@pytest.fixture
def clock() -> Clock:
    return Clock(now=START)


@pytest.fixture
def app(
    database_url: str,
    slack: FakeSlack,
    smtp: SmtpServer,
    clock: Clock,
    write_config: Callable[[str], Path],
    monkeypatch: pytest.MonkeyPatch,
) -> Iterator[App]:
    monkeypatch.setenv("SLACK_BOT_TOKEN", slack.token)
    slack.clock = clock.timestamp
    built = make_app(write_config(base_config(database_url, slack, smtp, SPIKES)), clock)
    yield built
    built.close()


def weekly_rhythm(rng: random.Random, when: datetime) -> int:
    """Mentions in one hour: busy office hours on weekdays, quiet nights and week-ends."""
    if when.weekday() >= 5:
        lam = 1.0
    elif 8 <= when.hour < 19:
        lam = 6.0
    else:
        lam = 0.4
    # Poisson by inversion (random.Random has no Poisson sampler).
    k, p, u = 0, 2.718281828**-lam, rng.random()
    cdf = p
    while u > cdf:
        k += 1
        p *= lam / k
        cdf += p
    return k


def add_mentions(
    app: App,
    hours: list[tuple[datetime, int]],
    brand: str = "Acmé",
    *,
    since: datetime | None = START,
) -> None:
    with app.db.session() as session:
        source = session.query(SourceRow).filter_by(name="presse").one_or_none()
        if source is None:
            source = SourceRow(
                name="presse",
                kind="rss",
                url="https://x",
                enabled=True,
                cursor={},
                next_check_at=START,
                consecutive_failures=0,
                items_total=0,
                alerting=False,
            )
            session.add(source)
            session.flush()
            if since is not None:  # watchtower has listened since then (an item without mention)
                session.add(
                    ItemRow(source_id=source.id, guid="g0", url="https://x/0", fetched_at=since)
                )
                session.flush()
        n = session.query(ItemRow).count()
        for start, count in hours:
            for i in range(count):
                n += 1
                at = start + timedelta(minutes=(i * 53) % 60)
                item = ItemRow(
                    source_id=source.id,
                    guid=f"g{n}",
                    url=f"https://x/{n}?utm_source=rss",  # as the feed gave it
                    canonical_url=f"https://x/{n}",
                    title=f"Acmé article {n}",
                    fetched_at=at,
                )
                session.add(item)
                session.flush()
                session.add(
                    MentionRow(
                        item_id=item.id,
                        brand=brand,
                        rule="",
                        severity="info",
                        terms=["acme", "panne"],  # matching forms, as stored
                        surfaces=["Acmé"],
                        created_at=at,
                    )
                )


def test_no_alert_on_weekly_rhythm_then_alert_within_one_poll_of_a_burst(
    app: App, clock: Clock, slack: FakeSlack
) -> None:
    rng = random.Random(7)
    hours = [(START + timedelta(hours=h), 0) for h in range(28 * 24)]
    hours = [(when, weekly_rhythm(rng, when)) for when, _ in hours]
    add_mentions(app, hours)

    alerts = 0
    for h in range(15 * 24, 28 * 24, 3):  # two simulated weeks after the baseline
        clock.now = START + timedelta(hours=h, minutes=17)
        alerts += spikes.check(app.db, app.loaded.config, clock.now)
    assert alerts == 0

    burst_start = START + timedelta(days=28, hours=14)  # a Monday afternoon
    add_mentions(app, [(burst_start, 45)])
    clock.now = burst_start + timedelta(minutes=59) + app.loaded.config.watchtower.poll_interval
    app.alerting.tick()
    app.outbox.drain()

    [alert] = slack.posts()
    assert alert["channel"] == "#crise"
    text = readable(alert["blocks"])
    assert nb("Pic de mentions : Acmé") in text and "<@U0123>" in text
    assert "presse (" in text and "panne" in text and "Acmé article" in text
    assert "Acmé (" in text and "acme (" not in text  # terms as written
    assert "https://x/" in text and "utm_source" not in text  # examples link as alerts do
    # A second look in the same burst does not alert again (cooldown).
    clock.advance(minutes=5)
    assert spikes.check(app.db, app.loaded.config, clock.now) == 0


def burst_alert(app: App, clock: Clock, slack: FakeSlack) -> str:
    add_mentions(app, [(START + timedelta(days=20, hours=10), 40)])
    clock.now = START + timedelta(days=20, hours=10, minutes=59)
    app.alerting.tick()
    app.outbox.drain()
    [alert] = slack.posts()
    return str(alert["ts"])


def test_escalates_when_nobody_acknowledges(app: App, clock: Clock, slack: FakeSlack) -> None:
    burst_alert(app, clock, slack)
    clock.advance(minutes=14)
    app.alerting.tick()
    app.outbox.drain()
    assert [m["channel"] for m in slack.posts()] == ["#crise"]

    clock.advance(minutes=2)
    app.alerting.tick()
    app.outbox.drain()

    assert [m["channel"] for m in slack.posts()] == ["#crise", "#direction"]
    assert "Escalade" in str(slack.posts()[1]["blocks"])
    clock.advance(hours=1)
    app.alerting.tick()
    app.outbox.drain()
    alerts = [m for m in slack.posts() if "Retour au calme" not in m["text"]]
    assert len(alerts) == 2  # escalated once
    # The burst is over: told once, where the alert and its escalation went.
    # In each copy's thread, broadcast to its channel (slack.broadcasts()).
    calm = [m["channel"] for m in slack.broadcasts() if "Retour au calme" in m["text"]]
    assert calm == ["#crise", "#direction"]
    assert all(r.status == "sent" for r in rows(app))


@pytest.mark.parametrize("ack", ["reaction", "reply"])
def test_no_escalation_when_acknowledged(
    app: App, clock: Clock, slack: FakeSlack, ack: str
) -> None:
    ts = burst_alert(app, clock, slack)
    if ack == "reaction":
        slack.react(ts, "white_check_mark")
    else:
        slack.human_reply(ts, "ack, je regarde")
    clock.advance(minutes=16)
    app.alerting.tick()
    app.outbox.drain()
    assert [m["channel"] for m in slack.posts()] == ["#crise"]


def test_a_new_install_has_no_usual_level_so_no_spike(
    app: App, clock: Clock, slack: FakeSlack
) -> None:
    burst = START + timedelta(days=20, hours=10)
    add_mentions(app, [(burst, 40)], since=burst)  # installed an hour ago: all of it is new
    clock.now = burst + timedelta(minutes=59)
    assert spikes.check(app.db, app.loaded.config, clock.now) == 0
    # Three days later the same burst, against two full quiet days, is one.
    add_mentions(app, [(burst + timedelta(days=3), 40)])
    clock.now = burst + timedelta(days=3, minutes=59)
    assert spikes.check(app.db, app.loaded.config, clock.now) == 1
