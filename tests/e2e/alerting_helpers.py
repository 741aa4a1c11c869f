"""Shared helpers for the alerting end-to-end tests: a controllable clock, an App, rows."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import select

from tests.e2e.scenario import targets
from tests.servers.slack import FakeSlack
from tests.servers.smtp import SmtpServer
from watchtower.app import App
from watchtower.config import load_config
from watchtower.storage.tables import OutboxRow


@dataclass
class Clock:
    """A simulated clock the App, the outbox and the fake Slack share."""

    now: datetime = datetime(2026, 3, 4, 10, 0, tzinfo=UTC)  # a Wednesday

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **kwargs: float) -> None:
        self.now += timedelta(**kwargs)

    def timestamp(self) -> float:
        return self.now.timestamp()


def base_config(database_url: str, slack: FakeSlack, smtp: SmtpServer, extra: str = "") -> str:
    return f"""
{targets(database_url, slack, smtp, 'ops_notify = ["email:ops@example.fr"]')}
[[brands]]
name = "Acmé"
terms = ["Acmé"]

[[brands]]
name = "Globex"
terms = ["Globex"]
{extra}
"""


def naming(*targets: str, rule: str = "queued") -> str:
    """TOML of a rule sending to ``targets``: an ``extra`` for :func:`base_config`
    naming the targets a test queues rows for with :func:`queue`.

    The pipeline only queues for targets the config names; a row for one it
    does not name was queued by an older config and is re-addressed at delivery
    (``watchtower.pipeline.readdress.readdress_row``), not sent where it says."""
    listed = ", ".join(f'"{target}"' for target in targets)
    return f"""
[[rules]]
name = "{rule}"
notify = [{listed}]
"""


def make_app(path: Path, clock: Clock) -> App:
    app = App(load_config(path), clock=clock)
    app.start()
    return app


def queue(
    app: App,
    target: str,
    n: int = 1,
    *,
    key: str = "item",
    severity: str = "info",
    rules: list[str] | None = None,
    brands: list[str] | None = None,
    **payload: Any,
) -> list[int]:
    """Put ``n`` notifications straight into the outbox (as the pipeline would).

    ``target`` must be one the App's config names (the Slack default channel,
    ``ops_notify``, or see :func:`naming`): a row for another one is re-addressed
    to the current route when it is sent."""
    ids = []
    now = app.clock()
    with app.db.session() as session:
        for i in range(n):
            body = {
                "title": f"Article {key} {i}",
                "url": f"https://news.example.fr/{key}/{i}",
                "source": "presse",
                "brands": brands or ["Acmé"],
                "terms": ["Acmé"],
                "rules": rules or [],
                "severity": severity,
                "published": None,
                "excerpt": "Un extrait.",
                "lang": "fr",
            }
            body.update(payload)
            row = OutboxRow(
                dedup_key=f"{key}:{i}",
                target=target,
                status="pending",
                severity=severity,
                reason="test",
                payload=body,
                attempts=0,
                next_attempt_at=now,
                created_at=now,
            )
            session.add(row)
            session.flush()
            ids.append(row.id)
    return ids


def statuses(app: App) -> dict[int, str]:
    with app.db.session() as session:
        return {r.id: r.status for r in session.scalars(select(OutboxRow))}


def rows(app: App) -> Iterator[OutboxRow]:
    with app.db.session() as session:
        yield from session.scalars(select(OutboxRow).order_by(OutboxRow.id)).all()
