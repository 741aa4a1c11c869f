"""daemons.round_put_off: how many sources the last round put off behind other
fetches of their site (neither ok nor failed), for ``watchtower status``

Revision ID: 0010
Revises: 0009
"""

from __future__ import annotations

import sqlite3

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # 0 for the rows already there, and for a replica of an older version that
    # does not write it.
    with op.batch_alter_table("daemons") as batch:
        batch.add_column(
            sa.Column("round_put_off", sa.Integer(), nullable=False, server_default="0")
        )


def downgrade() -> None:
    # SQLite 3.35+ drops a column in place (as 0009 does).
    in_place = op.get_bind().dialect.name != "sqlite" or sqlite3.sqlite_version_info >= (3, 35)
    with op.batch_alter_table("daemons", recreate="never" if in_place else "auto") as batch:
        batch.drop_column("round_put_off")
