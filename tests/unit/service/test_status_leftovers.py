"""``watchtower status`` as an operator reads it on a realistic setup: a dozen
sources, one failing since yesterday, one silent, an Apprise service down, Slack
fine, a digest pending; and on a config file a typo made invalid.

Real parts: the feeds on a local HTTP server, the fake Slack Web API, an Apprise
``json://`` webhook answering 500, the app's own poll and delivery rounds on a
simulated clock (SQLite and PostgreSQL).
"""

from __future__ import annotations

import io
import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select, update

from tests.clock import Clock
from tests.servers.http import FeedServer, Resource
from tests.servers.slack import FakeSlack
from tests.servers.webhook import Webhook
from watchtower.app import App
from watchtower.cli import main
from watchtower.config import load_config
from watchtower.status_daemons import daemon_liveness
from watchtower.status_report import status_report
from watchtower.status_text import render_report
from watchtower.storage.tables import SourceRow

#: Yesterday 14:00 in Paris: the first poll, when "presse-09" starts failing.
START = datetime(2026, 11, 24, 13, 0, tzinfo=UTC)
#: Today 10:12 in Paris (09:12 UTC): the operator runs `watchtower status`.
NOW = datetime(2026, 11, 25, 9, 12, tzinfo=UTC)
NAMES = [f"presse-{n:02d}" for n in range(1, 13)]
FAILING, SILENT = "presse-09", "presse-04"


def feed(n: int) -> bytes:
    return f"""<?xml version="1.0"?><rss version="2.0"><channel><title>f{n}</title>
<item><title>Acmé ouvre une agence {n}</title><link>https://news{n}.example.fr/a</link>
<guid>g{n}</guid><description>Acmé ouvre une agence à Lyon.</description></item>
</channel></rss>""".encode()


@dataclass
class Setup:
    path: Path
    app: App
    clock: Clock
    hook: Webhook

    def report(self, now: datetime | None = None) -> dict[str, Any]:
        with self.app.db.session() as session:
            report = status_report(session, self.app.loaded, now or self.clock.now)
        report["daemon"].update(daemon_liveness(None))  # as the command adds it
        return report


def config(database_url: str, feeds: FeedServer, slack: FakeSlack, hook: Webhook) -> str:
    sources = "".join(
        f"""
[[sources]]
name = "{name}"
kind = "rss"
url = "{feeds.url(f"/{name}.xml")}"
allow_private = true
every = "30m"
"""
        for name in NAMES
    )
    return f"""
[watchtower]
database_url = "{database_url}"
backlog = "all"
timezone = "Europe/Paris"
default_notify = [
    "slack:#veille",
    "apprise:json://127.0.0.1:{hook.port}/hook",
    "email:direction@example.fr",
]
ops_notify = ["slack:#ops"]

[slack]
api_url = "{slack.api_url}"
channel_interval = "0s"

[email]
smtp_host = "127.0.0.1"
smtp_port = 9
starttls = false
from = "veille@example.fr"

[[digests]]
targets = ["email:direction@example.fr"]
digest = "daily 08:30"

[[brands]]
name = "Acmé"
terms = ["Acmé"]
{sources}"""


@pytest.fixture
def setup(
    database_url: str,
    feeds: FeedServer,
    slack: FakeSlack,
    write_config: Callable[[str], Path],
    monkeypatch: pytest.MonkeyPatch,
) -> Iterator[Setup]:
    monkeypatch.setenv("SLACK_BOT_TOKEN", slack.token)
    hook = Webhook().start()
    hook.fail_next = 1_000_000  # the Apprise service answers 500: it is down
    for n, name in enumerate(NAMES, 1):
        feeds.resources[f"/{name}.xml"] = Resource(feed(n))
    feeds.resources[f"/{FAILING}.xml"] = Resource(b"boom", status=500)
    path = write_config(config(database_url, feeds, slack, hook))
    clock = Clock(START)
    slack.clock = lambda: clock.now.timestamp()
    app = App(load_config(path), clock=clock, console=io.StringIO())
    app.start()
    try:
        app.poller.poll(all_sources=True)
        # Slack delivers, the Apprise service does not answer: ops are told after 10 min.
        for _ in range(20):
            app.outbox.drain()
            app.alerting.tick()
            clock.now += timedelta(minutes=1)
        clock.now = NOW - timedelta(minutes=20)
        app.poller.poll(all_sources=True)  # presse-09 still fails this morning
        with app.db.writing() as session:  # as check_silence leaves a source gone quiet
            session.execute(
                update(SourceRow).where(SourceRow.name == SILENT).values(alert_reason="silent")
            )
        for _ in range(3):
            app.outbox.drain()
            clock.now += timedelta(minutes=1)
        clock.now = NOW
        yield Setup(path, app, clock, hook)
    finally:
        app.close()
        hook.stop()


def lines_of(text: str) -> list[str]:
    return text.splitlines()


# ------------------------------------------------------------ the realistic setup
def test_status_reads_in_order_on_a_realistic_setup(setup: Setup) -> None:
    text = render_report(setup.report(), NOW)
    lines = lines_of(text)
    header = lines.index("Sources: 12 (1 failing, 1 silent, 10 ok)")
    # What needs a look first: the failing source, since yesterday in Paris time,
    # with how long ago; then the silent one, saying since when it is silent.
    assert lines[header + 1].startswith("  presse-09 [rss] failing · ")
    assert "      failing since 2026-11-24 14:00 CET (20h ago)" in lines
    silent = lines.index(next(x for x in lines if x.startswith("  presse-04 [rss] silent")))
    assert silent > header + 1 and lines[silent + 1] == (
        "      silent: no new item since 2026-11-24 14:00 CET (20h ago)"
    )
    # The digest's rows are held on purpose: not counted as late deliveries.
    outbox = lines.index(next(x for x in lines if x.startswith("Outbox: ")))
    assert lines[outbox + 1] == "  11 to send, the oldest due since 2026-11-24 14:00 CET (20h ago)"
    assert lines[outbox + 2] == (  # 08:30 passed: no tick released them yet
        "  11 held for quiet hours, a digest or a grouping window, the next going out "
        "at the next delivery round"
    )
    # Two hours later, nobody polled: a next check in the past says it is overdue.
    later = NOW + timedelta(hours=2)
    [line] = [x for x in lines_of(render_report(setup.report(later), later)) if "presse-09" in x]
    assert " · next check due 1h ago · " in line


def test_an_apprise_service_down_is_paused_in_status_with_since_and_next_try(
    setup: Setup,
) -> None:
    setup.app.outbox.drain()  # the daemon's round at 10:12: one probe, still down
    report = setup.report()

    [paused] = report["targets"]["paused"]
    shown = f"apprise:json://127.0.0.1:{setup.hook.port}/…"  # its path (a token) hidden
    assert paused["kind"] == "apprise" and paused["target"] == shown
    assert paused["waiting"] == 11 and paused["next_try"] > NOW
    assert "500" in paused["reason"]
    text = render_report(report, NOW)
    [line] = [x for x in lines_of(text) if "paused since" in x]
    assert line.startswith(f"  Apprise service {shown} paused since 2026-11-24 14:")
    assert " CET (19h ago) (" in line and "11 notifications waiting, next try 2026-11-25 " in line
    assert line.endswith("m) (ops were told)") and "(in " in line
    assert "/hook" not in text
    # The JSON (for scripts) says the same, without the URL's path either.
    assert "/hook" not in json.dumps(report, default=str)


def test_an_apprise_service_back_is_no_longer_paused(setup: Setup) -> None:
    setup.hook.fail_next = 0  # the service answers again
    setup.app.outbox.drain()

    report = setup.report()
    assert report["targets"]["paused"] == []
    assert len(setup.hook.posts) == 11
    assert "paused" not in render_report(report, NOW)


def test_on_a_terminal_the_paused_service_and_what_waits_are_under_the_outbox(
    setup: Setup,
) -> None:
    from rich.console import Console

    from watchtower.progress import print_report

    out = io.StringIO()
    print_report(setup.report(), NOW, Console(file=out, width=400, color_system=None))
    text = out.getvalue()
    assert "11 to send, the oldest due since 2026-11-24 14:00 CET (20h ago)" in text
    assert f"Apprise service apprise:json://127.0.0.1:{setup.hook.port}/… paused since" in text
    assert "silent: no new item since 2026-11-24 14:00 CET (20h ago)" in text


# ------------------------------------------------------- a config that does not validate
BROKEN = [
    # (what the operator's edit did, the zone status must show, the label it carries)
    ('name = "Acmé"\nterms = ["Acmé"]', 'name = "Acmé"\ntermz = ["Acmé"]', "Europe/Paris"),
    ('timezone = "Europe/Paris"', 'timezone = "Europe/Pari"', None),
    ('timezone = "Europe/Paris"\n', "default_notiffy = []\n", "Europe/Paris"),  # the default
    (
        'timezone = "Europe/Paris"',
        'timezone = "America/Montreal"\ndefault_notiffy = []',
        "America/Montreal",
    ),
]


@pytest.mark.parametrize(("before", "after", "zone"), BROKEN)
def test_status_on_a_config_a_typo_broke_keeps_its_zone_and_says_why(
    database_url: str,
    feeds: FeedServer,
    write_config: Callable[[str], Path],
    capsys: pytest.CaptureFixture[str],
    before: str,
    after: str,
    zone: str | None,
) -> None:
    feeds.resources["/f.xml"] = Resource(b"boom", status=500)
    path = write_config(
        f"""
[watchtower]
database_url = "{database_url}"
timezone = "Europe/Paris"
default_notify = ["console:"]

[[brands]]
name = "Acmé"
terms = ["Acmé"]

[[sources]]
name = "forum"
kind = "rss"
url = "{feeds.url("/f.xml")}"
allow_private = true
"""
    )
    app = App(load_config(path), console=io.StringIO())  # the daemon, with the real clock
    app.start()
    try:
        app.poller.poll()
        with app.db.session() as session:
            [since] = session.scalars(select(SourceRow.failing_since))
    finally:
        app.close()
    assert since is not None
    text = path.read_text("utf-8")
    assert before in text
    path.write_text(text.replace(before, after), "utf-8")  # the edit with a typo
    capsys.readouterr()

    code = main(["status", "--config", str(path)])
    out, err = capsys.readouterr()
    assert code == 2  # still: the config is invalid
    assert "config file refused (see above)" in err
    [config] = [x for x in out.splitlines() if x.startswith("Config: NOT VALID")]
    assert f"{path.name}:" in config  # and why, on stdout too
    local = since.astimezone(ZoneInfo(zone or "UTC"))
    assert f"failing since {local:%Y-%m-%d %H:%M} {local.tzname()} (" in out
    if zone is None:
        assert "  times in UTC: its [watchtower] timezone is not a known zone" in out
    else:
        assert f"  times in {zone} ([watchtower] timezone, read from the file)" in out

    assert main(["status", "--json", "--config", str(path)]) == 2
    report = json.loads(capsys.readouterr().out)
    assert report["timezone"] == (zone or "UTC")
    assert report["config_refused"]["problems"] and report["config_refused"]["timezone"] == zone
