"""A notification queued with the old config after the reload still follows the new one.

The reload re-addresses what waits for a target the file no longer names, but
a row can be queued for the old target after it looked: by the spikes job in
another thread that read the config before the swap, or by a replica that has
not reloaded yet. At delivery such a row goes where the config routes it now
(its rule's targets, else ``ops_notify``, said on the row and in the log),
never to the old target, once each even when two replicas drain together. A
real Apprise ``json://`` plugin posts to local HTTP services; Slack is the fake
Web API; ops read their mail on aiosmtpd.
"""

from __future__ import annotations

import logging
import threading
from collections import Counter
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

import pytest

from tests.e2e.alerting_helpers import Clock, make_app, queue, rows
from tests.e2e.test_readdress_after_reload import drain_for, rule
from tests.e2e.test_readdress_alerts_digests import spikes
from tests.e2e.webhooks import NEW_SECRET, OLD_SECRET, webhook_targets
from tests.servers.answering import AnsweringService
from tests.servers.slack import FakeSlack
from tests.servers.smtp import SmtpServer
from watchtower.app import App
from watchtower.reload import Reloader
from watchtower.spike_alert import queue_alert
from watchtower.spikes import Verdict, scopes

READDRESSED = "(config changed)"


def spike_alert_queued_after_reload(
    app_for: Callable[[str], App], configure: Callable[[str], Path], clock: Clock, config: str
) -> App:
    """An App whose ``[spikes]`` alert ``slack:#crise-ancien`` and the direction.
    The operator rewrites the config with ``config`` as its extra TOML and the
    daemon reloads; the spikes job, which read its scopes before the reload,
    queues Acmé's alert after it; two minutes of drains follow."""
    app = app_for(spikes("slack:#crise-ancien", "email:direction@example.fr"))
    reloader = Reloader(app)
    [scope] = [s for s in scopes(app.loaded.config) if (s.kind, s.name) == ("brand", "Acmé")]
    configure(config)
    assert reloader.reload() is True
    with app.db.session() as session:
        queue_alert(
            session, scope, Verdict(40, 2.0, 1e-9, 9.0, True), timedelta(hours=1), clock.now
        )
    drain_for(app, clock, 2)
    return app


@pytest.mark.parametrize(
    "old_status",
    [
        200,  # the old webhook still works: the team that was moved away reads it
        404,  # deleted: the row would wait for a service nobody names any more
    ],
)
def test_a_row_queued_for_the_old_url_after_the_reload_goes_to_the_new_url(
    app_for: Callable[[str], App],
    configure: Callable[[str], Path],
    old_hook: AnsweringService,
    new_hook: AnsweringService,
    clock: Clock,
    caplog: pytest.LogCaptureFixture,
    old_status: int,
) -> None:
    caplog.set_level(logging.INFO, logger="watchtower")
    old_hook.status = old_status
    old, new = webhook_targets(old_hook, new_hook)
    app = app_for(rule("équipe", old))
    reloader = Reloader(app)
    configure(rule("équipe", new))
    assert reloader.reload() is True  # nothing waited: nothing moved
    # Queued with the config read before the swap, after the reload looked.
    late = queue(app, old, 2, key="tard", rules=["équipe"])
    queue(app, new, 1, key="nouveau", rules=["équipe"])
    drain_for(app, clock, 3)

    assert old_hook.requests == []
    titles = sorted(str(r.body["title"]) for r in new_hook.accepted())
    assert titles == [f"[Mention] Article {k}" for k in ("nouveau 0", "tard 0", "tard 1")]
    by_id = {r.id: r for r in rows(app)}
    for row_id in late:
        assert by_id[row_id].status == "skipped"
        assert (by_id[row_id].last_error or "").endswith(READDRESSED)
    copies = [r for r in by_id.values() if r.dedup_key.startswith("tard:") and r.target == new]
    assert len(copies) == 2 and {r.status for r in copies} == {"sent"}
    assert all("re-addressed from apprise:json://127.0.0.1" in r.reason for r in copies)
    logged = [r.getMessage() for r in caplog.records if r.getMessage().startswith("re-addressed")]
    assert f"127.0.0.1:{new_hook.port}/…" in logged[-1]
    assert OLD_SECRET not in caplog.text and NEW_SECRET not in caplog.text


def test_a_spike_alert_the_spikes_job_queued_with_the_old_config_follows_the_channel(
    app_for: Callable[[str], App],
    configure: Callable[[str], Path],
    slack: FakeSlack,
    clock: Clock,
) -> None:
    # The spikes job read its scopes before the reload, and queues after it.
    app = spike_alert_queued_after_reload(
        app_for, configure, clock, spikes("slack:#crise", "email:direction@example.fr")
    )

    assert not [m for m in slack.messages if m["channel_id"] == slack.channel_id("#crise-ancien")]
    [post] = [m for m in slack.posts() if m["channel_id"] == slack.channel_id("#crise")]
    assert "Acmé" in str(post.get("text"))
    alerts = {(r.target, r.status) for r in rows(app) if r.dedup_key.startswith("spike:")}
    assert alerts == {("slack:#crise-ancien", "skipped"), ("slack:#crise", "sent")}


def test_with_no_route_left_a_late_alert_goes_to_ops_and_says_so(
    app_for: Callable[[str], App],
    configure: Callable[[str], Path],
    slack: FakeSlack,
    smtp: SmtpServer,
    clock: Clock,
) -> None:
    # [spikes] removed: nothing routes a spike alert now.
    app = spike_alert_queued_after_reload(app_for, configure, clock, "")

    assert not [m for m in slack.messages if m["channel_id"] == slack.channel_id("#crise-ancien")]
    assert sum("Acmé" in str(m["Subject"]) for m in smtp.messages if m["To"] == "ops@example.fr")
    alerts = {(r.target, r.status) for r in rows(app) if r.dedup_key.startswith("spike:")}
    assert alerts == {("slack:#crise-ancien", "skipped"), ("email:ops@example.fr", "sent")}
    [old] = [r for r in rows(app) if r.target == "slack:#crise-ancien"]
    assert "no route for it now: sent to ops_notify" in (old.last_error or "")


def test_two_replicas_draining_together_readdress_each_late_row_once(
    database_url: str,
    app_for: Callable[[str], App],
    configure: Callable[[str], Path],
    old_hook: AnsweringService,
    new_hook: AnsweringService,
    clock: Clock,
) -> None:
    if database_url.startswith("sqlite"):
        pytest.skip("replicas share PostgreSQL; a SQLite file has one daemon")
    old, new = webhook_targets(old_hook, new_hook)
    first = app_for(rule("équipe", new))
    second = make_app(configure(rule("équipe", new)), clock)  # same database, same file
    try:
        # A third replica still on the old file queued these.
        queue(first, old, 6, key="tard", rules=["équipe"])
        for _ in range(3):
            drains = [threading.Thread(target=app.outbox.drain) for app in (first, second)]
            for thread in drains:
                thread.start()
            for thread in drains:
                thread.join()
            clock.advance(minutes=1)
    finally:
        second.close()

    assert old_hook.requests == []
    titles = sorted(str(r.body["title"]) for r in new_hook.accepted())
    assert titles == [f"[Mention] Article tard {i}" for i in range(6)]
    late = [r for r in rows(first) if r.dedup_key.startswith("tard:")]
    assert Counter((r.target, r.status) for r in late) == {(new, "sent"): 6, (old, "skipped"): 6}


def test_a_replica_still_on_the_old_file_leaves_what_the_newer_config_queued_to_it(
    app_for: Callable[[str], App],
    configure: Callable[[str], Path],
    old_hook: AnsweringService,
    new_hook: AnsweringService,
    clock: Clock,
) -> None:
    # Replicas read their own copy of the file, updated one after the other: the
    # one not updated yet must not send what the newer config queued for its new
    # target back to the old one; each leaves to the other the rows of a target
    # only the other's config names, until the files agree.
    old, new = webhook_targets(old_hook, new_hook)
    newer = app_for(rule("équipe", new))
    older = make_app(configure(rule("équipe", old)), clock)
    try:
        for app in (newer, older):
            app.poller.heartbeat.start(app.db, clock())
        clock.advance(minutes=1)
        newer.poller.heartbeat.config_loaded(newer.db, clock())  # the file changed here first

        queue(newer, new, 2, key="neuf", rules=["équipe"])
        older.outbox.drain()
        assert old_hook.requests == [] and new_hook.requests == []  # the newer one's
        clock.advance(minutes=1)
        newer.outbox.drain()
        assert sorted(str(r.body["title"]) for r in new_hook.accepted()) == [
            "[Mention] Article neuf 0",
            "[Mention] Article neuf 1",
        ]

        queue(older, old, 1, key="tard", rules=["équipe"])
        newer.outbox.drain()  # the older one's, until its file is updated
        assert old_hook.requests == []
        assert len(new_hook.accepted()) == 2

        clock.advance(minutes=1)
        configure(rule("équipe", new))  # its copy of the file caught up
        assert Reloader(older).reload() is True
        queue(newer, old, 1, key="encore", rules=["équipe"])  # nobody names it now
        older.outbox.drain()
        assert old_hook.requests == []
        assert len(new_hook.accepted()) == 4
    finally:
        older.close()
    late = {r.dedup_key: (r.target, r.status) for r in rows(newer) if r.target == new}
    assert late == {
        "neuf:0": (new, "sent"),
        "neuf:1": (new, "sent"),
        "tard:0": (new, "sent"),
        "encore:0": (new, "sent"),
    }
