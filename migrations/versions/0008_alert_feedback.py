"""alert_feedback: reactions people put on Slack alerts (🚫 ❌ 👎: not relevant)

Revision ID: 0008
Revises: 0007
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

Id = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    # A new table only: no existing row changes, so the way back loses nothing
    # but the feedback itself.
    op.create_table(
        "alert_feedback",
        sa.Column("outbox_id", Id, nullable=False),
        sa.Column("checks", sa.Integer(), nullable=False),
        sa.Column("checked_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("not_relevant_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("reaction", sa.String(length=100), nullable=True),
        sa.Column("marked_by", sa.String(length=100), nullable=True),
        sa.ForeignKeyConstraint(["outbox_id"], ["outbox.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("outbox_id"),
    )


def downgrade() -> None:
    op.drop_table("alert_feedback")
