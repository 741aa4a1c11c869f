"""``cleanup`` and spike alerts (``spike_alerts``), on SQLite and PostgreSQL.

A spike alert is needed for its brand's cooldown (``[spikes] cooldown``), its
calm-down message (``CALM_WITHIN``, a day) and its escalation, which needs its
notification in the outbox. Past retention, with its notifications pruned,
nothing reads it any more: it is pruned with them. One whose notification still
waits in the outbox (Slack paused for weeks) is kept: once posted, it may be
acknowledged or escalated.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from watchtower.storage.db import Database
from watchtower.storage.queries import cleanup
from watchtower.storage.tables import OutboxRow, SpikeAlertRow

NOW = datetime(2026, 11, 27, 9, 0, tzinfo=UTC)
RETENTION = timedelta(days=90)
A_YEAR_AGO = NOW - timedelta(days=365)


def add_alert(
    db: Database, when: datetime, *, acked: bool = True, outbox: str | None = None
) -> str:
    """A spike alert created at ``when``, optionally with its notification in ``outbox`` state."""
    key = f"spike:brand:Acme:{when:%Y%m%dT%H%M}"
    with db.session() as session:
        session.add(
            SpikeAlertRow(
                dedup_key=key,
                scope="brand",
                name="Acme",
                observed=40,
                baseline=3.0,
                escalate_notify=["email:astreinte@example.fr"],
                ack_timeout_s=900.0,
                created_at=when,
                sent_at=when if outbox == "sent" else None,
                acked_at=when + timedelta(minutes=5) if acked else None,
            )
        )
        if outbox is not None:
            session.add(
                OutboxRow(
                    dedup_key=key,
                    target="slack:#crise",
                    status=outbox,
                    severity="critical",
                    next_attempt_at=when,
                    created_at=when,
                )
            )
    return key


def alerts(db: Database) -> list[str]:
    with db.session() as session:
        return sorted(session.scalars(select(SpikeAlertRow.dedup_key)))


def test_spike_alerts_past_retention_are_pruned_with_their_notifications(
    migrated: Database,
) -> None:
    for day in range(30):  # a month of spikes, a year ago: acknowledged, or never
        add_alert(migrated, A_YEAR_AGO + timedelta(days=day), acked=day % 2 == 0, outbox="sent")
    recent = add_alert(migrated, NOW - timedelta(days=2), outbox="sent")
    with migrated.writing() as session:
        cleanup(session, NOW - RETENTION)
    assert alerts(migrated) == [recent]


def test_an_alert_whose_notification_still_waits_is_kept(migrated: Database) -> None:
    waiting = add_alert(migrated, A_YEAR_AGO, acked=False, outbox="pending")
    add_alert(migrated, A_YEAR_AGO + timedelta(hours=1), acked=False, outbox="failed")
    with migrated.writing() as session:
        cleanup(session, NOW - RETENTION)
    assert alerts(migrated) == [waiting]


def test_a_cooldown_longer_than_retention_keeps_its_alerts(migrated: Database) -> None:
    """``spikes_before``: the daemon passes ``now - cooldown`` when the cooldown
    is longer than retention, so a pruned alert never lets its spike alert again early."""
    within_cooldown = add_alert(migrated, NOW - timedelta(days=100))
    add_alert(migrated, NOW - timedelta(days=130))
    with migrated.writing() as session:
        cleanup(session, NOW - RETENTION, spikes_before=NOW - timedelta(days=120))
    assert alerts(migrated) == [within_cooldown]
