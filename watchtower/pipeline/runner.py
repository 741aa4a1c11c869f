"""The one place that fixes the order of the stages for a batch of fetched items.

prepare (identity) → skip known (marked seen) / note edits → store item → story (dedup) →
match → route → mentions + outbox, all in the caller's transaction.

Per target, the first notification queued for a story is its top-level
message (``dedup_key = story:<id>``), also when it comes from an edit that
made the item match; later sightings from other sources, and edits that still
match, become thread replies on targets that have threads (Slack, console) and
nothing elsewhere (e-mail: one message per story). A later sighting that is no
news (a repost: the story's very address, or its text again at the same place)
posts no reply; if it is still a new place for the story (a link through a
redirector from another source), on Slack it updates the story's "Vu sur N
sites" counter (``story:<id>:seen:<item>``, coalesced like the sightings beyond
the reply cap).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from watchtower.config import Config
from watchtower.lang import detect_item
from watchtower.models import Item, Match
from watchtower.notify._text import number_text
from watchtower.notify.registry import split_target
from watchtower.pipeline.dedup import Candidate, Sighting, StoryIndex
from watchtower.pipeline.excerpt import excerpt
from watchtower.pipeline.match import Matcher
from watchtower.pipeline.normalise_items import prepare
from watchtower.pipeline.route import Route, route
from watchtower.pipeline.store import (
    Known,
    Prepared,
    enqueue,
    known_guids,
    mark_seen,
    named_site,
    store_items,
    store_mentions,
    story_targets,
    update_content,
)

#: Target kinds that can put a later sighting in the thread of the first message.
THREADED_KINDS = frozenset({"slack", "console"})
#: Target kinds whose first message shows the story's counter of sites.
COUNTED_KINDS = frozenset({"slack"})


@dataclass
class RunContext:
    """What a batch run needs: config snapshot, compiled matcher, stories, session, clock."""

    config: Config
    matcher: Matcher
    stories: StoryIndex
    session: Session
    now: datetime
    #: Items published before this are recorded without notification (a first
    #: poll's backlog); ``None`` notifies every new item.
    notify_after: datetime | None = None
    #: Each rule's severity, by rule name: built once per batch from ``config``
    #: (not once per mention), and held here rather than in a module global so
    #: that no state outlives the run.
    severities: Mapping[str, str] = field(init=False)

    def __post_init__(self) -> None:
        self.severities = {r.name: r.severity for r in self.config.rules}


@dataclass
class BatchStats:
    new_items: int = 0
    mentions: int = 0
    queued: int = 0
    edited: int = 0
    backlog: int = 0  # new items recorded silently: older than the first poll's backlog


def payload_for(
    p: Prepared,
    source: str,
    matches: Sequence[Match] = (),
    severities: Mapping[str, str] | None = None,
) -> dict[str, Any]:
    """What every notification of this item shows (the story part is added per target).

    Built once per item for all its targets: the excerpt quotes the passage
    of its highest-severity mention in ``matches`` (``severities``: each
    rule's, by name), or the start of the text without them."""
    item = p.item
    return {
        "title": shown_title(item),
        "url": p.canonical_url or item.url,
        "source": source,
        "published": item.published.isoformat() if item.published else None,
        "excerpt": excerpt(item.text, matches, severities),
        "lang": detect_item(item),
        "rating": item.rating,
        # An aggregate rating's number of reviews (its title shows only the average).
        "rating_count": item.extra.get("rating_count"),
        "author": item.author,
        # What a review is about ("Banque Acmé – agence Lyon"), and an App Store
        # review's app version (reviews.py puts them in extra).
        **({"reviewed": item.extra["subject"]} if "subject" in item.extra else {}),
        **({"app_version": item.extra["app_version"]} if "app_version" in item.extra else {}),
    }


def run_batch(ctx: RunContext, source_id: int, source: str, items: Sequence[Item]) -> BatchStats:
    """Store what is new in ``items`` and queue its notifications."""
    stats = BatchStats()
    prepared = prepare(items, ctx.config.dedup.tracking_params)
    known = known_guids(ctx.session, source_id, [p.item.guid for p in prepared], ctx.now)
    mark_seen(ctx.session, known.values(), ctx.now)  # still listed: kept by cleanup
    new: list[Prepared] = []
    for p in prepared:
        old = known.get(p.item.guid)
        if old is None:
            new.append(p)
        else:
            _maybe_edited(ctx, stats, old, p, source)
    if not new:
        return stats
    # Matching and the payload (language detection) need no lock: done before
    # the story lock, which every replica's batch waits for.
    news = [_is_news(ctx, p) for p in new]
    matched = [
        ctx.matcher.match(p.item, source) if n else [] for p, n in zip(new, news, strict=True)
    ]
    stats.backlog = news.count(False)
    severities = ctx.severities
    payloads = [
        payload_for(p, source, m, severities) if m else None
        for p, m in zip(new, matched, strict=True)
    ]
    candidates = [candidate(p) for p in new]
    stories = ctx.stories.begin_batch(ctx.session, ctx.now, candidates)
    sightings = stories.assign(source_id)
    ids = store_items(ctx.session, source_id, new, ctx.now, [s.story_id for s in sightings])
    for at, (p, sighting) in enumerate(zip(new, sightings, strict=True)):
        item_id = ids.get(p.item.guid)
        if item_id is None:  # cannot happen under the batch lock; never notify twice
            continue
        stories.added(at, item_id)
        stats.new_items += 1
        payload, matches = payloads[at], matched[at]
        if payload is not None:
            _notify(ctx, stats, item_id, p, payload, matches, sighting, edited=False)
    stories.finish(stats.new_items)
    return stats


def candidate(p: Prepared) -> Candidate:
    """What the story index compares of a prepared item."""
    return Candidate(
        p.url_hash,
        p.content_hash,
        p.fingerprint,
        shown_title(p.item),
        p.canonical_url,
        p.item.author or "",
        named_site(p),
    )


def shown_title(item: Item) -> str:
    """The item's title as notifications show it: a Google News title without
    the `` - Le Monde`` its feed appends, when that is the publisher it names
    (the reply line and the author say it already).

    Stripped here, not by the parser: the stored title is the feed's, so the
    content hash of an item stored before stays the same (a changed title
    would make every listed Google News item an edit)."""
    publisher = item.extra.get("publisher")
    suffix = f" - {publisher}" if isinstance(publisher, str) and publisher else ""
    if suffix and item.title.endswith(suffix):
        return item.title.removesuffix(suffix).rstrip() or item.title
    return item.title


def _story(p: Prepared, **fields: Any) -> dict[str, Any]:
    """The story part of a notification's payload; ``site``: where this item is
    when its link does not say (``reply_line`` names it, not news.google.com)."""
    site = named_site(p)
    return {**fields, "site": site} if site else fields


def _is_news(ctx: RunContext, p: Prepared) -> bool:
    """Undated items are news: better one old alert than a missed new one."""
    published = p.item.published
    return ctx.notify_after is None or published is None or published >= ctx.notify_after


def _maybe_edited(ctx: RunContext, stats: BatchStats, old: Known, p: Prepared, source: str) -> None:
    """Same source, same GUID: an edited post or review is noted in its story's
    thread. A review whose author changed only its stars is edited too: a 4★
    turned 1★ must reach the rules on bad ratings. Ratings are compared as
    notifications show them, to one decimal: an average going from 1.55 to
    1.6 out of 5 (3.1 then 3.2 out of 10) still reads "1,6/5", no news.

    Stars read where none were stored (an older watchtower could not read
    "2/5") are stored without a word: the author changed nothing.
    """
    restarred = old.rating != p.item.rating and _shown(old.rating) != _shown(p.item.rating)
    if (old.content_hash == p.content_hash and not restarred) or not p.content_hash:
        return
    update_content(ctx.session, old.item_id, p)
    rerated = restarred and old.rating is not None and p.item.rating is not None
    if old.content_hash == p.content_hash and not rerated:
        return
    stats.edited += 1
    if old.story_id is None:
        return
    matches = ctx.matcher.match(p.item, source)
    payload = payload_for(p, source, matches, ctx.severities) if matches or rerated else {}
    if matches:
        sighting = Sighting(old.story_id, False, 0, True)
        _notify(ctx, stats, old.item_id, p, payload, matches, sighting, edited=True)
    if rerated:
        _rerated_elsewhere(ctx, stats, old.story_id, old.item_id, p, payload, matches)


def _shown(rating: float | None) -> str:
    return "" if rating is None else number_text(rating, "en")


def _rerated_elsewhere(
    ctx: RunContext,
    stats: BatchStats,
    story_id: int,
    item_id: int,
    p: Prepared,
    payload: dict[str, Any],
    matches: Sequence[Match],
) -> None:
    """A review's new stars, told in the thread of each target that had its
    first message and that its matches no longer reach: a 1★ turned 4★ leaves
    the bad-review channel's rule, yet who read the 1★ there must see the 4★."""
    routed = {r.target for r in route(matches, ctx.config)}
    story = _story(p, id=story_id, sightings=0, edited=True, first=False)
    key = _edit_key(story_id, item_id, p)
    for target, brands in story_targets(ctx.session, story_id).items():
        if target in routed or split_target(target)[0] not in THREADED_KINDS:
            continue
        reply = Route(target, brands=brands or sorted({m.brand for m in matches}))
        if enqueue(ctx.session, item_id, key, reply, dict(payload, story=story), ctx.now):
            stats.queued += 1


def _edit_key(story_id: int, item_id: int, p: Prepared) -> str:
    """The outbox key of an edit's reply: its content and its stars (1★ → 4★ →
    1★ under one text is two edits, each told)."""
    key = f"story:{story_id}:edit:{item_id}:{p.content_hash}"
    return key if p.item.rating is None else f"{key}:{p.item.rating:g}"


def _notify(
    ctx: RunContext,
    stats: BatchStats,
    item_id: int,
    p: Prepared,
    payload: dict[str, Any],
    matches: Sequence[Match],
    sighting: Sighting,
    *,
    edited: bool,
) -> None:
    """Store the mentions and queue one notification per route; ``payload`` is
    :func:`payload_for` the item, built once (language detection is its costly part)."""
    store_mentions(ctx.session, item_id, matches, ctx.severities, ctx.now)
    stats.mentions += len(matches)
    story = _story(p, id=sighting.story_id, sightings=sighting.sightings, edited=edited)
    parent_key = f"story:{sighting.story_id}"
    for r in route(matches, ctx.config):
        # The story's first message on this target, even for an edit: an edit
        # that now matches a rule (a post turned into a complaint) must reach
        # that rule's targets as an alert, not as a reply under nothing.
        if enqueue(
            ctx.session,
            item_id,
            parent_key,
            r,
            dict(payload, story=dict(story, first=True)),
            ctx.now,
        ):
            stats.queued += 1
            continue
        kind = split_target(r.target)[0]
        if kind not in THREADED_KINDS:
            continue
        later = dict(story, first=False)
        if edited:
            key = _edit_key(sighting.story_id, item_id, p)
        elif sighting.notify:
            key = f"{parent_key}:item:{item_id}"
            # A place the story was seen at already (its site, under a new
            # address): the reply says "Republié sur", not "Aussi vu sur" its own site.
            later = dict(later, same_place=not sighting.counted)
        elif kind in COUNTED_KINDS and sighting.counted and sighting.sightings > 1:
            # No reply (nothing new to read), but the story's counter must not
            # stay at the number it had before this place saw it.
            key, later = f"{parent_key}:seen:{item_id}", dict(later, count_only=True)
        else:
            continue
        if enqueue(ctx.session, item_id, key, r, dict(payload, story=later), ctx.now):
            stats.queued += 1
