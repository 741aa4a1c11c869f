"""The one place that fixes the order of the stages for a batch of fetched items.

prepare (identity) → drop known → store item → match → route → mentions + outbox,
all in the caller's transaction.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from watchtower.config import Config
from watchtower.models import Item
from watchtower.pipeline.match import Matcher
from watchtower.pipeline.normalise_items import prepare
from watchtower.pipeline.route import route
from watchtower.pipeline.store import (
    Prepared,
    enqueue,
    known_guids,
    store_item,
    store_mentions,
)

EXCERPT_CHARS = 300


@dataclass
class RunContext:
    """What a batch run needs: the config snapshot, compiled matcher, session and clock."""

    config: Config
    matcher: Matcher
    session: Session
    now: datetime


@dataclass
class BatchStats:
    new_items: int = 0
    mentions: int = 0
    queued: int = 0


def dedup_key(p: Prepared, source: str) -> str:
    """One story per canonical URL; without a URL, per content."""
    if p.url_hash:
        return f"url:{p.url_hash}"
    return f"content:{p.content_hash}"


def payload_for(p: Prepared, source: str) -> dict[str, Any]:
    item = p.item
    excerpt = item.text[:EXCERPT_CHARS] + ("…" if len(item.text) > EXCERPT_CHARS else "")
    return {
        "title": item.title,
        "url": p.canonical_url or item.url,
        "source": source,
        "published": item.published.isoformat() if item.published else None,
        "excerpt": excerpt,
        "lang": item.lang,
    }


def run_batch(ctx: RunContext, source_id: int, source: str, items: Sequence[Item]) -> BatchStats:
    """Store what is new in ``items`` and queue its notifications."""
    stats = BatchStats()
    prepared = prepare(items)
    known = known_guids(ctx.session, source_id, [p.item.guid for p in prepared])
    severities = {r.name: r.severity for r in ctx.config.rules}
    for p in prepared:
        if p.item.guid in known:
            continue
        item_id = store_item(ctx.session, source_id, p, ctx.now)
        if item_id is None:
            continue
        stats.new_items += 1
        matches = ctx.matcher.match(p.item, source)
        if not matches:
            continue
        store_mentions(ctx.session, item_id, matches, severities, ctx.now)
        stats.mentions += len(matches)
        routes = route(matches, ctx.config)
        stats.queued += enqueue(
            ctx.session, item_id, dedup_key(p, source), routes, payload_for(p, source), ctx.now
        )
    return stats
