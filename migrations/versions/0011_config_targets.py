"""daemons.config_targets: the targets each daemon's running config names (as
SHA-256 digests), so that a replica leaves a notification for the replica whose
config names its target instead of re-addressing it

Revision ID: 0011
Revises: 0010
"""

from __future__ import annotations

import sqlite3

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # NULL for the rows already there, and for a replica of an older version that
    # does not write it: such a replica is judged by when it loaded its config.
    with op.batch_alter_table("daemons") as batch:
        batch.add_column(sa.Column("config_targets", sa.JSON(), nullable=True))


def downgrade() -> None:
    # SQLite 3.35+ drops a column in place (as 0009 and 0010 do).
    in_place = op.get_bind().dialect.name != "sqlite" or sqlite3.sqlite_version_info >= (3, 35)
    with op.batch_alter_table("daemons", recreate="never" if in_place else "auto") as batch:
        batch.drop_column("config_targets")
