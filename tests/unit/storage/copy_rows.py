"""A database with rows in every table ``db copy`` copies, holding the values that
must survive a move to another backend: bytes (with NUL and 0xFF), timezone-aware
datetimes with microseconds, nested JSON, non-ASCII text, booleans, floats and
NULLs; and a running daemon's heartbeat row (``daemons``, not copied)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import select

from watchtower.storage.daemons import upsert_daemon
from watchtower.storage.db import Database
from watchtower.storage.db_copy import copied_tables
from watchtower.storage.tables import (
    AlertFeedbackRow,
    ItemRow,
    MentionRow,
    NotifyGroupRow,
    OutboxRow,
    SourceRow,
    SpikeAlertRow,
    StoryMessageRow,
    StoryPlaceRow,
    StoryRow,
)

NOW = datetime(2026, 3, 29, 0, 59, 59, 123456, tzinfo=UTC)
#: Items in the source: more than one copy batch in the tests (they copy 2 at a time).
ITEMS = 5


def fill(db: Database) -> None:
    """Rows in every copied table of ``db`` (migrated), as a year of use leaves them."""
    with db.session() as session:
        forum = SourceRow(
            name="forum-clients-é",
            kind="discourse",
            url="http://127.0.0.1/forum",
            enabled=False,
            cursor={"last_post_id": 48213, "topics": {"12": "2026-03-28T23:00:00+00:00"}},
            next_check_at=NOW,
            last_success_at=NOW - timedelta(minutes=5),
            consecutive_failures=2,
            last_error="le site a refusé l'accès (403) — « Acmé »",
            alerting=True,
            alert_reason="failing",
            failing_since=NOW - timedelta(hours=1),
        )
        session.add_all([forum, SourceRow(name="presse", kind="rss", cursor={}, next_check_at=NOW)])
        story = StoryRow(
            key="url:127.0.0.1/acme", title="Acmé 🚀 日本", created_at=NOW, last_seen_at=NOW
        )
        session.add(story)
        session.flush()
        items = [
            ItemRow(
                source_id=forum.id,
                guid=f"post-{n}",
                url=f"http://127.0.0.1/t/{n}",
                story_id=story.id if n == 0 else None,
                fingerprint=bytes([0, 255, n, 10, 13]),
                title=f"Acmé n°{n} — ça marche ?",
                text="Ünïcödé\ttext\r\nwith ☃ and 𝔘",
                rating=4.5 if n == 0 else None,
                published_at=None if n == 1 else NOW - timedelta(days=n),  # undated
                fetched_at=NOW,
                seen_at=NOW,
                site="presse.fr" if n == 2 else None,
            )
            for n in range(ITEMS)
        ]
        session.add_all(items)
        session.flush()
        session.add_all(
            [  # its place by site, and a place by source (an item with no site)
                StoryPlaceRow(story_id=story.id, site="127.0.0.1", source_id=0),
                StoryPlaceRow(story_id=story.id, site="", source_id=forum.id),
            ]
        )
        session.add(
            MentionRow(
                item_id=items[0].id,
                brand="Acmé",
                rule="crise",
                severity="critical",
                terms=["Acmé", "ACME"],
                surfaces=["acmé"],
                created_at=NOW,
            )
        )
        sent = OutboxRow(
            item_id=items[0].id,
            dedup_key="story:1",
            target="slack:#veille",
            status="sent",
            payload={"title": "Acmé « crise »", "nested": {"list": [1, 2.5, None, True]}},
            next_attempt_at=NOW,
            created_at=NOW,
            sent_at=NOW,
            provider_message_id="1711673999.000100",
        )
        session.add(sent)
        session.flush()
        session.add(
            OutboxRow(
                item_id=None,
                dedup_key="digest:daily",
                target="email:équipe@127.0.0.1",
                status="held",
                hold_reason="digest",
                hold_until=NOW + timedelta(hours=8),
                group_key="rule:crise|email:équipe@127.0.0.1",
                parent_id=sent.id,
                outcome_unknown=True,
                payload={},
                next_attempt_at=NOW,
                created_at=NOW,
            )
        )
        session.add(
            StoryMessageRow(
                story_id=story.id,
                target="slack:#veille",
                outbox_id=sent.id,
                channel="C0123",
                ts="1711673999.000100",
                text="*Acmé*",
                blocks=[{"type": "section", "text": {"type": "mrkdwn", "text": "Acmé"}}],
                sightings=3,
                created_at=NOW,
            )
        )
        session.add(NotifyGroupRow(key="rule:crise|slack:#veille", flush_at=NOW, last_sent_at=None))
        session.add(
            SpikeAlertRow(
                dedup_key="spike:brand:Acmé:2026-03-29",
                scope="brand",
                name="Acmé",
                observed=42,
                baseline=3.25,
                escalate_notify=["slack:#astreinte"],
                ack_timeout_s=1800.0,
                channel="C0123",
                ts="1711673999.000200",
                created_at=NOW,
                sent_at=NOW,
                escalate_at=NOW + timedelta(minutes=30),
            )
        )
        session.add(
            AlertFeedbackRow(
                outbox_id=sent.id, checks=2, checked_at=NOW, reaction="👎", marked_by="U42"
            )
        )
    add_daemon(db, datetime.now(UTC))


def add_daemon(db: Database, seen_at: datetime) -> None:
    """A daemon's heartbeat, seen at ``seen_at`` (now: it runs)."""
    row: dict[str, Any] = {
        "id": "0123456789abcdef0123456789abcdef",
        "mode": "daemon",
        "host": "replica-1",
        "pid": 4242,
        "version": "0.5.0",
        "config": "/etc/watchtower/watchtower.toml",
        "poll_interval_s": 60.0,
        "started_at": seen_at - timedelta(hours=1),
        "seen_at": seen_at,
        "round_sources": 0,
        "round_ok": 0,
        "round_failed": 0,
        "round_put_off": 0,
    }
    with db.session() as session:
        upsert_daemon(session, row, row)


def table_rows(db: Database) -> dict[str, list[dict[str, Any]]]:
    """Every copied table's rows, as dicts in primary-key order."""
    with db.engine.connect() as connection:
        return {
            table.name: [
                dict(row._mapping)
                for row in connection.execute(select(table).order_by(*table.primary_key.columns))
            ]
            for table in copied_tables()
        }
