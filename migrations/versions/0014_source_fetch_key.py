"""sources.fetch_key: a digest of how the config fetches each source, written
at each start and reload, so that a failing source whose fetch settings were
changed while the daemon was stopped is checked at the next start instead of
after its backoff

Revision ID: 0014
Revises: 0013
"""

from __future__ import annotations

import sqlite3

import sqlalchemy as sa
from alembic import op

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # NULL for the rows already there: the next start or reload writes it (and,
    # not knowing the settings before, leaves those sources' schedules alone).
    with op.batch_alter_table("sources") as batch:
        batch.add_column(sa.Column("fetch_key", sa.String(64), nullable=True))


def downgrade() -> None:
    # SQLite 3.35+ drops a column in place (as 0009, 0010 and 0011 do).
    in_place = op.get_bind().dialect.name != "sqlite" or sqlite3.sqlite_version_info >= (3, 35)
    with op.batch_alter_table("sources", recreate="never" if in_place else "auto") as batch:
        batch.drop_column("fetch_key")
