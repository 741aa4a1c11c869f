"""Replicas whose files are updated one after the other: a notification for a
target this replica's config does not name is left for the live replica whose
config names it, and re-addressed only when no live daemon names it.

Each daemon records the targets its running config names (``daemons.config_targets``,
SHA-256 digests) at start and at each reload applied. The rule used to be the
load time ("another replica loaded its config later: send as addressed"): after
both replicas reloaded the same file, the one that loaded first still sent a
late row to the target nobody names any more. A replica of 0.3.1 (no
``config_targets``) is still judged by its load time. Real Apprise ``json://``
posts to local HTTP services; PostgreSQL, as replicas share it.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

import pytest

from tests.e2e.alerting_helpers import Clock, make_app, queue, rows
from tests.e2e.daemon_rows import add_legacy_replica, started
from tests.e2e.test_readdress_after_reload import rule
from tests.e2e.webhooks import webhook_targets
from tests.servers.answering import AnsweringService
from watchtower.app import App
from watchtower.reload import Reloader


@pytest.fixture(autouse=True)
def _postgres(database_url: str) -> None:
    if database_url.startswith("sqlite"):
        pytest.skip("replicas share PostgreSQL; a SQLite file has one daemon")


@pytest.fixture
def hooks(old_hook: AnsweringService, new_hook: AnsweringService) -> tuple[str, str]:
    return webhook_targets(old_hook, new_hook)


@pytest.fixture
def two_replicas(
    app_for: Callable[[str], App], configure: Callable[[str], Path], clock: Clock
) -> Callable[..., tuple[App, App]]:
    """Start two replicas on one database, each past its first heartbeat: the
    first on a config whose rule ``équipe`` sends to ``first``, the second on the
    file then rewritten to send to ``second``; ``apart`` puts a minute between
    their starts. The test closes the second (``app_for`` closes the first)."""

    def start(first: str, second: str, *, apart: bool = False) -> tuple[App, App]:
        one = started(app_for(rule("équipe", first)), clock)
        if apart:
            clock.advance(minutes=1)
        return one, started(make_app(configure(rule("équipe", second)), clock), clock)

    return start


def titles(hook: AnsweringService) -> list[str]:
    return sorted(str(r.body["title"]) for r in hook.accepted())


def test_after_both_replicas_reloaded_a_late_row_for_the_dropped_target_is_readdressed(
    two_replicas: Callable[..., tuple[App, App]],
    configure: Callable[[str], Path],
    old_hook: AnsweringService,
    new_hook: AnsweringService,
    hooks: tuple[str, str],
    clock: Clock,
) -> None:
    # The known limit of 0.3.1: the replica that reloaded first stayed "behind"
    # the other and sent a late row as addressed, to the revoked webhook.
    old, new = hooks
    first, second = two_replicas(old, old)
    try:
        clock.advance(minutes=1)
        configure(rule("équipe", new))
        assert Reloader(first).reload() is True
        clock.advance(minutes=1)
        assert Reloader(second).reload() is True  # loaded the same file later
        # Queued with the old config after both looked (the spikes job's thread).
        late = queue(first, old, 2, key="tard", rules=["équipe"])
        first.outbox.drain()
    finally:
        second.close()

    assert old_hook.requests == []
    assert titles(new_hook) == ["[Mention] Article tard 0", "[Mention] Article tard 1"]
    by_id = {r.id: r for r in rows(first)}
    assert {by_id[i].status for i in late} == {"skipped"}


def test_a_replica_not_updated_yet_leaves_the_new_target_s_row_to_the_updated_one(
    two_replicas: Callable[..., tuple[App, App]],
    configure: Callable[[str], Path],
    old_hook: AnsweringService,
    new_hook: AnsweringService,
    hooks: tuple[str, str],
    clock: Clock,
) -> None:
    # A rolling update: B's copy of the file adds a target, A's not yet.
    old, new = hooks
    a, b = two_replicas(old, old)
    try:
        clock.advance(minutes=1)
        configure(rule("équipe", old) + rule("nouvelle", new))
        assert Reloader(b).reload() is True
        [row_id] = queue(b, new, 1, key="neuf", rules=["nouvelle"])
        a.outbox.drain()
        assert new_hook.requests == [] and old_hook.requests == []
        [row] = [r for r in rows(a) if r.id == row_id]
        assert (row.status, row.target, row.attempts) == ("pending", new, 0)

        a.outbox.drain()  # not claimed again at once: due after a drain interval
        clock.advance(minutes=1)
        b.outbox.drain()
    finally:
        b.close()
    assert old_hook.requests == []
    assert titles(new_hook) == ["[Mention] Article neuf 0"]
    [row] = [r for r in rows(a) if r.id == row_id]
    assert (row.status, row.target) == ("sent", new)


def test_a_replica_restarted_on_the_old_file_does_not_send_the_new_target_s_row_back(
    two_replicas: Callable[..., tuple[App, App]],
    old_hook: AnsweringService,
    new_hook: AnsweringService,
    hooks: tuple[str, str],
    clock: Clock,
) -> None:
    # B's file renames the webhook; A, not updated, restarts after: its config
    # was loaded last, yet the row B queued for the new webhook is B's to send.
    old, new = hooks
    b, a = two_replicas(new, old, apart=True)
    try:
        queue(b, new, 1, key="neuf", rules=["équipe"])
        a.outbox.drain()
        clock.advance(minutes=1)
        b.outbox.drain()
    finally:
        a.close()
    assert old_hook.requests == []
    assert titles(new_hook) == ["[Mention] Article neuf 0"]


def test_when_the_only_replica_naming_the_target_dies_the_row_is_readdressed(
    two_replicas: Callable[..., tuple[App, App]],
    old_hook: AnsweringService,
    new_hook: AnsweringService,
    hooks: tuple[str, str],
    clock: Clock,
) -> None:
    old, new = hooks
    a, b = two_replicas(new, old, apart=True)  # A updated, B not yet
    try:
        queue(b, old, 1, key="ancien", rules=["équipe"])
        a.outbox.drain()
        assert old_hook.requests == [] and new_hook.requests == []  # B's to send

        # B is killed: its liveness lock goes with its connection, its row stays
        # "running" (no clean stop).
        b.poller.heartbeat.close()
        clock.advance(minutes=1)
        a.outbox.drain()
    finally:
        b.close()
    assert old_hook.requests == []
    assert titles(new_hook) == ["[Mention] Article ancien 0"]
    moved = {(r.target, r.status) for r in rows(a) if r.dedup_key.startswith("ancien:")}
    assert moved == {(old, "skipped"), (new, "sent")}


@pytest.mark.parametrize("loaded", ["later", "earlier"])
def test_a_replica_of_0_3_1_is_judged_by_when_it_loaded_its_config(
    app_for: Callable[[str], App],
    old_hook: AnsweringService,
    new_hook: AnsweringService,
    hooks: tuple[str, str],
    clock: Clock,
    loaded: str,
) -> None:
    # It records no config_targets: the rule of 0.3.1 holds (a newer config may
    # have queued the row: sent as addressed; an older one: re-addressed).
    old, new = hooks
    app = started(app_for(rule("équipe", new)), clock)
    add_legacy_replica(app, clock() + timedelta(seconds=1 if loaded == "later" else -1))
    queue(app, old, 1, key="tard", rules=["équipe"])
    app.outbox.drain()

    sent_to = old_hook if loaded == "later" else new_hook
    assert titles(sent_to) == ["[Mention] Article tard 0"]
    assert (new_hook if loaded == "later" else old_hook).requests == []
