"""Edits of a forum's earlier posts, looked for in the posts recently read.

Discourse shows nothing of an edit in ``/latest.json`` unless it is the
topic's last post (only then is the topic bumped, ``PostRevisor#bump_topic``),
so a member adding "et en plus ils m'ont raccroché au nez, honteux" to their
first post changes nothing there. Each post's JSON has its ``version`` (a new
revision after the grace period) and ``updated_at`` (any saved edit, quick
ones too), which only a request for the post tells.

So the posts read as items stay *watched* for :data:`WATCH_FOR` after their
topic was last read: at most :data:`WATCHED_POSTS` a topic (the newest),
:data:`WATCHED_TOPICS` topics. Once every :data:`RECHECK_EVERY` (whatever the
source's ``every``, 304 or not), a poll re-reads the watched posts of one
topic, the one checked longest ago, in one request
(``/t/{id}/posts.json?post_ids[]=…``, as Discourse's own client loads posts),
and the posts whose version or ``updated_at`` changed are items again: the
pipeline, which knows them by guid, reports the edit ("Modifié"), or
announces the post if the edit made it match.

The re-check is secondary: when it fails for now (the forum asks us to slow
down, 429; a server error, a timeout), the poll keeps its new posts and is no
failure of the source; it warns (shown by ``watchtower status``) and the watched
posts stay watched, re-read after :data:`RECHECK_EVERY` or the forum's
``Retry-After`` if later (at most :data:`WATCH_FOR`). A 429 leaves the same
topic first in line; after another failure the next topic's turn comes (one
broken topic does not stop the others).

The cost is fixed: at most 4 requests an hour per forum, only while posts are
watched. The price is delay: with four active topics, an edit is seen within
an hour; with twenty, within five hours; a post edited more than a day after
its topic was last read is not seen. Reading every watched topic at every
poll would see edits sooner but double or worse the requests of a quiet
forum's 304 polls, for a rare event.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlencode

from watchtower.adapters._dates import parse_date
from watchtower.adapters._discourse_posts import Topic, parse_posts, saved_category
from watchtower.errors import PermanentError, TransientError
from watchtower.models import Item

__all__ = ["RECHECK_EVERY", "WATCHED_POSTS", "WATCHED_TOPICS", "WATCH_FOR", "Watchlist"]

WATCH_FOR = timedelta(hours=24)
RECHECK_EVERY = timedelta(minutes=15)
WATCHED_TOPICS = 50
WATCHED_POSTS = 20  # one posts.json?post_ids[] answer (Discourse's chunk size)

#: ``get(path, what)``: the JSON object at ``path`` below the forum's base URL.
Getter = Callable[[str, str], dict[str, Any]]


def _stamp(post: dict[str, Any]) -> str:
    """What changes when a post is edited: its version and ``updated_at``."""
    return f"{post.get('version') or ''}|{post.get('updated_at') or ''}"


@dataclass
class _Watched:
    topic: Topic
    posts: dict[str, str]  # post id → stamp, oldest first
    until: str  # ISO time: watched until then
    checked: str = ""  # ISO time of the last re-read

    def saved(self) -> dict[str, Any]:
        topic = self.topic
        return {"id": topic.id, "slug": topic.slug, "title": topic.title,
                "category": topic.category_id, "posts": self.posts,
                "until": self.until, "checked": self.checked}  # fmt: skip


def _restored(raw: object) -> _Watched | None:
    if not isinstance(raw, dict) or not isinstance(raw.get("id"), int):
        return None
    posts = raw.get("posts")
    if not isinstance(posts, dict) or not raw.get("until"):
        return None
    slug, title = str(raw.get("slug") or "topic"), str(raw.get("title") or "")
    topic = Topic(raw["id"], slug, title, 0, category_id=saved_category(raw))
    stamps = {str(k): str(v) for k, v in posts.items()}
    return _Watched(topic, stamps, str(raw["until"]), str(raw.get("checked") or ""))


def _posts(payload: dict[str, Any]) -> list[dict[str, Any]]:
    raw = (payload.get("post_stream") or {}).get("posts") or []
    return [p for p in raw if isinstance(p, dict)]


@dataclass
class Watchlist:
    """The watched posts of a forum's source, kept in its cursor."""

    now: datetime
    topics: dict[int, _Watched] = field(default_factory=dict)
    last: str = ""  # ISO time of the last re-read (or of the first post watched)
    held: str = ""  # ISO time before which no re-read is made: the last one failed
    held_why: str = ""  # why (the failure's sentence, for the warning)

    @classmethod
    def restored(cls, raw: object, now: datetime) -> Watchlist:
        """The watchlist saved by :meth:`saved`, without what expired."""
        saved = raw if isinstance(raw, dict) else {}
        topics = saved.get("topics")
        watched = [w for w in map(_restored, topics if isinstance(topics, list) else []) if w]
        live = {w.topic.id: w for w in watched if (parse_date(w.until) or now) > now}
        out = cls(now, live, str(saved.get("last") or "") if live else "")
        held = parse_date(str(saved.get("held") or ""))
        if live and held is not None and held > now:
            out.held, out.held_why = held.isoformat(), str(saved.get("held_why") or "")
        return out

    def saved(self) -> dict[str, Any]:
        newest = sorted(self.topics.values(), key=lambda w: w.until, reverse=True)
        out: dict[str, Any] = {
            "last": self.last,
            "topics": [w.saved() for w in newest[:WATCHED_TOPICS]],
        }
        if self._holding():
            out.update(held=self.held, held_why=self.held_why)
        return out

    def _holding(self) -> datetime | None:
        """Until when re-reads wait after a failed one (``None``: they do not)."""
        held = parse_date(self.held)
        return held if held is not None and held > self.now and self.topics else None

    def notes(self) -> list[str]:
        """The warning to show while re-reads wait after a failed one (every poll
        until then, so ``watchtower status`` tells it as long as it lasts)."""
        held = self._holding()
        if held is None:
            return []
        when = held.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")
        return [
            f"edits of earlier posts could not be checked ({self.held_why}); "
            f"the watched posts are checked again after {when}"
        ]

    def note(self, topic: Topic, payload: dict[str, Any], items: list[Item]) -> None:
        """Watch the posts of ``payload`` that became ``items`` (and follow the
        others already watched: read again, they are no edit to report later)."""
        read = {str(p.get("id")): _stamp(p) for p in _posts(payload)}
        watched = self.topics.get(topic.id)
        ids = [i.guid.rsplit("/p/", 1)[-1] for i in items]
        if watched is None and not ids:
            return
        if watched is None:
            watched = self.topics[topic.id] = _Watched(topic, {}, "")
        for post_id in read.keys() & watched.posts.keys():
            watched.posts[post_id] = read[post_id]
        for post_id in ids:
            if post_id in read:
                watched.posts.pop(post_id, None)
                watched.posts[post_id] = read[post_id]
        watched.posts = dict(list(watched.posts.items())[-WATCHED_POSTS:])
        if ids:
            watched.until = (self.now + WATCH_FOR).isoformat()
        if not self.last:  # the first re-read comes RECHECK_EVERY after the first post
            self.last = self.now.isoformat()

    def watched(self) -> list[Topic]:
        """The topics whose posts are watched."""
        return [w.topic for w in self.topics.values()]

    def forget(self, topic_ids: set[int]) -> None:
        """Stop watching these topics (moved where the channel must not see them)."""
        for topic_id in topic_ids & self.topics.keys():
            del self.topics[topic_id]

    def due(self) -> bool:
        """Whether a watched topic is to be re-read now: one request every
        :data:`RECHECK_EVERY` at most."""
        last = parse_date(self.last)
        if not self.topics or self._holding() is not None:
            return False
        return last is None or self.now - last >= RECHECK_EVERY

    def recheck(self, get: Getter, base: str, warnings: list[str]) -> list[Item]:
        """Re-read the watched posts of the topic checked longest ago; the
        edited ones as items. A failure for now (:class:`TransientError`) is
        no failure of the poll: the re-reads wait (see :meth:`notes`)."""
        if not self.due():
            return []
        self.last = self.now.isoformat()
        self.held = self.held_why = ""
        watched = min(self.topics.values(), key=lambda w: (w.checked, w.topic.id))
        topic = watched.topic
        query = urlencode([("post_ids[]", post_id) for post_id in watched.posts])
        try:
            payload = get(f"/t/{topic.id}/posts.json?{query}", f"topic {topic.id}")
        except PermanentError as exc:  # deleted or made private: nothing to watch
            del self.topics[topic.id]
            warnings.append(f"topic {topic.id} is no longer watched for edits: {exc.message}")
            return []
        except TransientError as exc:
            self._hold(exc)
            if exc.code != "http_rate_limited":
                watched.checked = self.now.isoformat()  # the next topic's turn
            return []
        watched.checked = self.now.isoformat()
        edited = [
            p
            for p in _posts(payload)
            if str(p.get("id")) in watched.posts and watched.posts[str(p["id"])] != _stamp(p)
        ]
        for post in edited:
            watched.posts[str(post["id"])] = _stamp(post)
        chunk = {**payload, "post_stream": {"posts": edited}}
        return parse_posts(chunk, base, title=topic.title) if edited else []

    def _hold(self, exc: TransientError) -> None:
        """No re-read before the forum's ``Retry-After`` (at least
        :data:`RECHECK_EVERY`, at most :data:`WATCH_FOR`: a day is all a post is
        watched for)."""
        wait = timedelta(seconds=min(exc.retry_after or 0.0, WATCH_FOR.total_seconds()))
        self.held = (self.now + max(wait, RECHECK_EVERY)).isoformat()
        self.held_why = exc.message
