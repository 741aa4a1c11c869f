"""Spike alerts and summaries waiting for a target a reload dropped follow the config.

The operator renames the crisis channel or fixes an address while a spike
alert, its escalation or a digest waits for the old one: after the reload they
go where the config sends them now (``[spikes]`` notify and escalate_notify, the
digest's rule), once each, and ops hear how many moved. One whose route cannot
be decided (a ``[[digests]]`` address corrected: nothing says which current
address it was; the rule of an alert removed) goes to ``ops_notify`` instead,
recorded as such. The old target never gets them, and the calm-down of a moved
alert goes to the new channel only. Slack is the fake Web API; e-mail is aiosmtpd.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from tests.e2e.alerting_helpers import Clock, queue, rows
from tests.servers.slack import FakeSlack
from tests.servers.smtp import SmtpServer
from watchtower import escalation
from watchtower.app import App
from watchtower.config import SpikesSection
from watchtower.reload import Reloader
from watchtower.spike_alert import queue_alert
from watchtower.spike_calm import calm
from watchtower.spikes import Verdict, scopes
from watchtower.storage.tables import OutboxRow

WINDOW = timedelta(hours=1)


def spikes(notify: str, escalate: str) -> str:
    return (
        f'\n[spikes]\nmin_count = 10\nnotify = ["{notify}"]\nescalate_to = ["@U0123"]\n'
        f'ack_timeout = "15m"\nescalate_notify = ["{escalate}"]\n'
    )


def alert(app: App, kind: str = "brand", name: str = "Acmé") -> str:
    """Queue the spike alert of a brand or rule as the spikes job does; return its key."""
    [scope] = [s for s in scopes(app.loaded.config) if (s.kind, s.name) == (kind, name)]
    with app.db.session() as session:
        queue_alert(session, scope, Verdict(40, 2.0, 1e-9, 9.0, True), WINDOW, app.clock())
        spike = OutboxRow.dedup_key.startswith(f"spike:{kind}:")
        return str(session.scalar(select(OutboxRow.dedup_key).where(spike)))


def mails_to(smtp: SmtpServer, address: str) -> list[str]:
    return [str(m["Subject"]) for m in smtp.messages if m["To"] == address]


def drain_for(app: App, clock: Clock, minutes: int) -> None:
    for _ in range(minutes):
        app.outbox.drain()
        clock.advance(minutes=1)


def test_a_spike_alert_and_its_escalation_follow_the_renamed_channel_and_address(
    app_for: Callable[[str], App],
    configure: Callable[[str], Path],
    slack: FakeSlack,
    smtp: SmtpServer,
    clock: Clock,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.INFO, logger="watchtower")
    app = app_for(spikes("slack:#crise-ancien", "email:direction-ancien@example.fr"))
    reloader = Reloader(app)
    key = alert(app)
    clock.advance(minutes=16)  # nobody acknowledged it: escalated
    assert escalation.check_escalations(app.db, app.notifier_for, clock.now) == 1

    configure(spikes("slack:#crise", "email:direction@example.fr"))
    assert reloader.reload() is True
    drain_for(app, clock, 2)

    crise, old = slack.channel_id("#crise"), slack.channel_id("#crise-ancien")
    [post] = [m for m in slack.posts() if m["channel_id"] == crise]
    assert "Acmé" in str(post.get("text"))
    assert not [m for m in slack.messages if m["channel_id"] == old]
    [escalated] = mails_to(smtp, "direction@example.fr")
    assert "Acmé" in escalated
    assert mails_to(smtp, "direction-ancien@example.fr") == []
    by_target = {(r.target, r.status) for r in rows(app) if r.dedup_key.startswith(key)}
    assert by_target == {
        ("slack:#crise-ancien", "skipped"),
        ("email:direction-ancien@example.fr", "skipped"),
        ("slack:#crise", "sent"),
        ("email:direction@example.fr", "sent"),
    }
    [notice] = [s for s in mails_to(smtp, "ops@example.fr") if "ré-adressées" in s]
    assert "2 notifications en attente ré-adressées après rechargement" in notice

    # Read again (SIGHUP, another replica): nothing moves or goes twice.
    posts, mails = len(slack.posts()), len(smtp.messages)
    assert reloader.reload(force=True) in (True, None)
    drain_for(app, clock, 2)
    assert (len(slack.posts()), len(smtp.messages)) == (posts, mails)

    # Its end is told where it went now, and to the escalation's new address.
    clock.advance(hours=1)
    with app.db.session() as session:
        assert calm(session, {}, SpikesSection(min_count=10, window=WINDOW), clock.now) == 1
    calm_targets = {
        r.target for r in rows(app) if r.dedup_key == f"calm:{key}" and r.status == "pending"
    }
    assert calm_targets == {"slack:#crise", "email:direction@example.fr"}


def test_a_rule_digest_follows_its_rule_to_the_corrected_address(
    app_for: Callable[[str], App],
    configure: Callable[[str], Path],
    smtp: SmtpServer,
    clock: Clock,
) -> None:
    def digest(address: str) -> str:
        return (
            f'\n[[rules]]\nname = "veille"\nbrands = ["Acmé"]\nnotify = ["email:{address}"]\n'
            'digest = "daily 08:30"\n'
        )

    app = app_for(digest("dircom@exemple.fr"))  # a typo in the domain
    reloader = Reloader(app)
    queue(app, "email:dircom@exemple.fr", 3, rules=["veille"])
    app.outbox.drain()  # held for the digest
    clock.now = clock.now.replace(hour=7, minute=31) + timedelta(days=1)  # 08:31 Paris
    app.alerting.tick()  # the digest is queued for the old address

    configure(digest("dircom@example.fr"))
    assert reloader.reload() is True
    drain_for(app, clock, 2)

    [subject] = mails_to(smtp, "dircom@example.fr")
    assert "Résumé quotidien\u00a0: 3 mentions" in subject
    assert mails_to(smtp, "dircom@exemple.fr") == []
    summaries = [r for r in rows(app) if r.dedup_key.startswith("summary:digest:")]
    assert len({r.dedup_key for r in summaries}) == 1  # one digest, re-addressed
    assert {(r.target, r.status) for r in summaries} == {
        ("email:dircom@exemple.fr", "skipped"),
        ("email:dircom@example.fr", "sent"),
    }
    assert any("ré-adressée après rechargement" in s for s in mails_to(smtp, "ops@example.fr"))


def test_what_no_route_claims_any_more_goes_to_ops_once_and_says_so(
    app_for: Callable[[str], App],
    configure: Callable[[str], Path],
    slack: FakeSlack,
    smtp: SmtpServer,
    clock: Clock,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.INFO, logger="watchtower")

    def director(address: str) -> str:
        return f'\n[[digests]]\ntargets = ["email:{address}"]\ndigest = "daily 08:30"\n'

    launch = (
        '\n[[rules]]\nname = "lancement"\nbrands = ["Globex"]\nspikes = true\n'
        'notify = ["slack:#lancement"]\n'
    )
    app = app_for(director("dg@exemple.fr") + launch)
    reloader = Reloader(app)
    queue(app, "email:dg@exemple.fr", 2, rules=[])
    app.outbox.drain()
    clock.now = clock.now.replace(hour=7, minute=31) + timedelta(days=1)
    app.alerting.tick()  # the director's digest, queued for the mistyped address
    key = alert(app, "rule", "lancement")

    # The address corrected, and the launch over: its rule and channel are gone.
    configure(director("dg@example.fr"))
    assert reloader.reload() is True
    drain_for(app, clock, 2)

    # Nobody can say the director's digest is for the new address, nor where
    # the launch's alert goes: ops get both, never the old targets.
    ops = mails_to(smtp, "ops@example.fr")
    assert sum("Résumé quotidien" in s for s in ops) == 1
    assert sum("lancement" in s for s in ops) == 1
    assert mails_to(smtp, "dg@exemple.fr") == mails_to(smtp, "dg@example.fr") == []
    assert not [m for m in slack.messages if m["channel_id"] == slack.channel_id("#lancement")]
    skipped = [r for r in rows(app) if r.status == "skipped"]
    assert {r.target for r in skipped} == {"email:dg@exemple.fr", "slack:#lancement"}
    assert all("no route for it now: sent to ops_notify" in (r.last_error or "") for r in skipped)
    assert any(r.target == "email:ops@example.fr" and r.dedup_key == key for r in rows(app))
    logged = [r.getMessage() for r in caplog.records if r.getMessage().startswith("re-addressed")]
    assert len(logged) == 2 and all("no route for it now" in line for line in logged)
    [notice] = [s for s in ops if "ré-adressées" in s]
    assert "2 notifications en attente ré-adressées après rechargement" in notice

    mails = len(smtp.messages)
    assert reloader.reload(force=True) in (True, None)
    drain_for(app, clock, 2)
    assert len(smtp.messages) == mails


def test_an_alert_escalated_after_the_reload_goes_to_the_new_escalation_address(
    app_for: Callable[[str], App],
    configure: Callable[[str], Path],
    smtp: SmtpServer,
    clock: Clock,
) -> None:
    app = app_for(spikes("slack:#crise", "email:direction-ancien@example.fr"))
    reloader = Reloader(app)
    alert(app)
    app.outbox.drain()  # the alert is out; nobody acknowledges it

    configure(spikes("slack:#crise", "email:direction@example.fr"))
    assert reloader.reload() is True
    clock.advance(minutes=16)
    assert escalation.check_escalations(app.db, app.notifier_for, clock.now) == 1
    drain_for(app, clock, 2)

    [escalated] = mails_to(smtp, "direction@example.fr")
    assert "Acmé" in escalated
    assert mails_to(smtp, "direction-ancien@example.fr") == []
