"""outbox and stories ids never given twice on SQLite (AUTOINCREMENT); outbox
indexes on item_id (retention's item deletes) and on (target, status) (the
targets an ops notice names, a target's waiting rows)

Revision ID: 0012
Revises: 0011
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None

#: Where else each rebuilt table's ids are written: the next id given must be
#: past these too, or a row pointing at a pruned id would point at a new one.
_REFERENCES = {
    "stories": (("stories", "id"), ("items", "story_id"), ("story_messages", "story_id")),
    "outbox": (
        ("outbox", "id"),
        ("outbox", "parent_id"),
        ("story_messages", "outbox_id"),
        ("alert_feedback", "outbox_id"),
    ),
}


def upgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        # INTEGER PRIMARY KEY without AUTOINCREMENT gives the highest id again
        # once its row is pruned; a Slack thread row, a feedback row or a Slack
        # message's metadata naming it would then name an unrelated row. The
        # keyword needs the table rebuilt (copy, drop, rename: every row, index
        # and foreign key kept; foreign keys are off while migrating, so the
        # drop cascades nothing). PostgreSQL's sequences never go back.
        for name in _REFERENCES:
            with op.batch_alter_table(
                name, recreate="always", table_kwargs={"sqlite_autoincrement": True}
            ):
                pass
            _start_after_references(name)
    # Without it, each item retention deletes makes the database look through the
    # whole outbox for the rows to set to NULL (ON DELETE SET NULL).
    op.create_index("ix_outbox_item", "outbox", ["item_id"])
    # The targets the outbox holds, one index probe each instead of a scan
    # (ops_keys.told_targets), and one target's rows by status.
    op.create_index("ix_outbox_target", "outbox", ["target", "status"])


def downgrade() -> None:
    op.drop_index("ix_outbox_target", table_name="outbox")
    op.drop_index("ix_outbox_item", table_name="outbox")
    if op.get_bind().dialect.name == "sqlite":
        # Back to a plain INTEGER PRIMARY KEY (0011's schema), every row kept.
        for name in _REFERENCES:
            with op.batch_alter_table(
                name, recreate="always", table_kwargs={"sqlite_autoincrement": False}
            ):
                pass


def _start_after_references(table: str) -> None:
    """Move ``table``'s AUTOINCREMENT counter past every id of it written anywhere
    (the copy set it to the highest id left in the table)."""
    bind = op.get_bind()
    highest = max(
        # The names are the constants above, not input.
        int(bind.execute(sa.text(f"SELECT max({column}) FROM {source}")).scalar() or 0)
        for source, column in _REFERENCES[table]
    )
    if highest == 0:
        return
    updated = bind.execute(
        sa.text("UPDATE sqlite_sequence SET seq = max(seq, :seq) WHERE name = :name"),
        {"seq": highest, "name": table},
    ).rowcount
    if not updated:
        bind.execute(
            sa.text("INSERT INTO sqlite_sequence (name, seq) VALUES (:name, :seq)"),
            {"seq": highest, "name": table},
        )
