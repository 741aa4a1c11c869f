"""One e-mail the SMTP server hangs on does not hold the others.

A server that takes the connection, the login and the envelope, then never
answers one message's DATA (a content filter choking on it, a huge message)
while it takes every other, is not down: the next probe is another e-mail,
the others go out, and the hung one spends its attempts behind them, then is
failed and told to ops once — e-mail is never shown paused nor reported
unreachable. Its outcome is unknown each time (the server may have kept it):
the row says so, and each retry carries the same Message-ID. A server that
hangs on every DATA is down all the same: everything waits, in order, nothing
spent. Real aiosmtpd on loopback, a real (short) SMTP timeout, a simulated
clock for the hours of retries.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.alerting_helpers import Clock, make_app, naming, queue, rows
from tests.e2e.scenario import targets
from tests.servers.slack import FakeSlack
from tests.servers.smtp import SmtpServer
from watchtower.app import App
from watchtower.status_report import status_report
from watchtower.status_text import target_lines

POISON = "POISON"  # in the subject (and body) of the one message the server hangs on
ATTEMPTS = 12  # max_delivery_attempts' default
TIMEOUT = 0.4  # [email] timeout, seconds
HANG = 1.2  # how long the server sits on a message it chokes on
TARGET = "email:dircom@example.fr"
READERS = [TARGET, "email:presse@example.fr", "email:veille@example.fr"]  # a rule's readers


@pytest.fixture
def app(
    database_url: str,
    slack: FakeSlack,
    smtp: SmtpServer,
    clock: Clock,
    write_config: Callable[[str], Path],
    monkeypatch: pytest.MonkeyPatch,
) -> Iterator[App]:
    """E-mail with a short timeout, a rule sending to :data:`READERS`; ops are told
    in Slack's #ops."""
    monkeypatch.setenv("SLACK_BOT_TOKEN", slack.token)
    slack.clock = clock.timestamp
    text = targets(database_url, slack, smtp, 'ops_notify = ["slack:#ops"]').replace(
        'from = "veille@example.fr"', f'from = "veille@example.fr"\ntimeout = "{TIMEOUT}s"'
    )
    brands = '[[brands]]\nname = "Acmé"\nterms = ["Acmé"]\n'
    app = make_app(write_config(text + brands + naming(*READERS)), clock)
    yield app
    app.close()


def hang_on(smtp: SmtpServer, poisoned: Callable[[bytes], bool]) -> None:
    """Make the server sit on DATA, then hang up, for the messages ``poisoned`` picks."""
    accept = type(smtp.handler).handle_DATA.__get__(smtp.handler)

    async def choking(server: Any, session: Any, envelope: Any) -> str:
        if poisoned(envelope.content):
            await asyncio.sleep(HANG)
            server.transport.close()
            return "451 never sent"
        return str(await accept(server, session, envelope))

    smtp.handler.handle_DATA = choking  # type: ignore[method-assign]


def drain_for(app: App, clock: Clock, minutes: int) -> None:
    """The daemon's delivery rounds, one a minute."""
    for _ in range(minutes):
        app.outbox.drain()
        clock.advance(minutes=1)


def subjects(smtp: SmtpServer) -> list[str]:
    return [str(m["Subject"]) for m in smtp.messages]


def ops_posts(slack: FakeSlack) -> list[str]:
    ops = ("#ops", slack.channel_id("#ops"))
    return [str(p["text"]) for p in slack.posts() if p["channel"] in ops]


def shown_status(app: App, clock: Clock) -> str:
    with app.db.session() as session:
        report = status_report(session, app.loaded, clock.now)
    return "\n".join(target_lines(report["targets"], clock.now))


def test_one_email_the_server_hangs_on_holds_no_other(
    app: App,
    smtp: SmtpServer,
    slack: FakeSlack,
    clock: Clock,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.INFO, logger="watchtower")
    hang_on(smtp, lambda content: POISON.encode() in content)
    [poisoned] = queue(app, TARGET, key=POISON, severity="critical")  # first in line
    others = queue(app, TARGET, 5, key="normal")

    drain_for(app, clock, 3)

    # The others went out within a couple of rounds, each once.
    assert len(smtp.messages) == 5 and not any(POISON in s for s in subjects(smtp))
    assert {r.id: r.status for r in rows(app) if r.id in others} == dict.fromkeys(others, "sent")

    # Later e-mails go out at the next round, every time.
    for hour in range(4):
        drain_for(app, clock, 50)
        [late] = queue(app, TARGET, key=f"late-{hour}")
        app.outbox.drain()
        assert {r.id: r.status for r in rows(app)}[late] == "sent"

    # Its attempts ran out: failed for good, marked as possibly delivered, said once.
    [row] = [r for r in rows(app) if r.id == poisoned]
    assert (row.status, row.attempts) == ("failed", ATTEMPTS)
    assert row.outcome_unknown
    assert f"did not answer within {TIMEOUT:g} s to this message" in (row.last_error or "")
    failed = [r for r in caplog.records if r.getMessage() == "notification failed"]
    assert len(failed) == 1
    told = ops_posts(slack)
    assert sum(f"Notifications perdues pour {TARGET}" in t for t in told) == 1
    # E-mail itself was never reported unreachable nor shown paused.
    assert not any("injoignable" in t or "en pause" in t for t in told)
    assert sum("target unreachable" in r.getMessage() for r in caplog.records) <= 1
    assert "paused" not in shown_status(app, clock)
    assert {r.status for r in rows(app) if r.target == TARGET and r.id != poisoned} == {"sent"}


def test_a_server_that_hangs_on_every_message_still_holds_everything(
    app: App, smtp: SmtpServer, slack: FakeSlack, clock: Clock
) -> None:
    # Guard: when every DATA hangs, no message is at fault; nothing is spent or lost.
    hang_on(smtp, lambda content: True)
    queue(app, TARGET, key="crise", severity="critical")
    queue(app, TARGET, 3, key="normal")

    drain_for(app, clock, 30)

    assert {(r.status, r.attempts) for r in rows(app) if r.target == TARGET} == {("pending", 0)}
    assert smtp.messages == []
    # It lasted: ops hear that the e-mail server is down, through Slack.
    assert any("Le serveur d'e-mail est injoignable" in t for t in ops_posts(slack))

    hang_on(smtp, lambda content: False)
    drain_for(app, clock, 15)
    assert {r.status for r in rows(app) if r.target == TARGET} == {"sent"}
    assert len(smtp.messages) == 4  # each once


def test_one_message_hung_for_each_of_its_readers_holds_no_other(
    app: App,
    smtp: SmtpServer,
    slack: FakeSlack,
    clock: Clock,
    caplog: pytest.LogCaptureFixture,
) -> None:
    # One message per reader: the alert the server chokes on is three rows of the
    # same notification; they must not take turns at probing while the rest wait,
    # and once one is proven at fault, the others do not hold e-mail again.
    caplog.set_level(logging.INFO, logger="watchtower")
    hang_on(smtp, lambda content: POISON.encode() in content)
    poisoned = [queue(app, reader, key=POISON, severity="critical")[0] for reader in READERS]
    others = queue(app, TARGET, 3, key="normal")

    drain_for(app, clock, 30)

    assert {r.id: r.status for r in rows(app) if r.id in others} == dict.fromkeys(others, "sent")
    assert not any("injoignable" in t or "en pause" in t for t in ops_posts(slack))
    drain_for(app, clock, 6 * 60)
    assert {(r.status, r.attempts) for r in rows(app) if r.id in poisoned} == {("failed", ATTEMPTS)}
    assert "paused" not in shown_status(app, clock)
    assert sum("target unreachable" in r.getMessage() for r in caplog.records) == 1
