"""story_places: each place a story was seen at, one row each (a new place is
one insert-if-absent, the counter one indexed count, instead of a read of all
the story's items); an outbox index on (status, created_at) for retention's
delete of finished notifications

Revision ID: 0013
Revises: 0012
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql, sqlite

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None

Id = sa.BigInteger().with_variant(sa.Integer(), "sqlite")

#: Items read, and places written, per statement of the backfill: memory stays
#: flat on a database of millions of items.
BATCH = 5_000

_ITEMS = sa.table(
    "items",
    sa.column("id", Id),
    sa.column("story_id", Id),
    sa.column("source_id", Id),
    sa.column("canonical_url", sa.Text()),
    sa.column("site", sa.Text()),
)
_PLACES = sa.table(
    "story_places",
    sa.column("story_id", Id),
    sa.column("site", sa.Text()),
    sa.column("source_id", Id),
)


def upgrade() -> None:
    op.create_table(
        "story_places",
        sa.Column("story_id", Id, sa.ForeignKey("stories.id", ondelete="CASCADE"), nullable=False),
        sa.Column("site", sa.Text(), nullable=False),
        sa.Column("source_id", Id, autoincrement=False, nullable=False),
        sa.PrimaryKeyConstraint("story_id", "site", "source_id"),
    )
    _backfill()
    # Retention deletes the finished notifications older than it: without this
    # index the statement read every finished row (ix_outbox_due leads with the
    # status only); with it, a range of each finished status's oldest rows.
    op.create_index("ix_outbox_finished", "outbox", ["status", "created_at"])


def downgrade() -> None:
    op.drop_index("ix_outbox_finished", table_name="outbox")
    op.drop_table("story_places")


def _backfill() -> None:
    """The places of every stored item in a story, computed as the runtime does
    (``sites.place``: the site of its canonical URL or of its ``site`` column,
    else its source), read in id order ``BATCH`` items at a time."""
    # Imported here: the runtime's rule, so the places written now are those a
    # sighting compares with later (a host is not something SQL can extract).
    from watchtower.pipeline.sites import item_site, place

    bind = op.get_bind()
    module: Any = postgresql if bind.dialect.name == "postgresql" else sqlite
    insert = module.insert(_PLACES).on_conflict_do_nothing()
    read = (
        sa.select(
            _ITEMS.c.id,
            _ITEMS.c.story_id,
            _ITEMS.c.source_id,
            _ITEMS.c.canonical_url,
            _ITEMS.c.site,
        )
        .where(_ITEMS.c.story_id.is_not(None), _ITEMS.c.id > sa.bindparam("after"))
        .order_by(_ITEMS.c.id)
        .limit(BATCH)
    )
    after = 0
    while rows := bind.execute(read, {"after": after}).all():
        after = int(rows[-1][0])
        places = {
            (int(story), *place(item_site(url or "", named), int(source)))
            for _, story, source, url, named in rows
        }
        bind.execute(
            insert,
            [
                {"story_id": story, "site": site, "source_id": source}
                for story, site, source in sorted(places)
            ],
        )
