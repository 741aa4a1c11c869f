"""The operator corrects a target in the config: what waited for the old one follows.

A revoked webhook pauses its Apprise service; ops are told to fix the URL. The
operator puts the new URL in the file and the daemon reloads it: the
notifications that waited for the old URL go to the new one, once each, in
order; the log and ops say how many went where (URLs redacted); ``status`` no
longer shows the old URL paused. The same for a Slack channel renamed in the
config. Rows for a target the config still names, and rows whose rule was
removed, stay as they were. A real Apprise ``json://`` plugin posts to local
HTTP services; Slack is the fake Web API; ops read their mail on aiosmtpd.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tests.e2e.alerting_helpers import Clock, queue, rows
from tests.french import nb
from tests.servers.answering import AnsweringService
from tests.servers.slack import FakeSlack
from tests.servers.smtp import SmtpServer
from watchtower.app import App
from watchtower.reload import Reloader
from watchtower.status_report import status_report
from watchtower.status_text import target_lines

OLD_SECRET = "vieuxJet0nRevoque"
NEW_SECRET = "n0uveauJetonValide"


@pytest.fixture
def old_hook() -> Iterator[AnsweringService]:
    server = AnsweringService()
    server.status = 404  # the webhook was deleted on the service's side
    yield server
    server.stop()


@pytest.fixture
def new_hook() -> Iterator[AnsweringService]:
    server = AnsweringService()
    yield server
    server.stop()


def rule(name: str, target: str) -> str:
    return f'\n[[rules]]\nname = "{name}"\nbrands = ["Acmé"]\nnotify = ["{target}"]\n'


def ops_mails(smtp: SmtpServer) -> list[tuple[str, str]]:
    return [
        (str(m["Subject"]), m.get_body().get_content())
        for m in smtp.messages
        if m["To"] == "ops@example.fr"
    ]


def drain_for(app: App, clock: Clock, minutes: int) -> None:
    for _ in range(minutes):
        app.outbox.drain()
        clock.advance(minutes=1)


def shown_status(app: App, clock: Clock) -> str:
    with app.db.session() as session:
        report = status_report(session, app.loaded, clock.now)
    return "\n".join(target_lines(report["targets"], clock.now))


def test_a_corrected_webhook_url_gets_what_waited_for_the_old_one(
    app_for: Callable[[str], App],
    configure: Callable[[str], Path],
    old_hook: AnsweringService,
    new_hook: AnsweringService,
    smtp: SmtpServer,
    clock: Clock,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.INFO, logger="watchtower")
    old = f"apprise:json://127.0.0.1:{old_hook.port}/webhooks/{OLD_SECRET}"
    new = f"apprise:json://127.0.0.1:{new_hook.port}/webhooks/{NEW_SECRET}"
    app = app_for(rule("équipe", old))
    reloader = Reloader(app)
    queue(app, old, 2, key="matin", rules=["équipe"], severity="warning")
    queue(app, old, 1, key="crise", rules=["équipe"], severity="critical")
    drain_for(app, clock, 3)

    # Ops are told the address is refused, how many wait, and that a reload sends them.
    [(subject, body)] = ops_mails(smtp)
    assert nb("Adresse refusée : apprise:json://127.0.0.1") in subject
    assert "corrigez l'URL dans la configuration" in subject
    assert nb("Notifications en attente : 3.") in body and "après rechargement" in body
    assert OLD_SECRET not in subject + body

    # The operator puts the new webhook URL in the file; the daemon reloads it.
    configure(rule("équipe", new))
    assert reloader.reload() is True

    moved = [r.getMessage() for r in caplog.records if r.getMessage().startswith("re-addressed")]
    assert moved == [
        f"re-addressed 3 notifications from apprise:json://127.0.0.1:{old_hook.port}/… "
        f"to apprise:json://127.0.0.1:{new_hook.port}/…"
    ]
    drain_for(app, clock, 3)
    titles = [str(r.body["title"]) for r in new_hook.accepted()]
    assert len(titles) == len(set(titles)) == 3  # each once
    assert "critique" in titles[0].lower()  # the crisis first, as on the old URL
    assert {(r.status, r.target) for r in rows(app) if r.reason != "test"} >= {("sent", new)}
    assert {r.status for r in rows(app) if r.target == old} == {"skipped"}
    notice = ops_mails(smtp)[-1]
    assert "3 notifications en attente ré-adressées après rechargement" in notice[0]
    assert f"127.0.0.1:{new_hook.port}/…" in notice[1]
    assert "paused" not in shown_status(app, clock)
    assert OLD_SECRET not in caplog.text and NEW_SECRET not in caplog.text

    # Read again (SIGHUP, another replica's reload): nothing moves or goes twice.
    sent_before, mails_before = len(new_hook.requests), len(ops_mails(smtp))
    assert reloader.reload(force=True) in (True, None)
    drain_for(app, clock, 3)
    assert len(new_hook.requests) == sent_before
    assert len(ops_mails(smtp)) == mails_before


def test_a_renamed_slack_channel_gets_the_waiting_alerts_and_replies_without_a_lost_parent(
    app_for: Callable[[str], App],
    configure: Callable[[str], Path],
    slack: FakeSlack,
    clock: Clock,
) -> None:
    app = app_for(rule("veille", "slack:#veille-ancien"))
    reloader = Reloader(app)
    # A story went out on the old channel; a later sighting of it, and a new
    # story, were queued (not sent yet) when the channel was renamed.
    story = {"id": 7, "first": True, "sightings": 1}
    queue(app, "slack:#veille-ancien", key="story:7", rules=["veille"], story=story)
    app.outbox.drain()
    [parent] = slack.posts()
    queue(
        app,
        "slack:#veille-ancien",
        key="story:7:item",
        rules=["veille"],
        story=dict(story, first=False, sightings=2),
    )
    queue(app, "slack:#veille-ancien", key="story:8", rules=["veille"], story=dict(story, id=8))
    queue(app, "slack:#veille-ancien", key="story:9", rules=["veille"], story=dict(story, id=9))
    # The channel's new name: already given story 9 (queued there after the rename).
    queue(app, "slack:#veille-acme", key="story:9", rules=["veille"], story=dict(story, id=9))

    configure(rule("veille", "slack:#veille-acme"))
    assert reloader.reload() is True
    drain_for(app, clock, 2)

    acme = slack.channel_id("#veille-acme")
    posted = [m for m in slack.messages if m["channel_id"] == acme]
    titles = sorted(str(m.get("text")) for m in posted)
    assert len(posted) == 3 and len(set(titles)) == 3  # 7's sighting, 8, 9 once
    # The sighting's parent is in the old channel: a full message in the new one.
    assert not any(m.get("thread_ts") for m in posted)
    assert not slack.replies(parent["ts"])
    states = {r.target: set() for r in rows(app)}
    for r in rows(app):
        states[r.target].add(r.status)
    assert states["slack:#veille-ancien"] == {"sent", "skipped"}
    assert states["slack:#veille-acme"] == {"sent"}


def test_rows_for_a_named_target_or_a_removed_rule_stay_as_they_were(
    app_for: Callable[[str], App],
    configure: Callable[[str], Path],
    old_hook: AnsweringService,
    new_hook: AnsweringService,
) -> None:
    # Guard: only what the new config can route is re-addressed.
    old = f"apprise:json://127.0.0.1:{old_hook.port}/webhooks/{OLD_SECRET}"
    new = f"apprise:json://127.0.0.1:{new_hook.port}/webhooks/{NEW_SECRET}"
    app = app_for(rule("équipe", old) + rule("archive", "slack:#archive"))
    reloader = Reloader(app)
    [kept] = queue(app, "slack:#archive", key="a", rules=["archive"])
    [orphan] = queue(app, old, key="b", rules=["supprimée"])
    [moved] = queue(app, old, key="c", rules=["équipe"])

    configure(rule("équipe", new) + rule("archive", "slack:#archive"))
    assert reloader.reload() is True

    by_id = {r.id: r for r in rows(app)}
    assert (by_id[kept].status, by_id[kept].target) == ("pending", "slack:#archive")
    assert (by_id[orphan].status, by_id[orphan].target) == ("pending", old)
    assert by_id[moved].status == "skipped"
    assert [(r.status, r.dedup_key) for r in rows(app) if r.target == new] == [("pending", "c:0")]


def test_an_address_corrected_while_stopped_gets_what_was_held_for_the_old_one(
    app_for: Callable[[str], App], smtp: SmtpServer, clock: Clock
) -> None:
    # An e-mail held for the night's quiet hours of an address the operator then
    # corrected, the daemon stopped: the restarted daemon sends it to the new one.
    quiet = '\n[[quiet_hours]]\ntargets = ["email:ancien@example.fr"]\nwindows = ["wed"]\n'
    before = app_for(rule("équipe", "email:ancien@example.fr") + quiet)
    queue(before, "email:ancien@example.fr", key="soir", rules=["équipe"])
    before.outbox.drain()
    assert {r.status for r in rows(before) if r.target == "email:ancien@example.fr"} == {"held"}

    after = app_for(rule("équipe", "email:nouveau@example.fr"))
    Reloader(after).readdress_waiting()  # what the reload worker does when it starts
    after.outbox.drain()

    [mail] = [m for m in smtp.messages if m["To"] == "nouveau@example.fr"]
    assert "Article soir 0" in str(mail["Subject"])
    assert not [m for m in smtp.messages if m["To"] == "ancien@example.fr"]
    assert {r.status for r in rows(after) if r.target == "email:ancien@example.fr"} == {"skipped"}


def test_two_replicas_reloading_the_same_file_move_each_notification_once(
    app_for: Callable[[str], App],
    configure: Callable[[str], Path],
    old_hook: AnsweringService,
    new_hook: AnsweringService,
    smtp: SmtpServer,
    clock: Clock,
) -> None:
    old = f"apprise:json://127.0.0.1:{old_hook.port}/webhooks/{OLD_SECRET}"
    new = f"apprise:json://127.0.0.1:{new_hook.port}/webhooks/{NEW_SECRET}"
    replicas = [app_for(rule("équipe", old)), app_for(rule("équipe", old))]
    reloaders = [Reloader(app) for app in replicas]
    queue(replicas[0], old, 3, key="matin", rules=["équipe"])

    configure(rule("équipe", new))
    assert [reloader.reload() for reloader in reloaders] == [True, True]
    for app in replicas:
        drain_for(app, clock, 2)

    assert len(new_hook.requests) == 3
    assert [r.dedup_key for r in rows(replicas[0]) if r.target == new] == [
        "matin:0",
        "matin:1",
        "matin:2",
    ]
    told = [s for s, _ in ops_mails(smtp) if "ré-adressées" in s]
    assert len(told) == 1
