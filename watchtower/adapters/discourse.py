"""``kind = "discourse"``: new posts of a Discourse forum, through its public JSON API.

One poll reads ``/latest.json`` (conditional GET), then ``/t/{id}/posts.json``
for each topic whose highest post number grew since the last poll; every new
post becomes one item with its author and permalink. The cursor remembers the
highest post number read per topic (bounded to the most recent topics), so a
post is read once.

A poll reads at most ``max_topics`` topics. When more moved, the others wait in
the cursor (``pending``) and are read first by the next polls, even while
``/latest.json`` answers 304. On the first poll, the topics beyond ``max_topics``
are recorded at their current post number instead: their posts are history (the
first poll's backlog), and read later they would be announced as news.

Edits: a topic whose ``bumped_at`` changed while its post count did not has its
last post read again, and the pipeline reports the edit. Discourse bumps a topic
only for an edit of its *last* post made after the few-minute grace period
("ninja edits" are not bumps), so edits of earlier posts, and quick edits, are
not seen.

A post links to its permalink (``post_url``, read below the base URL, as
Discourse writes it for a subfolder install too), unless that link would leave
the forum (another scheme, host or port, user info: ``"@evil.example/…"``
glued to the base URL moves the host): then to the topic URL made from the
base URL. Answers that are not JSON, or nested too deeply to read, fail the
source with a plain message.

A post's text is its own words: quotes of other posts, link previews
(oneboxes) and image details are left out
(:func:`~watchtower.adapters._boilerplate.strip_foreign`), and the posts Discourse
writes itself (pins, closes: ``_SYSTEM_POSTS``) are no items.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any, Literal
from urllib.parse import urljoin, urlsplit

from pydantic import Field

from watchtower.adapters._boilerplate import strip_foreign
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

__all__ = [
    "DiscourseSettings",
    "DiscourseSource",
    "Topic",
    "parse_latest",
    "parse_posts",
    "post_link",
]

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
    bumped_at: str = ""  # changes on a new post, and on a (non-ninja) edit of the last one


@dataclass(frozen=True)
class _Task:
    """A topic to read: its new posts, or (``edited``) its last post again."""

    topic: Topic
    edited: bool = False

    def saved(self) -> dict[str, Any]:
        topic = self.topic
        return {"id": topic.id, "slug": topic.slug, "title": topic.title,
                "highest": topic.highest_post_number, "bumped_at": topic.bumped_at,
                "edited": self.edited}  # fmt: skip

    @classmethod
    def restored(cls, raw: object) -> _Task | None:
        """The task saved by :meth:`saved`; ``None`` for anything else (an old cursor)."""
        if not isinstance(raw, dict) or not isinstance(raw.get("id"), int):
            return None
        topic = Topic(
            id=raw["id"],
            slug=str(raw.get("slug") or "topic"),
            title=str(raw.get("title") or ""),
            highest_post_number=int(raw.get("highest") or 0),
            bumped_at=str(raw.get("bumped_at") or ""),
        )
        return cls(topic, edited=bool(raw.get("edited")))


def _load(data: bytes, what: str) -> dict[str, Any]:
    try:
        payload = json.loads(data)
    except ValueError as exc:
        params = {"what": what, "reason": str(exc)}
        raise PermanentError(code="forum_not_json", params=params) from None
    except RecursionError:
        raise PermanentError(code="forum_too_deep", params={"what": what}) from None
    if not isinstance(payload, dict):
        raise PermanentError(code="forum_not_object", params={"what": what})
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
                bumped_at=str(raw.get("bumped_at") or ""),
            )
        )
    return out


_MAX_URL = 8192  # Item.url's limit
# Post types that Discourse writes itself, not a member: 2 moderator action ("This
# topic is now pinned", "…automatically closed…"), 3 small action ("closed the
# topic", "split this topic"). Read as replies titled after the topic, each pin or
# close of a topic about the brand would be one more alert. (1 is a regular post,
# 4 a staff whisper: both are someone's words.)
_SYSTEM_POSTS = (2, 3)


def _origin(url: str) -> tuple[str, str | None, int | None, str | None, str | None]:
    parts = urlsplit(url)
    return parts.scheme.lower(), parts.hostname, parts.port, parts.username, parts.password


def post_link(base: str, path: str, fallback: str) -> str:
    """``path`` (a post's ``post_url``) as a URL on the forum at ``base``, else ``fallback``.

    ``/t/slug/7/1`` is read below ``base`` (Discourse writes it relative to the
    forum, which may live in a subfolder); anything else is resolved with
    ``urljoin``. The result must keep the forum's scheme, host, port and user
    info (none), hold no backslash (which browsers read as ``/``) and fit an
    item, or ``fallback`` (made from ``base``) is used.
    """
    base = base.rstrip("/")
    try:
        if path.startswith("/") and not path.startswith("//"):
            link = base + path
        else:
            link = urljoin(base + "/", path)
        same_forum = _origin(link) == _origin(base)
    except ValueError:  # an invalid port or IPv6 literal
        return fallback
    return link if same_forum and "\\" not in link and len(link) <= _MAX_URL else fallback


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
        if post.get("post_type") in _SYSTEM_POSTS:
            continue
        number = int(post.get("post_number") or 0)
        if number <= after:
            continue
        topic_id = post.get("topic_id") or payload.get("id")
        slug = str(post.get("topic_slug") or payload.get("slug") or "topic")
        topic_url = f"{base}/t/{slug}/{topic_id}/{number}"
        path = post.get("post_url")
        name = collapse(str(post.get("name") or ""))
        username = str(post.get("username") or "")
        items.append(
            Item(
                guid=f"{base}/p/{post.get('id')}",
                url=post_link(base, str(path), topic_url) if path else topic_url,
                title=(title or slug.replace("-", " "))
                if number <= 1
                else f"Re: {title or slug.replace('-', ' ')}",
                text=html_to_text(strip_foreign(str(post.get("cooked") or ""))),
                published=parse_date(str(post.get("created_at") or "")),
                author=username or name or None,
                extra={"author_name": name} if name and name != username else {},
            )
        )
    return items


def _plan(
    listed: list[Topic], pending: list[_Task], seen: dict[str, int], bumped: dict[str, str]
) -> list[_Task]:
    """The topics to read, in order: the backlog of earlier polls first, then what moved.

    A pending topic listed again is read with its latest figures. A topic is read
    when its highest post number grew past the one read, or (``edited``) when it
    was bumped without a new post, which is how Discourse shows an edit of its
    last post.
    """
    fresh = {topic.id: topic for topic in listed}
    queue = [(fresh.pop(task.topic.id, task.topic), task.edited) for task in pending]
    queue += [(topic, False) for topic in fresh.values()]
    tasks = []
    for topic, was_edited in queue:
        key = str(topic.id)
        if topic.highest_post_number > seen.get(key, 0):
            tasks.append(_Task(topic))
        elif key in seen and (was_edited or bumped.get(key, topic.bumped_at) != topic.bumped_at):
            tasks.append(_Task(topic, edited=True))
    return tasks


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
        cursor = state.cursor
        first_poll = "topics" not in cursor
        seen: dict[str, int] = dict(cursor.get("topics") or {})
        bumped: dict[str, str] = dict(cursor.get("bumped") or {})
        pending = [t for t in map(_Task.restored, cursor.get("pending") or []) if t]
        if page.not_modified:
            if not pending:
                return page.result([])
            listed: list[Topic] = []  # nothing moved, but earlier polls left work
        else:
            listed = parse_latest(_load(page.response.content, "/latest.json"))
        tasks = _plan(listed, pending, seen, bumped)
        if listed:
            bumped = {str(t.id): t.bumped_at for t in listed if t.bumped_at}
        this_poll, later = tasks[: settings.max_topics], tasks[settings.max_topics :]
        if first_poll:
            for task in later:
                seen[str(task.topic.id)] = task.topic.highest_post_number
            later = []
        items: list[Item] = []
        warnings: list[str] = []
        queued = {task.topic.id for task in pending}
        for task in this_poll:
            try:
                items += self._read(settings, ctx, base, task, seen)
            except PermanentError as exc:
                if task.topic.id not in queued:
                    raise
                # Deleted or made private since an earlier poll queued it: failing
                # every poll on it would block the whole forum.
                seen[str(task.topic.id)] = task.topic.highest_post_number
                warnings.append(f"topic {task.topic.id} was skipped: {exc.message}")
        # Topics left behind (not read, or a long topic read one chunk at a time)
        # wait for the next polls; the unread ones go first.
        later += [
            t
            for t in this_poll
            if not t.edited and seen.get(str(t.topic.id), 0) < t.topic.highest_post_number
        ]
        remembered = dict(sorted(seen.items(), key=lambda kv: int(kv[0]))[-_REMEMBERED_TOPICS:])
        result = page.result(items, warnings)
        result.cursor = {
            "topics": remembered,
            "bumped": bumped,
            "pending": [task.saved() for task in later[:_REMEMBERED_TOPICS]],
        }
        return result

    def _read(
        self,
        settings: DiscourseSettings,
        ctx: FetchContext,
        base: str,
        task: _Task,
        seen: dict[str, int],
    ) -> list[Item]:
        """Read one topic's new posts (or its last post again); advance ``seen``."""
        topic = task.topic
        after = seen.get(str(topic.id), 0)
        start = max(topic.highest_post_number - 1, 0) if task.edited else after
        # posts.json returns the chunk starting at post_number: only the posts wanted.
        response = ctx.http.get(
            f"{base}/t/{topic.id}/posts.json?post_number={start + 1}",
            accept=_JSON,
            allow_private=settings.allow_private,
        )
        payload = _load(response.content, f"topic {topic.id}")
        items = parse_posts(payload, base, title=topic.title, after=start)
        # A long topic comes in chunks: remember the last post read, not the
        # topic's highest, so the next poll continues where this one stopped.
        numbers = [
            int(p.get("post_number") or 0)
            for p in (payload.get("post_stream") or {}).get("posts") or []
            if isinstance(p, dict)
        ]
        reached = max([after, *numbers])
        if reached > after:
            seen[str(topic.id)] = reached
        elif not task.edited:
            # No progress (a server ignoring post_number): skip to the topic's highest.
            seen[str(topic.id)] = topic.highest_post_number
        return items
