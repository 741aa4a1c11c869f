"""A target down for hours (Slack or the SMTP server unreachable, Slack answering
503, an Apprise service down) loses nothing and says it once.

The target as a whole waits: its rows keep their attempts, new ones queue
behind, one row at a time probes it with capped backoff; one WARNING when it
goes, one INFO when it is back; ops hear of it through another kind if it
lasts; when it answers again everything goes once, in claim order (critical
first). The servers are real local ones behind a TCP gate that resets every
connection while "down"; a simulated clock drives six hours.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Iterator
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from prometheus_client.exposition import generate_latest
from prometheus_client.parser import text_string_to_metric_families

from tests.e2e.alerting_helpers import Clock, base_config, make_app, naming, queue, rows
from tests.french import nb
from tests.servers.gate import Gate
from tests.servers.slack import FakeSlack
from tests.servers.smtp import SmtpServer
from tests.servers.webhook import Webhook
from watchtower.app import App
from watchtower.health import render_status
from watchtower.metrics import DatabaseCollector

URGENCY = {"critical": 0, "warning": 1, "info": 2}
HOURS = 6
#: Probes of a six-hour outage: the waits double from 10 s to 10 min (-20%
#: jitter at worst: one every 8 min), so about 45; a drain every minute.
MAX_PROBES = 60


@pytest.fixture
def slack_gate(slack: FakeSlack) -> Iterator[Gate]:
    gate = Gate(int(urlsplit(slack.api_url).port or 0)).start()
    yield gate
    gate.stop()


@pytest.fixture
def smtp_gate(smtp: SmtpServer) -> Iterator[Gate]:
    gate = Gate(smtp.port).start()
    yield gate
    gate.stop()


@pytest.fixture
def gated_app(
    database_url: str,
    slack: FakeSlack,
    smtp: SmtpServer,
    slack_gate: Gate,
    smtp_gate: Gate,
    clock: Clock,
    write_config: Callable[[str], Path],
    monkeypatch: pytest.MonkeyPatch,
) -> Iterator[Callable[[str], App]]:
    """Apps (replicas) on one database whose Slack and SMTP server are behind gates,
    on the base config plus ``extra`` TOML; ops are told by e-mail and in Slack's #ops."""
    monkeypatch.setenv("SLACK_BOT_TOKEN", slack.token)
    slack.clock = clock.timestamp
    text = (
        base_config(database_url, slack, smtp)
        .replace(
            slack.api_url,
            slack.api_url.replace(f":{urlsplit(slack.api_url).port}/", f":{slack_gate.port}/"),
        )
        .replace(f"smtp_port = {smtp.port}", f"smtp_port = {smtp_gate.port}")
    )
    apps: list[App] = []

    def build(extra: str = "") -> App:
        app = make_app(write_config(text + extra), clock)
        app.loaded.config.watchtower.ops_notify.append("slack:#ops")
        apps.append(app)
        return app

    yield build
    for app in apps:
        app.close()


def drain_for(apps: list[App], clock: Clock, hours: float) -> None:
    """The daemon's delivery rounds, one a minute, for ``hours`` of simulated time."""
    end = clock.now + timedelta(hours=hours)
    while clock.now < end:
        for app in apps:
            app.outbox.drain()
        clock.advance(minutes=1)


def claim_order(app: App, prefix: str) -> list[int]:
    waiting = [r for r in rows(app) if r.target.startswith(prefix) and r.status == "pending"]
    waiting.sort(key=lambda r: (URGENCY[r.severity], r.next_attempt_at, r.id))
    return [r.id for r in waiting]


def outbox_metrics(app: App) -> dict[str, float]:
    text = generate_latest(DatabaseCollector(app.db, app.clock)).decode()
    out = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            if sample.name == "watchtower_outbox_depth":
                out[sample.labels["status"]] = sample.value
            elif sample.name == "watchtower_outbox_oldest_age_seconds":
                out["age"] = sample.value
    return out


def lines(caplog: pytest.LogCaptureFixture, level: int, text: str) -> int:
    return sum(
        1
        for r in caplog.records
        if r.levelno == level and r.name.startswith("watchtower") and text in r.getMessage()
    )


def slack_ids(slack: FakeSlack, channel: str = "#veille") -> list[int]:
    return [
        int(m["metadata"]["event_payload"]["outbox_id"])
        for m in slack.posts()
        if m["channel"] in (channel, slack.channel_id(channel))
    ]


def queue_mix(app: App, target: str, key: str) -> None:
    """25 rows: mostly info, some warnings, two critical ones."""
    queue(app, target, 20, key=f"{key}-info")
    queue(app, target, 3, key=f"{key}-warn", severity="warning")
    queue(app, target, 2, key=f"{key}-crit", severity="critical")


def test_slack_unreachable_for_six_hours_loses_nothing_and_says_it_once(
    gated_app: Callable[[], App],
    slack: FakeSlack,
    smtp: SmtpServer,
    slack_gate: Gate,
    clock: Clock,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG, logger="watchtower")
    app = gated_app()
    app.outbox.max_attempts = 12
    slack_gate.open = False  # Slack (or the network to it) is down
    queue_mix(app, "slack:#veille", "before")

    drain_for([app], clock, HOURS / 2)
    queue_mix(app, "slack:#veille", "during")  # new rows queue behind
    drain_for([app], clock, HOURS / 2)

    slack_rows = [r for r in rows(app) if r.target == "slack:#veille"]
    assert len(slack_rows) == 50
    assert {(r.status, r.attempts) for r in slack_rows} == {("pending", 0)}  # none lost
    assert 0 < slack_gate.reset <= MAX_PROBES  # one probe at a time, not one per row
    assert slack.posts() == []
    assert lines(caplog, logging.WARNING, "target unreachable") == 1
    assert lines(caplog, logging.WARNING, "notification will be retried") == 0
    warnings = [
        r for r in caplog.records if r.levelno >= logging.WARNING and r.name != "watchtower.app"
    ]
    assert len(warnings) <= 3, [r.getMessage() for r in warnings]
    # Ops were told once, by e-mail (the other kind), with the reason.
    [paused] = smtp.messages
    assert paused["To"] == "ops@example.fr" and "Slack" in paused["Subject"]
    assert "injoignable depuis le" in str(paused["Subject"])  # the reason said in French
    assert "unreachable since" not in str(paused["Subject"])
    # An outage, not a token to fix: said so (it ends by itself).
    assert nb("CRITIQUE – Slack est injoignable : ") in str(paused["Subject"])
    assert "jeton" not in paused.get_body().get_content()
    # What status and the metrics say: 50 waiting, the oldest for six hours.
    with app.db.session() as session:
        status = render_status(session, clock.now)
    assert "pending 50" in status and "Slack paused" in status
    metrics = outbox_metrics(app)
    assert metrics["pending"] == 50 and metrics["age"] >= (HOURS - 0.1) * 3600

    expected = claim_order(app, "slack:#veille")
    slack_gate.open = True  # Slack is back
    drain_for([app], clock, 0.25)

    assert slack_ids(slack) == expected  # each once, in claim order
    assert [r.severity for r in rows(app) if r.id in expected[:4]] == ["critical"] * 4
    assert {(r.status, r.attempts) for r in rows(app) if r.target == "slack:#veille"} == {
        ("sent", 1)
    }
    assert lines(caplog, logging.INFO, "target back") == 1
    assert len(smtp.messages) == 2  # and ops heard it is back
    assert "Slack" in str(smtp.messages[1]["Subject"])
    with app.db.session() as session:
        assert "Slack paused" not in render_status(session, clock.now)


def test_slack_answering_503_for_six_hours_loses_nothing(
    gated_app: Callable[[], App], slack: FakeSlack, clock: Clock
) -> None:
    app = gated_app()
    slack.refuse["chat.postMessage"] = 503
    queue_mix(app, "slack:#veille", "a")
    queue_mix(app, "slack:#veille", "b")

    drain_for([app], clock, HOURS)

    posts = [c for c in slack.calls if c.method == "chat.postMessage"]
    assert 0 < len(posts) <= MAX_PROBES
    slack_rows = [r for r in rows(app) if r.target == "slack:#veille"]
    assert {(r.status, r.attempts) for r in slack_rows} == {("pending", 0)}

    expected = claim_order(app, "slack:#veille")
    del slack.refuse["chat.postMessage"]
    drain_for([app], clock, 0.25)
    # In claim order; but a 5xx may be one message's own (test_poisoned_notification.py),
    # so the row that failed last does not probe twice in a row: the probe that finds
    # Slack back may be the next one in line.
    assert slack_ids(slack) in (expected, [expected[1], expected[0], *expected[2:]])


def test_smtp_server_down_for_six_hours_loses_nothing(
    gated_app: Callable[[str], App],
    slack: FakeSlack,
    smtp: SmtpServer,
    smtp_gate: Gate,
    clock: Clock,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.INFO, logger="watchtower")
    app = gated_app(naming("email:veille@example.fr"))
    smtp_gate.open = False
    queue_mix(app, "email:veille@example.fr", "a")
    queue_mix(app, "email:veille@example.fr", "b")

    drain_for([app], clock, HOURS)

    mail_rows = [r for r in rows(app) if r.target == "email:veille@example.fr"]
    assert {(r.status, r.attempts) for r in mail_rows} == {("pending", 0)}
    assert 0 < smtp_gate.reset <= MAX_PROBES
    assert lines(caplog, logging.WARNING, "target unreachable") == 1
    # Ops were told through Slack (e-mail is the one down), once.
    [notice] = slack.posts()
    assert notice["channel"] in ("#ops", slack.channel_id("#ops"))
    assert "Le serveur d'e-mail est injoignable" in notice["text"]
    assert "SMTP_PASSWORD" not in notice["text"]  # nothing to fix: it ends by itself

    expected = claim_order(app, "email:veille")
    smtp_gate.open = True
    drain_for([app], clock, 0.25)

    got = [
        int(re.match(r"<wt-(\d+)\.", str(m["Message-ID"])).group(1))  # type: ignore[union-attr]
        for m in smtp.messages
        if m["To"] == "veille@example.fr"
    ]
    assert got == expected
    assert lines(caplog, logging.INFO, "target back") == 1
    assert len(slack.posts()) == 2  # ops: paused, then back


def test_a_replica_does_not_retry_what_another_found_down_and_hears_it_is_back(
    gated_app: Callable[[], App], slack: FakeSlack, slack_gate: Gate, clock: Clock
) -> None:
    first, second = gated_app(), gated_app()
    slack_gate.open = False
    queue(first, "slack:#veille", 10)

    first.outbox.drain()
    assert slack_gate.reset == 1
    second.outbox.drain()  # the rows wait for the next probe, in the database
    assert slack_gate.reset == 1

    slack_gate.open = True
    drain_for([first], clock, 0.25)
    assert len(slack.posts()) == 10
    # The second replica knew Slack down; the first's deliveries tell it otherwise.
    [late] = queue(second, "slack:#veille", key="late")
    second.outbox.drain()
    assert slack_ids(slack)[-1] == late


def test_an_apprise_service_down_waits_alone(
    gated_app: Callable[[str], App], clock: Clock, slack: FakeSlack, smtp: SmtpServer
) -> None:
    down, up = Webhook().start(), Webhook().start()
    try:
        down_hook = f"apprise:json://127.0.0.1:{down.port}/hook"
        up_hook = f"apprise:json://127.0.0.1:{up.port}/hook"
        app = gated_app(naming(down_hook, up_hook))
        down.fail_next = 10_000  # HTTP 500: the service is down
        queue(app, down_hook, 5, key="down")
        queue(app, up_hook, 5, key="up")

        drain_for([app], clock, 1)

        assert len(up.posts) == 5  # the other Apprise service is not held
        waiting = [r for r in rows(app) if str(down.port) in r.target]
        assert {(r.status, r.attempts) for r in waiting} == {("pending", 0)}
        assert 10_000 - down.fail_next <= 20  # probes, not one try per row
        # Ops were told once, by e-mail and in #ops, naming the service without its token.
        [mail] = smtp.messages
        assert nb("Service injoignable : apprise:json://127.0.0.1:") in str(mail["Subject"])
        assert [p["channel"] for p in slack.posts()] in (["#ops"], [slack.channel_id("#ops")])

        down.fail_next = 0
        drain_for([app], clock, 0.25)
        assert len(down.posts) == 5
        assert "fonctionne à nouveau" in str(smtp.messages[-1]["Subject"])  # and it is back
    finally:
        down.stop()
        up.stop()


def test_a_row_refused_by_slack_still_spends_its_attempts(
    gated_app: Callable[[str], App], slack: FakeSlack, clock: Clock
) -> None:
    # Only answers about the row itself count: only admins may post there.
    app = gated_app(naming("slack:#nulle-part"))
    queue(app, "slack:#nulle-part")
    slack.error_next = ["restricted_action_read_only_channel"]

    app.outbox.drain()

    [row] = [r for r in rows(app) if r.target == "slack:#nulle-part"]
    assert row.status == "failed" and row.attempts == 1
