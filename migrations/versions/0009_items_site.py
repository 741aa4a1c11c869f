"""items.site: the site an item is on when its link does not say (a Google News
link's publisher), so a story's places are counted by site after a restart and
on every replica

Revision ID: 0009
Revises: 0008
"""

from __future__ import annotations

import sqlite3

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # NULL for every stored row: the host of its canonical URL is its site, as
    # before. Google News items stored before this kept no publisher, so they
    # stay at their source's place.
    with op.batch_alter_table("items") as batch:
        batch.add_column(sa.Column("site", sa.Text(), nullable=True))


def downgrade() -> None:
    # SQLite 3.35+ drops a column in place. Rebuilding ``items`` (copy, drop,
    # rename) would, with foreign keys on, delete its mentions and outbox rows
    # through ON DELETE CASCADE.
    in_place = op.get_bind().dialect.name != "sqlite" or sqlite3.sqlite_version_info >= (3, 35)
    with op.batch_alter_table("items", recreate="never" if in_place else "auto") as batch:
        batch.drop_column("site")
