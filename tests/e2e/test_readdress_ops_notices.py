"""Ops notices waiting for an old ``ops_notify`` target follow the corrected one.

The operator's own channel was wrong (a revoked ops webhook): the notices meant
for ops — a refused config, a Slack token refused — wait for it. Once the file
names the right ``ops_notify`` target and is reloaded (or the daemon restarts),
they go there, once each; a notice about a target kind never goes through that
kind. A real Apprise ``json://`` plugin posts to local HTTP services; ops read
their mail on aiosmtpd; Slack is the fake Web API.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tests.e2e.alerting_helpers import Clock, make_app, rows
from tests.e2e.scenario import targets
from tests.e2e.test_readdress_after_reload import drain_for, ops_mails
from tests.servers.answering import AnsweringService
from tests.servers.slack import FakeSlack
from tests.servers.smtp import SmtpServer
from watchtower.app import App
from watchtower.reload import Reloader

OLD_SECRET = "anc1enJetonOps"
NEW_SECRET = "n0uveauJetonOps"


@pytest.fixture
def old_hook() -> Iterator[AnsweringService]:
    server = AnsweringService()
    server.status = 404  # the ops webhook was deleted
    yield server
    server.stop()


@pytest.fixture
def new_hook() -> Iterator[AnsweringService]:
    server = AnsweringService()
    yield server
    server.stop()


@pytest.fixture
def configure(
    database_url: str,
    slack: FakeSlack,
    smtp: SmtpServer,
    write_config: Callable[[str], Path],
    monkeypatch: pytest.MonkeyPatch,
    clock: Clock,
) -> Iterator[Callable[[list[str]], Path]]:
    """Write (or rewrite) the config with these ``ops_notify`` targets."""
    monkeypatch.setenv("SLACK_BOT_TOKEN", slack.token)
    slack.clock = clock.timestamp

    def write(ops: list[str]) -> Path:
        watchtower = "ops_notify = [" + ", ".join(f'"{t}"' for t in ops) + "]"
        return write_config(
            f'{targets(database_url, slack, smtp, watchtower)}\n[[brands]]\nname = "Acmé"\n'
            'terms = ["Acmé"]\n'
        )

    yield write


@pytest.fixture
def started(clock: Clock) -> Iterator[Callable[[Path], App]]:
    apps: list[App] = []

    def start(path: Path) -> App:
        apps.append(make_app(path, clock))
        return apps[-1]

    yield start
    for app in apps:
        app.close()


def test_a_refused_config_told_to_a_revoked_ops_webhook_reaches_the_corrected_ops_notify(
    configure: Callable[[list[str]], Path],
    started: Callable[[Path], App],
    old_hook: AnsweringService,
    smtp: SmtpServer,
    clock: Clock,
) -> None:
    old = f"apprise:json://127.0.0.1:{old_hook.port}/ops/{OLD_SECRET}"
    path = configure([old])
    app = started(path)
    reloader = Reloader(app)
    good = path.read_text(encoding="utf-8")

    # A broken save: ops are told, through a webhook that was deleted meanwhile.
    path.write_text(good + "\n[[brands]]\nname = 3\n", encoding="utf-8")
    assert reloader.reload() is False
    drain_for(app, clock, 2)
    [refused] = [r for r in rows(app) if r.dedup_key.startswith("config-rejected:")]
    assert (refused.status, refused.target) == ("pending", old)  # waiting for the old one

    # The operator fixes both: the file, and ops_notify (a mailbox now).
    configure(["email:ops@example.fr"])
    assert reloader.reload() is True
    drain_for(app, clock, 2)

    subjects = [subject for subject, _ in ops_mails(smtp)]
    assert sum("Configuration refusée" in s for s in subjects) == 1
    assert sum("de nouveau valide" in s for s in subjects) == 1
    assert sum("ré-adressée" in s for s in subjects) == 1
    assert {r.status for r in rows(app) if r.target == old} == {"skipped"}
    sent_to_old = len(old_hook.requests)

    # Read again (SIGHUP, another replica): nothing moves or goes twice.
    assert reloader.reload(force=True) in (True, None)
    drain_for(app, clock, 2)
    assert len(ops_mails(smtp)) == len(subjects)
    assert len(old_hook.requests) == sent_to_old


def test_a_notice_about_a_kind_follows_ops_notify_but_never_through_that_kind(
    configure: Callable[[list[str]], Path],
    started: Callable[[Path], App],
    old_hook: AnsweringService,
    new_hook: AnsweringService,
    clock: Clock,
) -> None:
    old = f"apprise:json://127.0.0.1:{old_hook.port}/ops/{OLD_SECRET}"
    new = f"apprise:json://127.0.0.1:{new_hook.port}/ops/{NEW_SECRET}"
    app = started(configure(["slack:#veille-ops", old]))
    reloader = Reloader(app)
    # Slack refused its token (what the dispatcher reports): ops hear it outside Slack.
    app.alerting.target_disabled("slack", "Slack refused the message: token_revoked")
    drain_for(app, clock, 2)
    paused = [r for r in rows(app) if r.dedup_key.startswith("ops:slack-paused:")]
    assert [(r.status, r.target) for r in paused] == [("pending", old)]

    configure(["slack:#veille-ops", new])
    assert reloader.reload() is True
    drain_for(app, clock, 2)

    paused = [r for r in rows(app) if r.dedup_key.startswith("ops:slack-paused:")]
    assert {(r.status, r.target) for r in paused} == {("skipped", old), ("sent", new)}
    [notice] = [r for r in new_hook.accepted() if "Slack est en pause" in str(r.body["title"])]
    assert OLD_SECRET not in str(notice.body) and NEW_SECRET not in str(notice.body)
    assert not [r for r in rows(app) if OLD_SECRET in str(r.payload)]  # "about": a digest
