"""``kind = "discourse"``: new posts of a Discourse forum, through its public JSON API.

One poll reads ``/latest.json`` (conditional GET), then ``/t/{id}/posts.json``
for each topic whose highest post number grew since the last poll; every new
post becomes one item with its author and permalink. The cursor remembers the
highest post number seen per topic (bounded to the most recent topics), so a
post is read once. The first poll reads at most ``max_topics`` topics.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any, Literal

from pydantic import Field

from watchtower.adapters._dates import parse_date
from watchtower.adapters._text import collapse, html_to_text
from watchtower.adapters.base import (
    FetchContext,
    FetchResult,
    HttpUrl,
    Source,
    SourceSettings,
    SourceState,
)
from watchtower.errors import PermanentError
from watchtower.models import Item

__all__ = ["DiscourseSettings", "DiscourseSource", "Topic", "parse_latest", "parse_posts"]

_JSON = "application/json"
_REMEMBERED_TOPICS = 500  # cursor size bound: older topics are forgotten


class DiscourseSettings(SourceSettings):
    """Keys of a Discourse forum source."""

    kind: Literal["discourse"] = "discourse"
    base_url: HttpUrl
    max_topics: int = Field(default=10, ge=1, le=100)


@dataclass(frozen=True)
class Topic:
    """One row of ``/latest.json``."""

    id: int
    slug: str
    title: str
    highest_post_number: int


def _load(data: bytes, what: str) -> dict[str, Any]:
    try:
        payload = json.loads(data)
    except ValueError as exc:
        raise PermanentError(f"the forum did not answer with JSON for {what} ({exc})") from None
    if not isinstance(payload, dict):
        raise PermanentError(f"the forum's answer for {what} is not a JSON object")
    return payload


def parse_latest(payload: dict[str, Any]) -> list[Topic]:
    """Topics of a ``/latest.json`` answer, most recently active first."""
    topics = (payload.get("topic_list") or {}).get("topics") or []
    out = []
    for raw in topics:
        if not isinstance(raw, dict) or not isinstance(raw.get("id"), int):
            continue
        highest = raw.get("highest_post_number") or raw.get("posts_count") or 0
        out.append(
            Topic(
                id=raw["id"],
                slug=str(raw.get("slug") or "topic"),
                title=html_to_text(str(raw.get("fancy_title") or raw.get("title") or "")),
                highest_post_number=int(highest),
            )
        )
    return out


def parse_posts(
    payload: dict[str, Any], base_url: str, *, title: str = "", after: int = 0
) -> list[Item]:
    """Posts of a topic answer (``/t/{id}.json`` or ``/t/{id}/posts.json``) as items.

    ``title`` names the topic when the answer does not (``posts.json`` carries
    only the slug); ``after`` skips posts numbered at or below it.
    """
    base = base_url.rstrip("/")
    title = title or html_to_text(str(payload.get("fancy_title") or payload.get("title") or ""))
    items = []
    for post in (payload.get("post_stream") or {}).get("posts") or []:
        if not isinstance(post, dict) or post.get("hidden") or post.get("deleted_at"):
            continue
        number = int(post.get("post_number") or 0)
        if number <= after:
            continue
        topic_id = post.get("topic_id") or payload.get("id")
        slug = str(post.get("topic_slug") or payload.get("slug") or "topic")
        path = post.get("post_url") or f"/t/{slug}/{topic_id}/{number}"
        name = collapse(str(post.get("name") or ""))
        username = str(post.get("username") or "")
        items.append(
            Item(
                guid=f"{base}/p/{post.get('id')}",
                url=base + str(path),
                title=(title or slug.replace("-", " "))
                if number <= 1
                else f"Re: {title or slug.replace('-', ' ')}",
                text=html_to_text(str(post.get("cooked") or "")),
                published=parse_date(str(post.get("created_at") or "")),
                author=username or name or None,
                extra={"author_name": name} if name and name != username else {},
            )
        )
    return items


class DiscourseSource(Source):
    """Polls ``/latest.json`` and reads the new posts of the topics that moved."""

    kind = "discourse"
    settings_model = DiscourseSettings

    def fetch(
        self, settings: DiscourseSettings, state: SourceState, ctx: FetchContext
    ) -> FetchResult:
        base = settings.base_url.rstrip("/")
        page = ctx.get_page(
            f"{base}/latest.json", state, accept=_JSON, allow_private=settings.allow_private
        )
        if page.not_modified:
            return page.result([])
        latest = page.response
        seen: dict[str, int] = dict(state.cursor.get("topics") or {})
        items: list[Item] = []
        moved = [
            t
            for t in parse_latest(_load(latest.content, "/latest.json"))
            if t.highest_post_number > seen.get(str(t.id), 0)
        ]
        for topic in moved[: settings.max_topics]:
            after = seen.get(str(topic.id), 0)
            # posts.json returns the chunk starting at post_number: only the new posts.
            response = ctx.http.get(
                f"{base}/t/{topic.id}/posts.json?post_number={after + 1}",
                accept=_JSON,
                allow_private=settings.allow_private,
            )
            payload = _load(response.content, f"topic {topic.id}")
            items += parse_posts(payload, base, title=topic.title, after=after)
            # A long topic comes in chunks: remember the last post read, not the
            # topic's highest, so the next poll continues where this one stopped.
            numbers = [
                int(p.get("post_number") or 0)
                for p in (payload.get("post_stream") or {}).get("posts") or []
                if isinstance(p, dict)
            ]
            reached = max([after, *numbers])
            # No progress (a server ignoring post_number): skip to the topic's highest.
            seen[str(topic.id)] = reached if reached > after else topic.highest_post_number
        remembered = dict(sorted(seen.items(), key=lambda kv: int(kv[0]))[-_REMEMBERED_TOPICS:])
        result = page.result(items)
        result.cursor = {"topics": remembered}
        return result
