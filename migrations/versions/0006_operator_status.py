"""What ``status`` shows an operator: daemon heartbeats and reload outcomes
(table ``daemons``), since when a source fails, a source's last warning

Revision ID: 0006
Revises: 0005
"""

from __future__ import annotations

import sqlite3

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("sources") as batch:
        batch.add_column(sa.Column("failing_since", sa.DateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column("last_warning", sa.Text(), nullable=True))
    # A source failing now began its run before anything kept its start: it stays
    # NULL (status: "failing since: unknown") until the source recovers.
    op.create_table(
        "daemons",
        sa.Column("id", sa.String(length=64), primary_key=True),
        sa.Column("mode", sa.String(length=16), nullable=False),
        sa.Column("host", sa.String(length=255), nullable=False),
        sa.Column("pid", sa.Integer(), nullable=False),
        sa.Column("version", sa.String(length=50), nullable=False),
        sa.Column("config", sa.Text(), nullable=False),
        sa.Column("poll_interval_s", sa.Double(), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("seen_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("round_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("round_sources", sa.Integer(), nullable=False),
        sa.Column("round_ok", sa.Integer(), nullable=False),
        sa.Column("round_failed", sa.Integer(), nullable=False),
        sa.Column("stopped_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("config_loaded_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("config_refused_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("config_refused", sa.Text(), nullable=True),
    )
    op.create_index("ix_daemons_seen", "daemons", ["seen_at"])


def downgrade() -> None:
    op.drop_index("ix_daemons_seen", table_name="daemons")
    op.drop_table("daemons")
    # SQLite 3.35+ drops a column in place. Rebuilding ``sources`` (copy, drop,
    # rename) would, with foreign keys on (the ``alembic`` command), delete every
    # item through ON DELETE CASCADE.
    in_place = op.get_bind().dialect.name != "sqlite" or sqlite3.sqlite_version_info >= (3, 35)
    with op.batch_alter_table("sources", recreate="never" if in_place else "auto") as batch:
        batch.drop_column("last_warning")
        batch.drop_column("failing_since")
