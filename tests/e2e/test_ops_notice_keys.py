"""The outbox key of an ops notice about one target (a service down, back, or
losing notifications) names the target by its digest.

An Apprise target carries its tokens: the key stored them in the outbox's key
column, and a key cut at 200 characters made two long targets one, so the
notice about the first silenced the other's. Real parts: the app on SQLite or
PostgreSQL; the outbox rows are read back as stored. Nothing is sent: the
targets are never contacted.
"""

from __future__ import annotations

import socket
from collections.abc import Callable
from typing import Any

import pytest
from sqlalchemy import text

from tests.e2e.alerting_helpers import Clock, naming, queue
from watchtower.app import App
from watchtower.storage.outbox_queries import paused_services
from watchtower.storage.tables import OutboxRow

#: A Telegram bot's token and chat, as in an Apprise URL (never contacted). The
#: chat's id is no secret (the errors quoted keep it); the bot's token is.
BOT_TOKEN = "123456789:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw"
TELEGRAM = f"apprise:tgram://{BOT_TOKEN}/-1001234567890"
#: A webhook whose token is its path.
HOOK = "apprise:json://127.0.0.1:9/webhooks/s3cretW3bhookT0ken"
SECRETS = ("AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw", "s3cretW3bhookT0ken")
#: Two long targets alike for their first 230 characters.
LONG = "apprise:json://127.0.0.1:9/hooks/" + "a" * 200
FIRST, SECOND = f"{LONG}/premier", f"{LONG}/second"


@pytest.fixture(autouse=True)
def _loopback_only(monkeypatch: pytest.MonkeyPatch) -> None:
    """Fail loudly rather than reach a real host (none of these tests sends)."""
    real = socket.getaddrinfo

    def getaddrinfo(host: Any, *args: Any, **kwargs: Any) -> Any:
        if host not in ("127.0.0.1", "localhost", "::1", None):
            raise AssertionError(f"a test tried to resolve {host!r}")
        return real(host, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)


def stored(app: App) -> list[str]:
    """Every outbox row, each column as the database holds it."""
    with app.db.session() as session:
        rows = session.execute(text("SELECT * FROM outbox ORDER BY id")).all()
    return [" | ".join(str(value) for value in row) for row in rows]


def notice_keys(app: App) -> list[str]:
    with app.db.session() as session:
        keys = session.scalars(
            text("SELECT dedup_key FROM outbox WHERE dedup_key LIKE 'ops:%' ORDER BY id")
        )
        return list(keys)


@pytest.mark.parametrize("target", [TELEGRAM, HOOK])
def test_a_notice_about_a_secret_bearing_target_stores_no_token(
    app_for: Callable[[str], App], target: str
) -> None:
    app = app_for(naming(target))
    app.alerting.service_down(target, "HTTP 404", refused=True)
    app.alerting.service_back(target)
    app.alerting.delivery_failed(target, f"HTTP 500 from {target.removeprefix('apprise:')}")

    rows = stored(app)
    assert len(rows) == 3  # each notice queued once, to ops
    assert all(key.startswith("ops:") for key in notice_keys(app))
    for row in rows:
        for secret in SECRETS:
            assert secret not in row


def test_two_long_targets_alike_for_200_characters_each_get_their_notice(
    app_for: Callable[[str], App],
) -> None:
    app = app_for(naming(FIRST, SECOND))
    for target in (FIRST, SECOND):
        app.alerting.service_down(target, "HTTP 503")
        app.alerting.delivery_failed(target, "HTTP 503")

    keys = notice_keys(app)
    assert len(keys) == 4 and len(set(keys)) == 4
    assert all(len(key) < 200 for key in keys)
    # Once a day per target still: told again the same day, nothing more.
    for target in (FIRST, SECOND):
        app.alerting.service_down(target, "HTTP 503")
        app.alerting.delivery_failed(target, "HTTP 503")
    assert len(notice_keys(app)) == 4


def test_status_finds_each_long_service_paused_by_its_full_address(
    app_for: Callable[[str], App],
) -> None:
    """``status`` reads the paused services back from the notices' keys: the
    digest is matched to the waiting notifications' target (needs
    :func:`watchtower.storage.ops_keys.told_targets` in ``paused_services``)."""
    app = app_for(naming(FIRST, SECOND, TELEGRAM))
    for target in (FIRST, SECOND, TELEGRAM):
        queue(app, target, 2, key=f"attente-{target[-7:]}")
        app.alerting.service_down(target, "HTTP 503")
    app.alerting.service_back(SECOND)

    with app.db.session() as session:
        paused = paused_services(session)
    assert sorted(paused) == sorted([FIRST, TELEGRAM])


def test_a_service_told_down_before_the_upgrade_and_back_after_is_no_longer_paused(
    app_for: Callable[[str], App], clock: Clock
) -> None:
    """A notice queued by an older version keyed the target itself: read as it was."""
    app = app_for(naming(HOOK, FIRST))
    queue(app, HOOK, 1, key="attente-hook")
    queue(app, FIRST, 1, key="attente-long")
    day = clock.now.date().isoformat()
    with app.db.session() as session:
        for target in (HOOK, FIRST):  # the keys 0.5.0 wrote, the long one cut
            session.add(
                OutboxRow(
                    dedup_key=f"ops:ops_down_service:{day}:{target}"[:200],
                    target="email:ops@example.fr",
                    status="sent",
                    severity="critical",
                    reason="operations: ops",
                    payload={"kind": "ops"},
                    attempts=1,
                    next_attempt_at=clock.now,
                    created_at=clock.now,
                )
            )
    with app.db.session() as session:
        assert sorted(paused_services(session)) == sorted([HOOK, FIRST])

    clock.advance(minutes=5)
    app.alerting.service_back(HOOK)
    with app.db.session() as session:
        assert sorted(paused_services(session)) == [FIRST]
