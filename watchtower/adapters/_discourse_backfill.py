"""The first replies of an old topic revived by many, read backwards a few chunks a poll.

An old topic the cursor does not know (beyond the first poll's ``/latest.json``
page, or forgotten) that gets replies is read from its last chunk (20 posts),
and only its posts made after the newest bump the previous poll saw
(``since``) are news. During an incident a thread may get more than 20 replies
between two polls; the first ones, often the angriest, are then before that
chunk. While a chunk holds only new posts, the chunk before it is read too,
newest first: :data:`READS` chunks a poll for all such topics, the rest at
the next poll rounds (the fetch says ``more``), until a chunk reaches a post
made before ``since`` or the topic's first post. Each chunk covers the posts
numbered from the one before it up to where the previous chunk began, so no
post is read twice.

Reading back is done after the poll's new posts. When the forum fails it for
now (a 429 "slow down", a server error, a timeout), the poll keeps what it
read, its backward chunks included, and is no failure of the source: the
chunks left are read at the next check, with a warning naming the topics
meanwhile (``watchtower status``). After a 429 with ``Retry-After``, no chunk is
asked before it (:class:`Pause`, at most :data:`PAUSE_MAX`: the replies are news).

Discourse answers ``posts.json?post_number=N&asc=true`` with the 20 posts after
N (``TopicView#filter_posts_by_post_number``); ``posts.json`` alone with the
topic's first page.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from watchtower.adapters._dates import parse_date
from watchtower.adapters._discourse_posts import Topic, parse_posts, saved_category
from watchtower.errors import PermanentError, TransientError
from watchtower.models import Item

__all__ = [
    "PAUSE_MAX",
    "READS",
    "BackRead",
    "Backfill",
    "Pause",
    "chunk_start",
    "read_back",
    "read_when",
    "still_new",
]

#: ``posts.json`` requests a poll spends reading revived topics backwards (100 posts).
READS = 5
CHUNK = 20  # posts in one posts.json answer (Discourse's TopicView.chunk_size)
#: The longest a ``Retry-After`` holds back the reading of revived topics' first replies.
PAUSE_MAX = timedelta(hours=1)
_SHOWN_IDS = 10  # topic ids named in one warning

#: ``get(path, what)``: the JSON object at ``path`` below the forum's base URL.
Getter = Callable[[str, str], dict[str, Any]]


@dataclass(frozen=True)
class Backfill:
    """A revived topic's posts numbered up to ``until`` that may still be new
    (made after ``since``)."""

    topic: Topic
    since: str
    until: int

    def saved(self) -> dict[str, Any]:
        topic = self.topic
        return {"id": topic.id, "slug": topic.slug, "title": topic.title,
                "category": topic.category_id, "since": self.since,
                "until": self.until}  # fmt: skip

    @classmethod
    def restored(cls, raw: object) -> Backfill | None:
        """The backfill saved by :meth:`saved`; ``None`` for anything else."""
        if not isinstance(raw, dict) or not isinstance(raw.get("id"), int):
            return None
        until = raw.get("until")
        if not isinstance(until, int) or until <= 0 or not raw.get("since"):
            return None
        topic = Topic(
            raw["id"],
            str(raw.get("slug") or "topic"),
            str(raw.get("title") or ""),
            0,
            category_id=saved_category(raw),
        )
        return cls(topic, str(raw["since"]), until)


def chunk_start(until: int) -> int:
    """The post number a chunk ending at ``until`` is asked after."""
    return max(until - CHUNK, 0)


def _when(post: dict[str, Any]) -> datetime:
    return parse_date(str(post.get("created_at") or "")) or datetime.min.replace(tzinfo=UTC)


def still_new(payload: dict[str, Any], start: int, until: int, since: str) -> bool:
    """Whether posts before ``start`` may still be new: the chunk's posts
    numbered in ``(start, until]`` were all made after ``since``, and the topic
    has posts before them."""
    cutoff = parse_date(since) or datetime.min.replace(tzinfo=UTC)
    posts = [p for p in _posts(payload) if start < _number(p) <= until]
    return start > 0 and all(_when(p) > cutoff for p in posts)


def _posts(payload: dict[str, Any]) -> list[dict[str, Any]]:
    raw = (payload.get("post_stream") or {}).get("posts") or []
    return [p for p in raw if isinstance(p, dict)]


def _number(post: dict[str, Any]) -> int:
    try:
        return int(post.get("post_number") or 0)
    except (TypeError, ValueError):
        return 0


def new_items(payload: dict[str, Any], base: str, title: str, since: str, until: int) -> list[Item]:
    """The posts of ``payload`` numbered up to ``until`` and made after ``since``, as items."""
    cutoff = parse_date(since) or datetime.min.replace(tzinfo=UTC)
    kept = [p for p in _posts(payload) if _number(p) <= until]
    chunk = {**payload, "post_stream": {"posts": kept}}
    items = parse_posts(chunk, base, title=title)
    return [i for i in items if i.published is not None and i.published > cutoff]


@dataclass(frozen=True)
class Pause:
    """No chunk read backwards before ``until`` (ISO time): the forum answered
    a 429 with ``Retry-After``; ``why`` is the failure's sentence."""

    until: str = ""
    why: str = ""

    @classmethod
    def after(cls, exc: TransientError, now: datetime) -> Pause:
        """The pause a failure for now asks for (none without ``Retry-After``:
        the next check reads on)."""
        if not exc.retry_after or exc.retry_after <= 0:
            return cls()
        wait = timedelta(seconds=min(exc.retry_after, PAUSE_MAX.total_seconds()))
        return cls((now + wait).isoformat(), exc.message)

    @classmethod
    def restored(cls, raw: object, now: datetime) -> Pause:
        """The pause saved by :meth:`saved` while it lasts (none for anything else)."""
        saved = raw if isinstance(raw, dict) else {}
        until = parse_date(str(saved.get("until") or ""))
        if until is None or until <= now or until > now + PAUSE_MAX:
            return cls()
        return cls(until.isoformat(), str(saved.get("why") or ""))

    def saved(self) -> dict[str, str] | None:
        return {"until": self.until, "why": self.why} if self.until else None

    def holds(self, now: datetime) -> bool:
        until = parse_date(self.until)
        return until is not None and until > now


@dataclass(frozen=True)
class BackRead:
    """What :func:`read_back` read, and what it left for later."""

    items: list[Item]
    left: list[Backfill]
    pause: Pause = Pause()
    #: Stopped for now (failed, or paused): the rest waits for the next check,
    #: not the poller's next round.
    stopped: bool = False
    #: This poll's reading failed for now (the forum is busy or broken).
    failed: bool = False


def _waiting(backfills: list[Backfill], why: str, when: str) -> str:
    ids = list(dict.fromkeys(b.topic.id for b in backfills))
    shown = ", ".join(map(str, ids[:_SHOWN_IDS]))
    more = f" and {len(ids) - _SHOWN_IDS} more" if len(ids) > _SHOWN_IDS else ""
    return (
        f"the first replies of revived topics could not all be read yet ({why}); "
        f"the rest is read {when} (topics {shown}{more})"
    )


def read_when(pause: Pause) -> str:
    """When what a failure left is read: after the pause, else at the next check."""
    until = parse_date(pause.until)
    if until is None:
        return "at the next check"
    return f"after {until.astimezone(UTC).strftime('%Y-%m-%d %H:%M UTC')}"


def read_back(
    get: Getter,
    base: str,
    backfills: list[Backfill],
    warnings: list[str],
    note: Callable[[Topic, dict[str, Any], list[Item]], None] | None = None,
    *,
    now: datetime | None = None,
    pause: Pause = Pause(),
) -> BackRead:
    """At most :data:`READS` chunks of ``backfills`` read, oldest first in the
    items. A topic that became unreadable (deleted, made private) is dropped
    with a warning. A failure for now stops the reading: what was read is
    kept, the rest waits for the next check (after ``Retry-After``: ``pause``),
    with a warning. ``note(topic, answer, items)`` is told of each chunk's
    items (to watch them for edits)."""
    now = now or datetime.now(UTC)
    if backfills and pause.holds(now):
        warnings.append(_waiting(backfills, pause.why, read_when(pause)))
        return BackRead([], backfills, pause, stopped=True)
    items: list[Item] = []
    left: list[Backfill] = []
    reads = 0
    failure: TransientError | None = None
    for backfill in backfills:
        found: list[Item] = []
        current: Backfill | None = backfill
        while current is not None and reads < READS and failure is None:
            topic, start = current.topic, chunk_start(current.until)
            query = f"?post_number={start}&asc=true" if start else ""
            reads += 1
            try:
                payload = get(f"/t/{topic.id}/posts.json{query}", f"topic {topic.id}")
            except PermanentError as exc:
                warnings.append(f"topic {topic.id} was skipped: {exc.message}")
                current = None
                break
            except TransientError as exc:
                failure = exc  # ``current`` is left as it was: that chunk is read later
                break
            chunk = new_items(payload, base, topic.title, current.since, current.until)
            if note is not None:
                note(topic, payload, chunk)
            found = chunk + found
            more = still_new(payload, start, current.until, current.since)
            current = Backfill(topic, current.since, start) if more else None
        items += found
        if current is not None:
            left.append(current)
    if failure is None:
        return BackRead(items, left)
    pause = Pause.after(failure, now)
    warnings.append(_waiting(left, failure.message, read_when(pause)))
    return BackRead(items, left, pause, stopped=True, failed=True)
