"""Tables (SQLAlchemy 2 typed mappings). Alembic migrations in ``migrations/`` create them."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, cast

from sqlalchemy import (
    JSON,
    BigInteger,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Table,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column
from sqlalchemy.types import TypeDecorator

from watchtower.storage.sqlite_datetime import utc_text_processor

# SQLite has no 64-bit autoincrement through BigInteger; Integer there, BIGINT elsewhere.
Id = BigInteger().with_variant(Integer(), "sqlite")


class UtcDateTime(TypeDecorator[datetime]):
    """Timezone-aware UTC datetimes on every backend (SQLite stores naive values)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")

        return value.astimezone(UTC)

    def bind_processor(self, dialect: Any) -> Any:
        # On SQLite, the same text as process_bind_param then DATETIME's
        # formatting, written at a third of the cost (storage/sqlite_datetime.py).
        return utc_text_processor(self.impl_instance) or super().bind_processor(dialect)

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None

        return value.replace(tzinfo=UTC) if value.tzinfo is None else value


class Base(DeclarativeBase):
    pass


class SourceRow(Base):
    """A configured source and its fetch state; ``next_check_at`` is the schedule."""

    __tablename__ = "sources"

    id: Mapped[int] = mapped_column(Id, primary_key=True, autoincrement=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    kind: Mapped[str] = mapped_column(String(50))
    url: Mapped[str | None] = mapped_column(Text)
    enabled: Mapped[bool] = mapped_column(default=True)
    etag: Mapped[str | None] = mapped_column(Text)
    last_modified: Mapped[str | None] = mapped_column(Text)
    cursor: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    next_check_at: Mapped[datetime] = mapped_column(UtcDateTime)
    last_attempt_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    last_success_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    last_item_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    consecutive_failures: Mapped[int] = mapped_column(default=0)
    last_error: Mapped[str | None] = mapped_column(Text)
    last_error_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    items_total: Mapped[int] = mapped_column(default=0)
    alerting: Mapped[bool] = mapped_column(default=False)
    # Why ops were told about this source: "failing" or "silent" (migration 0004).
    alert_reason: Mapped[str | None] = mapped_column(String(16))
    # Migration 0006, deferred: ``status`` still reads a database not migrated yet
    # through ``select(SourceRow)``. When the current run of failures began (set
    # by its first failure, cleared by a success), and what the last successful
    # fetch warned about (an unreadable date), NULL when it warned about nothing.
    failing_since: Mapped[datetime | None] = mapped_column(UtcDateTime, deferred=True)
    last_warning: Mapped[str | None] = mapped_column(Text, deferred=True)
    # Migration 0014, deferred for the same reason: how the config running when
    # the row was last synced fetches it (:func:`~watchtower.storage.queries.fetch_key`),
    # so that a start compares its config with the one before the stop, as a
    # reload does. NULL for a row not synced since 0014.
    fetch_key: Mapped[str | None] = mapped_column(String(64), deferred=True)

    __table_args__ = (Index("ix_sources_due", "enabled", "next_check_at"),)


class ItemRow(Base):
    """An item as first seen; (source, guid) and the canonical URL identify it."""

    __tablename__ = "items"

    id: Mapped[int] = mapped_column(Id, primary_key=True, autoincrement=True)
    source_id: Mapped[int] = mapped_column(ForeignKey("sources.id", ondelete="CASCADE"))
    guid: Mapped[str] = mapped_column(String(2048))
    url: Mapped[str] = mapped_column(Text, default="")
    canonical_url: Mapped[str] = mapped_column(Text, default="")
    # sha256 of the URL's equality key (canonical, no scheme/www.), and of the
    # normalised content: both find the story an item belongs to (migration 0002).
    url_hash: Mapped[str] = mapped_column(String(64), default="")
    content_hash: Mapped[str] = mapped_column(String(64), default="")
    story_id: Mapped[int | None] = mapped_column(Id, ForeignKey("stories.id"))
    fingerprint: Mapped[bytes | None] = mapped_column(LargeBinary)
    title: Mapped[str] = mapped_column(Text, default="")
    text: Mapped[str] = mapped_column(Text, default="")
    author: Mapped[str | None] = mapped_column(Text)
    rating: Mapped[float | None] = mapped_column()
    lang: Mapped[str | None] = mapped_column(String(16))
    published_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    fetched_at: Mapped[datetime] = mapped_column(UtcDateTime)
    # When its source last listed it (migration 0005), refreshed at most once per
    # ``queries.SEEN_REFRESH``: cleanup prunes what no listing has shown for the
    # retention period. NULL (a row written before 0005 by an older replica): ``fetched_at``.
    seen_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    # The site it is on when its link does not say (a Google News link: its
    # publisher's, ``sites.publisher_site``), as a story's places count it
    # (migration 0009); NULL: the host of ``canonical_url``. Deferred, so
    # ``select(ItemRow)`` still reads a database not migrated yet.
    site: Mapped[str | None] = mapped_column(Text, deferred=True)

    __table_args__ = (
        UniqueConstraint("source_id", "guid", name="uq_items_source_guid"),
        Index("ix_items_url_hash", "url_hash"),
        Index("ix_items_content_hash", "content_hash"),
        Index("ix_items_fetched_at", "fetched_at"),
        Index("ix_items_story", "story_id"),
        Index("ix_items_source_seen", "source_id", "seen_at"),
    )


class StoryRow(Base):
    """One story: every sighting of the same article (same URL, same or near-same text).

    ``key`` is the identity of the first sighting (``url:…`` or ``content:…``);
    its unique constraint makes two replicas racing on the same article agree
    on one story.
    """

    __tablename__ = "stories"

    id: Mapped[int] = mapped_column(Id, primary_key=True, autoincrement=True)
    key: Mapped[str] = mapped_column(String(200), unique=True)
    title: Mapped[str] = mapped_column(Text, default="")
    sightings: Mapped[int] = mapped_column(default=1)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    last_seen_at: Mapped[datetime] = mapped_column(UtcDateTime)

    # AUTOINCREMENT on SQLite (migration 0012): a pruned story's id is never given
    # again, so a Slack thread row naming it never names a new story.
    __table_args__ = ({"sqlite_autoincrement": True},)


class StoryPlaceRow(Base):
    """A place a story was seen at (``sites.place``: its site, or, for an item of
    no site, the source that gave it), one row each (migration 0013).

    Filled as the story's items are placed (:mod:`watchtower.pipeline.story_batch`),
    so a new place is one insert-if-absent and the story's counter one indexed
    count, not a read of all its items. The primary key makes two replicas that
    see the same new place at once count it once. A place stays while its story
    lives, after retention pruned the items seen there: the counter never goes
    back down ("Vu sur 5 sites", then 3), and a pruned item listed again is no
    new place.
    """

    __tablename__ = "story_places"

    story_id: Mapped[int] = mapped_column(
        Id, ForeignKey("stories.id", ondelete="CASCADE"), primary_key=True
    )
    #: The site (``site_host``), ``""`` when the item had none.
    site: Mapped[str] = mapped_column(Text, primary_key=True)
    #: The source of an item of no site; 0 (no source has it) when ``site`` is set.
    source_id: Mapped[int] = mapped_column(Id, primary_key=True, autoincrement=False)


class MentionRow(Base):
    """A brand found in an item, and the rule that claimed it (empty: default route)."""

    __tablename__ = "mentions"

    id: Mapped[int] = mapped_column(Id, primary_key=True, autoincrement=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("items.id", ondelete="CASCADE"))
    brand: Mapped[str] = mapped_column(String(200))
    rule: Mapped[str] = mapped_column(String(200), default="")
    severity: Mapped[str] = mapped_column(String(16), default="info")
    terms: Mapped[list[str]] = mapped_column(JSON, default=list)
    surfaces: Mapped[list[str]] = mapped_column(JSON, default=list)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)

    __table_args__ = (
        UniqueConstraint("item_id", "brand", "rule", name="uq_mentions_item_brand_rule"),
        Index("ix_mentions_created_at", "created_at"),
    )


class OutboxRow(Base):
    """One notification for one target. Written with its mentions; sent by *drain*."""

    __tablename__ = "outbox"

    id: Mapped[int] = mapped_column(Id, primary_key=True, autoincrement=True)
    item_id: Mapped[int | None] = mapped_column(ForeignKey("items.id", ondelete="SET NULL"))
    dedup_key: Mapped[str] = mapped_column(String(200))
    target: Mapped[str] = mapped_column(String(500))
    status: Mapped[str] = mapped_column(String(16), default="pending")
    severity: Mapped[str] = mapped_column(String(16), default="info")
    reason: Mapped[str] = mapped_column(Text, default="")
    payload: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    attempts: Mapped[int] = mapped_column(default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(UtcDateTime)
    claimed_until: Mapped[datetime | None] = mapped_column(UtcDateTime)
    last_error: Mapped[str | None] = mapped_column(Text)
    provider_message_id: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    sent_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    # Alerting (migration 0003): a ``held`` row waits for ``hold_until`` (quiet hours,
    # grouping window, digest) under ``group_key``; a ``grouped`` row was delivered
    # inside the summary row ``parent_id``. ``outcome_unknown``: a previous send may
    # have reached the provider (crash, timeout), so look before resending.
    parent_id: Mapped[int | None] = mapped_column(Id)
    hold_reason: Mapped[str | None] = mapped_column(String(16))
    hold_until: Mapped[datetime | None] = mapped_column(UtcDateTime)
    group_key: Mapped[str | None] = mapped_column(String(600))
    outcome_unknown: Mapped[bool] = mapped_column(default=False)

    __table_args__ = (
        UniqueConstraint("dedup_key", "target", name="uq_outbox_key_target"),
        Index("ix_outbox_due", "status", "next_attempt_at"),
        Index("ix_outbox_held", "status", "hold_until"),
        # Migration 0012: retention's item deletes find the rows to set to NULL,
        # and the targets the outbox holds are read one probe each.
        Index("ix_outbox_item", "item_id"),
        Index("ix_outbox_target", "target", "status"),
        # Migration 0013: retention's delete of finished rows older than the
        # retention period seeks each finished status's oldest rows.
        Index("ix_outbox_finished", "status", "created_at"),
        # AUTOINCREMENT on SQLite (0012): a pruned row's id is never given again,
        # so a thread row, a feedback row or a Slack message's metadata naming it
        # never names a new notification.
        {"sqlite_autoincrement": True},
    )


OUTBOX_STATUSES = ("pending", "sending", "held", "sent", "grouped", "skipped", "failed")


class StoryMessageRow(Base):
    """The Slack parent message of a story for one target: later sightings reply in its thread."""

    __tablename__ = "story_messages"

    story_id: Mapped[int] = mapped_column(Id, primary_key=True)
    target: Mapped[str] = mapped_column(String(500), primary_key=True)
    outbox_id: Mapped[int] = mapped_column(Id)
    channel: Mapped[str] = mapped_column(String(100))
    ts: Mapped[str] = mapped_column(String(50))
    text: Mapped[str] = mapped_column(Text, default="")
    blocks: Mapped[list[Any]] = mapped_column(JSON, default=list)
    sightings: Mapped[int] = mapped_column(default=1)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)


class NotifyGroupRow(Base):
    """Grouping state per (rule, target): when the open group flushes, when one last went out."""

    __tablename__ = "notify_groups"

    key: Mapped[str] = mapped_column(String(600), primary_key=True)
    flush_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    last_sent_at: Mapped[datetime | None] = mapped_column(UtcDateTime)


class SpikeAlertRow(Base):
    """A volume spike that was alerted, and its acknowledgement / escalation state."""

    __tablename__ = "spike_alerts"

    id: Mapped[int] = mapped_column(Id, primary_key=True, autoincrement=True)
    dedup_key: Mapped[str] = mapped_column(String(200), unique=True)
    scope: Mapped[str] = mapped_column(String(16))  # brand | rule
    name: Mapped[str] = mapped_column(String(200))
    observed: Mapped[int] = mapped_column(default=0)
    baseline: Mapped[float] = mapped_column(default=0.0)
    escalate_notify: Mapped[list[str]] = mapped_column(JSON, default=list)
    ack_timeout_s: Mapped[float] = mapped_column(default=0.0)
    channel: Mapped[str | None] = mapped_column(String(100))
    ts: Mapped[str | None] = mapped_column(String(50))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    sent_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    acked_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    escalated_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    # When it escalates unless acknowledged (migration 0007): set when it reaches
    # Slack (``ack_timeout`` later), moved by a wall-clock step (``escalation``).
    # NULL: not on Slack yet (or recorded by a replica older than 0007): its post,
    # else its creation, plus ``ack_timeout``.
    escalate_at: Mapped[datetime | None] = mapped_column(UtcDateTime)

    __table_args__ = (Index("ix_spike_alerts_scope", "scope", "name", "created_at"),)


class DaemonRow(Base):
    """One running watchtower process (a replica, or a ``run --once``), and its heartbeat.

    Written by the process itself (:mod:`watchtower.heartbeat`): at start, at the
    end of each poll round (``seen_at``), after each config reload; ``status``
    reads it. Rows of processes not seen for a while are pruned.
    """

    __tablename__ = "daemons"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    mode: Mapped[str] = mapped_column(String(16))  # daemon | once
    host: Mapped[str] = mapped_column(String(255))
    pid: Mapped[int] = mapped_column()
    version: Mapped[str] = mapped_column(String(50))
    config: Mapped[str] = mapped_column(Text, default="")
    poll_interval_s: Mapped[float] = mapped_column()
    started_at: Mapped[datetime] = mapped_column(UtcDateTime)
    seen_at: Mapped[datetime] = mapped_column(UtcDateTime)
    round_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    round_sources: Mapped[int] = mapped_column(default=0)
    round_ok: Mapped[int] = mapped_column(default=0)
    round_failed: Mapped[int] = mapped_column(default=0)
    # Sources put off behind other fetches of their site (migration 0010).
    round_put_off: Mapped[int] = mapped_column(default=0, server_default="0")
    stopped_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    config_loaded_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    config_refused_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    config_refused: Mapped[str | None] = mapped_column(Text)
    # The targets the running config names, as sorted SHA-256 hex digests (a
    # target may hold a token); NULL for a replica older than 0011 (migration 0011).
    config_targets: Mapped[list[str] | None] = mapped_column(JSON)

    __table_args__ = (Index("ix_daemons_seen", "seen_at"),)


class AlertFeedbackRow(Base):
    """What people said of one Slack alert with their reactions (migration 0008).

    One row per outbox row whose Slack message the feedback job read
    (:mod:`watchtower.feedback`): how often it was read, and whether someone marked
    it *not relevant* (🚫, ❌ or 👎). ``watchtower noise`` sums them per brand and rule.
    """

    __tablename__ = "alert_feedback"

    outbox_id: Mapped[int] = mapped_column(
        Id, ForeignKey("outbox.id", ondelete="CASCADE"), primary_key=True
    )
    checks: Mapped[int] = mapped_column(default=0)
    checked_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    not_relevant_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    reaction: Mapped[str | None] = mapped_column(String(100))
    marked_by: Mapped[str | None] = mapped_column(String(100))


# Core handles, for statements that run as plain SQL: executemany, multi-row
# inserts and the per-batch hot path, where the ORM costs more than the query.
SOURCES = cast(Table, SourceRow.__table__)
ITEMS = cast(Table, ItemRow.__table__)
MENTIONS = cast(Table, MentionRow.__table__)
STORIES = cast(Table, StoryRow.__table__)
STORY_PLACES = cast(Table, StoryPlaceRow.__table__)
DAEMONS = cast(Table, DaemonRow.__table__)
