"""Persist new items, their mentions and their outbox rows in one transaction.

Writing the notification in the same transaction as its mention is what makes
delivery crash-safe: a process killed after this commit still has every
notification waiting in the outbox; one killed before it re-fetches the items.
Inserts are ``ON CONFLICT DO NOTHING`` so racing replicas cannot duplicate.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, func, select, update
from sqlalchemy.orm import Session

from watchtower.models import Item, Match
from watchtower.pipeline.fingerprint import Fingerprint
from watchtower.pipeline.route import Route
from watchtower.pipeline.sites import publisher_site, site_host
from watchtower.storage.insert_returning import insert_ignoring_many, insert_returning_id
from watchtower.storage.one_of import fetch_all, one_of
from watchtower.storage.queries import SEEN_REFRESH
from watchtower.storage.tables import ITEMS, ItemRow, MentionRow, OutboxRow

_ITEMS = ITEMS.c


def sha256(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()


@dataclass
class Prepared:
    """An item ready to store, with its canonical URL and content hash."""

    item: Item
    canonical_url: str
    url_hash: str
    content_hash: str
    fingerprint: Fingerprint


def named_site(p: Prepared) -> str:
    """The site of an item whose link names none, told another way: a Google
    News link's publisher (``Item.extra["publisher_url"]``); else ``""``."""
    publisher = p.item.extra.get("publisher_url")
    if not isinstance(publisher, str) or not publisher or site_host(p.canonical_url):
        return ""
    return publisher_site(p.canonical_url, publisher)


def store_items(
    session: Session,
    source_id: int,
    items: Sequence[Prepared],
    now: datetime,
    story_ids: Sequence[int],
) -> dict[str, int]:
    """Insert the items in one statement; their ids by GUID (a (source, guid) already
    stored is left alone and missing from the result)."""
    if not items:
        return {}
    rows = [
        {
            "source_id": source_id,
            "guid": p.item.guid,
            "url": p.item.url,
            "canonical_url": p.canonical_url,
            "url_hash": p.url_hash,
            "content_hash": p.content_hash,
            "fingerprint": p.fingerprint.to_bytes(),
            "story_id": story_id,
            "title": p.item.title,
            "text": p.item.text,
            "author": p.item.author,
            "rating": p.item.rating,
            "lang": p.item.lang,
            "published_at": p.item.published,
            "fetched_at": now,
            "seen_at": now,
            # Where a link through Google News is (NULL: the host of canonical_url),
            # so restarts and replicas count the story's places alike.
            "site": named_site(p) or None,
        }
        for p, story_id in zip(items, story_ids, strict=True)
    ]
    inserted = insert_ignoring_many(
        session.connection(), ITEMS, rows, ("source_id", "guid"), ("guid",)
    )
    return {guid: int(item_id) for item_id, guid in inserted}


@dataclass(frozen=True)
class Known:
    """What is stored of an item this source already gave us."""

    item_id: int
    content_hash: str
    story_id: int | None
    #: Its ``seen_at`` is older than ``SEEN_REFRESH``: :func:`mark_seen` rewrites it.
    seen_long_ago: bool
    #: Its stored rating: a review whose stars alone change is edited too.
    rating: float | None = None


_KNOWN = select(
    _ITEMS.guid,
    _ITEMS.id,
    _ITEMS.content_hash,
    _ITEMS.story_id,
    # Compared here: a boolean is cheaper to bring back than a datetime to parse.
    func.coalesce(_ITEMS.seen_at, _ITEMS.fetched_at) < bindparam("seen_before"),
    _ITEMS.rating,
).where(_ITEMS.source_id == bindparam("source"), one_of(_ITEMS.guid, "guids"))


def known_guids(
    session: Session, source_id: int, guids: Sequence[str], now: datetime
) -> dict[str, Known]:
    """Items of this source already stored, by GUID (looked up in chunks)."""
    known: dict[str, Known] = {}
    connection = session.connection()
    params: dict[str, Any] = {"source": source_id, "seen_before": now - SEEN_REFRESH}
    for start in range(0, len(guids), 500):
        params["guids"] = list(guids[start : start + 500])
        for guid, item_id, content_hash, story_id, long_ago, rating in fetch_all(
            connection, _KNOWN, params
        ):
            known[guid] = Known(item_id, content_hash, story_id, bool(long_ago), rating)
    return known


# On the Table: a list of parameter sets is one plain executemany.
_SEEN = update(ITEMS).where(_ITEMS.id == bindparam("b_id")).values(seen_at=bindparam("b_now"))


def mark_seen(session: Session, known: Iterable[Known], now: datetime) -> int:
    """Record that the source still lists these items, so that cleanup keeps them.

    Only items last marked more than ``SEEN_REFRESH`` ago are written, all in
    one executemany: a feed polled every few minutes costs one UPDATE per item
    and day, and a batch of new items none. A poll answered 304 (no items)
    writes nothing either: nothing changed, so the items are still listed, and
    cleanup judges "still listed" against the source's latest listing
    (:func:`watchtower.storage.queries.cleanup`).
    """
    rows = [{"b_id": k.item_id, "b_now": now} for k in known if k.seen_long_ago]
    if rows:
        session.connection().execute(_SEEN, rows)
    return len(rows)


def update_content(session: Session, item_id: int, prepared: Prepared) -> None:
    """Record an edit (same source and GUID, new content)."""
    item = prepared.item
    session.execute(
        update(ItemRow)
        .where(ItemRow.id == item_id)
        .values(
            title=item.title,
            text=item.text,
            content_hash=prepared.content_hash,
            fingerprint=prepared.fingerprint.to_bytes(),
            rating=item.rating,
        )
    )


def story_targets(session: Session, story_id: int) -> dict[str, list[str]]:
    """The targets queued the story's first message (``story:<id>``), with the
    brands it named there."""
    rows = session.execute(
        select(OutboxRow.target, OutboxRow.payload).where(
            OutboxRow.dedup_key == f"story:{story_id}"
        )
    )
    return {target: list((payload or {}).get("brands") or []) for target, payload in rows}


def store_mentions(
    session: Session,
    item_id: int,
    matches: Sequence[Match],
    severities: Mapping[str, str],
    now: datetime,
) -> None:
    for match in matches:
        insert_returning_id(
            session,
            MentionRow,
            ("item_id", "brand", "rule"),
            {
                "item_id": item_id,
                "brand": match.brand,
                "rule": match.rule or "",
                "severity": severities.get(match.rule or "", "info"),
                "terms": list(match.terms),
                "surfaces": list(match.surfaces),
                "created_at": now,
            },
        )


def enqueue(
    session: Session,
    item_id: int,
    dedup_key: str,
    route: Route,
    payload: dict[str, Any],
    now: datetime,
) -> bool:
    """Queue one notification; ``False`` when (``dedup_key``, target) was already queued."""
    row_payload = dict(
        payload,
        brands=route.brands,
        terms=route.terms,
        rules=route.rules,
        severity=route.severity.name,
    )
    inserted = insert_returning_id(
        session,
        OutboxRow,
        ("dedup_key", "target"),
        {
            "item_id": item_id,
            "dedup_key": dedup_key,
            "target": route.target,
            "status": "pending",
            "severity": route.severity.name,
            "reason": route.reason,
            "payload": row_payload,
            "attempts": 0,
            "next_attempt_at": now,
            "created_at": now,
        },
    )
    return inserted is not None
