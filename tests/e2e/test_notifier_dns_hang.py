"""An SMTP relay whose name server is dead (``smtp.corp.local``, its zone down)
fails its send by the e-mail timeout, as "not reachable for now", naming the
host; the e-mails behind it wait without spending attempts, and the Slack alert
queued with them is delivered in the same drain, which ends.

The real drain, the fake Slack Web API and aiosmtpd on 127.0.0.1; the one
stand-in is the system's name resolution (:mod:`tests.servers.name_server`),
hanging on ``smtp.corp.local`` as a dead name server does.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tests.e2e.alerting_helpers import Clock, queue, rows
from tests.e2e.sending_app import sending_app, sending_config
from tests.servers.name_server import NameServer
from tests.servers.slack import FakeSlack
from tests.servers.smtp import SmtpServer
from watchtower.pipeline.dispatch import DrainStats

pytestmark = pytest.mark.timeout(120)

DEAD = "smtp.corp.local"
#: Far longer than the drain may take: the name server answers only when released.
HANG = 60.0
#: How long the test waits for the drain before calling it stuck (30 × the bound).
STUCK = 30.0


@pytest.fixture
def dns(monkeypatch: pytest.MonkeyPatch) -> Iterator[NameServer]:
    server = NameServer(hung=(DEAD,), hang=HANG).install(monkeypatch)
    yield server
    server.release.set()


def config(database_url: str, slack: FakeSlack, smtp: SmtpServer) -> str:
    text = sending_config(database_url, slack, smtp, "email:dircom@example.fr", "slack:#crise")
    text = text.replace('smtp_host = "127.0.0.1"', f'smtp_host = "{DEAD}"\ntimeout = "1s"')
    assert DEAD in text
    return text


def test_a_dead_name_server_fails_email_by_its_timeout_and_slack_goes_in_the_same_drain(
    database_url: str,
    slack: FakeSlack,
    smtp: SmtpServer,
    clock: Clock,
    write_config: Callable[[str], Path],
    monkeypatch: pytest.MonkeyPatch,
    dns: NameServer,
) -> None:
    path = write_config(config(database_url, slack, smtp))
    with sending_app(path, slack, clock, monkeypatch) as app:
        drained: list[DrainStats] = []
        drain = threading.Thread(target=lambda: drained.append(app.outbox.drain()), daemon=True)
        try:
            mails = queue(app, "email:dircom@example.fr", 3, key="mail")
            [alert] = queue(app, "slack:#crise", key="alert", severity="critical")

            drain.start()
            drain.join(STUCK)

            assert not drain.is_alive(), "the drain is held by the name server"
            assert dns.pending == {DEAD}  # it still has not answered
            [stats] = drained
            assert stats.sent == 1 and stats.failed == 0
            [post] = slack.posts()
            assert post["channel"] == "#crise"
            by_id = {row.id: row for row in rows(app)}
            assert by_id[alert].status == "sent"
            waiting = [by_id[i] for i in mails]
            assert {row.status for row in waiting} == {"pending"}
            assert all(row.attempts == 0 for row in waiting)  # unreachable: no attempt spent
            assert {row.last_error for row in waiting} == {
                f"cannot reach the SMTP server {DEAD}:{smtp.port} "
                f"(the DNS lookup of {DEAD} did not answer within 1s)"
            }
            assert dns.names() == [DEAD]  # one lookup: the others waited behind the probe
            assert smtp.messages == []
        finally:
            dns.release.set()
            drain.join(STUCK)
