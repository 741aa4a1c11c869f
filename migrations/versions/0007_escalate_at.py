"""spike_alerts.escalate_at: when an unacknowledged alert escalates, decided once

Revision ID: 0007
Revises: 0006
"""

from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

_ALERTS = sa.table(
    "spike_alerts",
    sa.column("id", sa.BigInteger()),
    sa.column("ack_timeout_s", sa.Float()),
    sa.column("channel", sa.String()),
    sa.column("created_at", sa.DateTime(timezone=True)),
    sa.column("sent_at", sa.DateTime(timezone=True)),
    sa.column("escalate_at", sa.DateTime(timezone=True)),
)


def upgrade() -> None:
    # Nothing references ``spike_alerts``: SQLite may rebuild it safely.
    with op.batch_alter_table("spike_alerts") as batch:
        batch.add_column(sa.Column("escalate_at", sa.DateTime(timezone=True), nullable=True))
    # What the deadline was computed from until now: the Slack post when the alert
    # reached Slack, else its creation. Few rows (one per crisis): in Python, the
    # same on both databases (no interval arithmetic in SQL).
    bind = op.get_bind()
    alerts = bind.execute(
        sa.select(
            _ALERTS.c.id,
            _ALERTS.c.ack_timeout_s,
            _ALERTS.c.channel,
            _ALERTS.c.created_at,
            _ALERTS.c.sent_at,
        )
    ).all()
    for alert_id, timeout, channel, created, sent in alerts:
        posted = sent if channel and sent is not None else created
        bind.execute(
            _ALERTS.update()
            .where(_ALERTS.c.id == alert_id)
            .values(escalate_at=posted + timedelta(seconds=timeout or 0.0))
        )


def downgrade() -> None:
    with op.batch_alter_table("spike_alerts") as batch:
        batch.drop_column("escalate_at")
