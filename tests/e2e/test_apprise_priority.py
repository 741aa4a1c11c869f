"""A critical alert rings through Do Not Disturb on the community manager's phone.

ntfy and Pushover have a priority: an alert's severity sets it (ntfy: critical
→ ``max``, warning → ``high``, info → the default; Pushover: critical →
``high``), unless the URL sets ``priority=`` itself. Real Apprise plugins post
to a local server standing in for ntfy (``ntfy://127.0.0.1:PORT/topic``) and
for Pushover's API; the test reads the priority on the wire.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
from apprise.plugins.pushover import NotifyPushover

from tests.e2e.alerting_helpers import queue, rows
from tests.servers.answering import AnsweringService, Request
from watchtower.app import App


@pytest.fixture
def ntfy() -> Iterator[AnsweringService]:
    server = AnsweringService()
    yield server
    server.stop()


def rule(*targets: str) -> str:
    quoted = ", ".join(f'"{t}"' for t in targets)
    return f"""
[[rules]]
name = "crise"
notify = [{quoted}]
"""


def by_title(requests: list[Request], key: str) -> Request:
    [found] = [r for r in requests if key in str(r.body.get("title"))]
    return found


def test_ntfy_priority_follows_the_alerts_severity(
    app_for: Callable[[str], App], ntfy: AnsweringService
) -> None:
    target = f"apprise:ntfy://127.0.0.1:{ntfy.port}/veille-acme"
    app = app_for(rule(target))
    queue(app, target, key="crise", severity="critical", rules=["crise"])
    queue(app, target, key="alerte", severity="warning", rules=["crise"])
    queue(app, target, key="info", severity="info", rules=["crise"])

    app.outbox.drain()

    assert {r.status for r in rows(app)} == {"sent"}
    assert len(ntfy.requests) == 3
    assert by_title(ntfy.requests, "crise").headers.get("X-Priority") == "max"  # 5: rings
    assert by_title(ntfy.requests, "alerte").headers.get("X-Priority") == "high"  # 4
    assert "X-Priority" not in by_title(ntfy.requests, "info").headers  # 3: the default
    assert {r.body["topic"] for r in ntfy.requests} == {"veille-acme"}


def test_a_priority_in_the_ntfy_url_wins(
    app_for: Callable[[str], App], ntfy: AnsweringService
) -> None:
    target = f"apprise:ntfy://127.0.0.1:{ntfy.port}/veille-acme?priority=low"
    app = app_for(rule(target))
    queue(app, target, key="crise", severity="critical", rules=["crise"])

    app.outbox.drain()

    [request] = ntfy.requests
    assert request.headers.get("X-Priority") == "low"  # the user's choice, as written


def test_pushover_critical_alerts_go_out_at_high_priority(
    app_for: Callable[[str], App], ntfy: AnsweringService, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Pushover's API has a fixed host: Apprise's plugin is pointed at the local server.
    monkeypatch.setattr(NotifyPushover, "notify_url", f"http://127.0.0.1:{ntfy.port}/1/m.json")
    target = f"apprise:pover://{'u' * 30}@{'t' * 30}"
    app = app_for(rule(target))
    queue(app, target, key="crise", severity="critical", rules=["crise"])
    queue(app, target, key="info", severity="info", rules=["crise"])

    app.outbox.drain()

    assert {r.status for r in rows(app)} == {"sent"}
    assert by_title(ntfy.requests, "crise").body["priority"] == "1"  # high: through quiet hours
    assert by_title(ntfy.requests, "info").body["priority"] == "0"  # normal
