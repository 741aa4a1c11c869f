"""items.seen_at: when a source last listed an item (retention prunes by it)

Revision ID: 0005
Revises: 0004
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("items") as batch:
        batch.add_column(sa.Column("seen_at", sa.DateTime(timezone=True), nullable=True))
        batch.create_index("ix_items_source_seen", ["source_id", "seen_at"])
    # Every stored item was listed when it was fetched; later listings are unknown.
    op.execute(sa.text("UPDATE items SET seen_at = fetched_at WHERE seen_at IS NULL"))


def downgrade() -> None:
    with op.batch_alter_table("items") as batch:
        batch.drop_index("ix_items_source_seen")
        batch.drop_column("seen_at")
