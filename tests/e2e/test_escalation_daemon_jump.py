"""The daemon's clock watch moves escalation deadlines (``Daemon._clock_jumped``)."""

from __future__ import annotations

from collections.abc import Callable

from apscheduler.schedulers.background import BackgroundScheduler

from tests.e2e.alerting_helpers import Clock
from tests.e2e.test_escalation_acks import cycle, spiking
from tests.servers.slack import FakeSlack
from watchtower.app import App
from watchtower.scheduler import Daemon


def test_the_daemons_clock_watch_keeps_the_escalation_on_time(
    app_for: Callable[[str], App], clock: Clock, slack: FakeSlack
) -> None:
    app = spiking(app_for, clock)
    jobs = BackgroundScheduler()
    for job in ("poll", "drain", "cleanup"):
        jobs.add_job(lambda: None, "interval", id=job, hours=1)
    assert cycle(app, slack, clock) == ["#crise"]
    assert cycle(app, slack, clock, minutes=5) == ["#crise"]
    clock.advance(hours=-1)
    Daemon(app)._clock_jumped(jobs, -3600.0)
    assert cycle(app, slack, clock, minutes=9) == ["#crise"]
    assert cycle(app, slack, clock, minutes=2) == ["#crise", "#direction"]
