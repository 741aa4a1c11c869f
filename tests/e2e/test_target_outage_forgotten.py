"""A reload that drops a target ends the outage this process kept for it.

An Apprise service is down; the operator corrects its URL and the daemon
reloads: what waited goes to the new URL (tests/e2e/test_readdress_after_reload.py).
The old URL's outage, kept in memory, would otherwise stay until a restart —
nothing delivers to that URL again to end it — and keep every Apprise target
claimed one row at a time, the database asked about the old URL each round.
:func:`forget_targets`, which the reload calls with the targets the new config
names, ends it; the targets it still names keep their outage (a guard).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import event

from tests.e2e.alerting_helpers import Clock, queue, rows
from tests.servers.answering import AnsweringService
from watchtower.app import App
from watchtower.pipeline.route import configured_targets
from watchtower.pipeline.target_outages import forget_targets
from watchtower.reload import Reloader


@pytest.fixture
def hooks() -> Iterator[tuple[AnsweringService, AnsweringService, AnsweringService]]:
    """The old URL (down), its correction, and another service that is down too."""
    servers = (AnsweringService(), AnsweringService(), AnsweringService())
    servers[0].status = servers[2].status = 503
    yield servers
    for server in servers:
        server.stop()


def rule(name: str, target: str) -> str:
    return f'\n[[rules]]\nname = "{name}"\nbrands = ["Acmé"]\nnotify = ["{target}"]\n'


def url(service: AnsweringService) -> str:
    return f"apprise:json://127.0.0.1:{service.port}/hook"


class Statements:
    """The SQL the app runs, with its parameters, while counting."""

    def __init__(self, app: App) -> None:
        self.seen: list[tuple[str, str]] = []
        event.listen(app.db.engine, "before_cursor_execute", self._note)

    def _note(self, conn: Any, cursor: Any, statement: str, params: Any, *rest: Any) -> None:
        self.seen.append((statement, repr(params)))

    def mentioning(self, text: str) -> int:
        return sum(text in params for _, params in self.seen)

    def claims(self) -> int:
        return sum(
            "UPDATE" not in sql and "ORDER BY" in sql and "outbox" in sql for sql, _ in self.seen
        )


def test_a_reload_that_drops_a_down_target_forgets_its_outage(
    app_for: Callable[[str], App],
    configure: Callable[[str], Path],
    hooks: tuple[AnsweringService, AnsweringService, AnsweringService],
    clock: Clock,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.INFO, logger="watchtower")
    old, new, other = hooks
    app = app_for(rule("équipe", url(old)) + rule("archive", url(other)))
    reloader = Reloader(app)
    queue(app, url(old), 3, key="matin", rules=["équipe"])
    queue(app, url(other), key="archive", rules=["archive"])
    app.outbox.drain()
    assert set(app.outbox.targets.outages()) == {url(old), url(other)}

    configure(rule("équipe", url(new)) + rule("archive", url(other)))
    assert reloader.reload() is True  # forgets the dropped URL's outage

    assert set(app.outbox.targets.outages()) == {url(other)}  # still named: still down
    assert app.outbox.targets.last_probes("apprise") == [
        r.id for r in rows(app) if r.target == url(other)
    ]
    assert sum("outage forgotten" in r.getMessage() for r in caplog.records) == 1

    # The corrected service gets what waited, and later alerts, in one claim:
    # nothing holds Apprise one row at a time or asks about the old URL.
    other.status = None
    clock.advance(minutes=1)
    app.outbox.drain()  # the other service is back too: its probe ends its outage
    assert app.outbox.targets.outages() == {}
    queue(app, url(new), 5, key="midi", rules=["équipe"])
    sql = Statements(app)
    app.outbox.drain()
    assert len(new.accepted()) == 8
    assert sql.mentioning(f":{old.port}/") == 0
    assert sql.claims() <= 3  # a batch, then none left (per round)


def test_an_outage_of_a_kind_stays_while_the_config_names_one_of_its_targets(
    app_for: Callable[[str], App], clock: Clock
) -> None:
    # Guard: the SMTP server is one for every address; a changed address keeps it down.
    app = app_for()
    now = clock.now
    app.outbox.targets.unreachable("email", now, "the SMTP server did not answer")
    app.outbox.targets.unreachable("slack", now, "Slack server error (503)")
    config = app.loaded.config
    config.watchtower.ops_notify[:] = ["email:nouvelle-adresse@example.fr"]
    named = configured_targets(config) - {t for t in configured_targets(config) if "slack" in t}

    assert forget_targets(app.outbox.targets, named) == ["slack"]
    assert set(app.outbox.targets.outages()) == {"email"}
