"""A relay that refuses to relay for us ("Relay access denied": Postfix's answer
once the daemon's address left mynetworks) refuses every e-mail alike: e-mail
is paused as for a refused sender — every e-mail kept, ops told once what to
fix, the e-mails sent at the next try after the fix, ops told once it works.
One address refused on its own (5.1.1 user unknown) still fails that e-mail only.

Against a real aiosmtpd server whose RCPT handler refuses, then accepts.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.e2e.alerting_helpers import Clock, queue, rows
from tests.e2e.sending_app import sending_app, sending_config
from tests.servers.slack import FakeSlack
from tests.servers.smtp import SmtpServer
from watchtower.pipeline.retry_policy import PAUSE

ADDRESSES = ("dircom@example.fr", "veille@example.fr")


def _ops(slack: FakeSlack) -> list[str]:
    """The ops notices posted in #ops: subject and body (the blocks) as one text,
    without the zero-width spaces mrkdwn puts around an underscore."""
    posts = [p for p in slack.posts() if p["channel"] == "#ops"]
    return [json.dumps(p, ensure_ascii=False).replace("\u200b", "") for p in posts]


@pytest.mark.parametrize("language", ["fr", "en"])
def test_a_relay_refusing_every_address_keeps_critical_alerts_until_it_is_fixed(
    database_url: str,
    slack: FakeSlack,
    smtp: SmtpServer,
    clock: Clock,
    write_config: Callable[[str], Path],
    monkeypatch: pytest.MonkeyPatch,
    language: str,
) -> None:
    email_targets = [f"email:{a}" for a in ADDRESSES]
    config = sending_config(
        database_url, slack, smtp, *email_targets, ops_notify="slack:#ops", language=language
    )
    with sending_app(write_config(config), slack, clock, monkeypatch) as app:
        for n, target in enumerate(email_targets):
            queue(app, target, key=f"item{n}", severity="critical")
        for address in ADDRESSES:
            smtp.handler.refuse_rcpt[address] = f"554 5.7.1 <{address}>: Relay access denied"
        app.outbox.drain()
        clock.advance(minutes=1)
        app.outbox.drain()  # a second round before the fix: nothing more tried, nobody told twice

        mails = [r for r in rows(app) if r.target.startswith("email:")]
        assert {r.status for r in mails} == {"pending"}, [(r.status, r.last_error) for r in mails]
        assert {r.attempts for r in mails} <= {0, 1}
        assert smtp.messages == []
        [paused] = _ops(slack)
        if language == "fr":
            assert "L'e-mail est en pause" in paused
            assert "refuse de relayer pour cet expéditeur" in paused
            assert "règles de relais de [email] smtp_host" in paused
        else:
            assert "E-mail is paused" in paused
            assert "refuses to relay for this sender" in paused
            assert "relay rules of [email] smtp_host" in paused

        smtp.handler.refuse_rcpt.clear()  # the relay trusts this machine again
        clock.advance(seconds=PAUSE)  # one pause interval: the next try
        app.outbox.drain()
        assert sorted(m["to"] for m in smtp.messages) == sorted(ADDRESSES)
        mails = [r for r in rows(app) if r.target.startswith("email:")]
        assert {r.status for r in mails} == {"sent"}
        [_, back] = _ops(slack)
        expected = "L'envoi d'e-mails fonctionne à nouveau" if language == "fr" else "works again"
        assert expected in back

        clock.advance(seconds=PAUSE)
        app.outbox.drain()
        assert len(_ops(slack)) == 2  # told back once


def test_one_unknown_address_fails_its_email_only(
    database_url: str,
    slack: FakeSlack,
    smtp: SmtpServer,
    clock: Clock,
    write_config: Callable[[str], Path],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    email_targets = [f"email:{a}" for a in ADDRESSES]
    config = sending_config(database_url, slack, smtp, *email_targets, ops_notify="slack:#ops")
    with sending_app(write_config(config), slack, clock, monkeypatch) as app:
        for n, target in enumerate(email_targets):
            queue(app, target, key=f"item{n}", severity="critical")
        smtp.handler.refuse_rcpt[ADDRESSES[0]] = "550 5.1.1 <dircom@example.fr>: user unknown"
        app.outbox.drain()
        status = {r.target: r.status for r in rows(app) if r.target.startswith("email:")}
        assert status == {f"email:{ADDRESSES[0]}": "failed", f"email:{ADDRESSES[1]}": "sent"}
        assert not any("en pause" in t for t in _ops(slack))
