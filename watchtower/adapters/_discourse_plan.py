"""Which topics a Discourse poll reads, and in what order (see
:mod:`watchtower.adapters.discourse`): the backlog of earlier polls first, then the
topics that moved, each a :class:`Task` the cursor can save."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from watchtower.adapters._dates import parse_date
from watchtower.adapters._discourse_posts import Topic, saved_category

__all__ = ["Task", "bump_key", "plan"]


@dataclass(frozen=True)
class Task:
    """A topic to read: its new posts, or (``edited``) its last post again.

    ``since``: an old topic the cursor does not know (beyond the first poll's
    page, or forgotten) revived by a reply; only its last posts made after
    ``since`` (the newest bump the previous poll saw) are news, not its history.
    """

    topic: Topic
    edited: bool = False
    since: str = ""

    def saved(self) -> dict[str, Any]:
        topic = self.topic
        return {"id": topic.id, "slug": topic.slug, "title": topic.title,
                "highest": topic.highest_post_number, "bumped_at": topic.bumped_at,
                "created_at": topic.created_at, "category": topic.category_id,
                "edited": self.edited, "since": self.since}  # fmt: skip

    @classmethod
    def restored(cls, raw: object) -> Task | None:
        """The task saved by :meth:`saved`; ``None`` for anything else (an old cursor)."""
        if not isinstance(raw, dict) or not isinstance(raw.get("id"), int):
            return None
        topic = Topic(
            id=raw["id"],
            slug=str(raw.get("slug") or "topic"),
            title=str(raw.get("title") or ""),
            highest_post_number=int(raw.get("highest") or 0),
            bumped_at=str(raw.get("bumped_at") or ""),
            created_at=str(raw.get("created_at") or ""),
            category_id=saved_category(raw),
        )
        return cls(topic, edited=bool(raw.get("edited")), since=str(raw.get("since") or ""))


def bump_key(value: str) -> datetime:
    """A ``bumped_at`` as a time to compare (the earliest time when unreadable)."""
    return parse_date(value) or datetime.min.replace(tzinfo=UTC)


def plan(
    listed: list[Topic],
    pending: list[Task],
    seen: dict[str, int],
    bumped: dict[str, str],
    since: str = "",
) -> list[Task]:
    """The topics to read, in order: the backlog of earlier polls first, then what moved.

    A pending topic listed again is read with its latest figures. A topic is read
    when its highest post number grew past the one read, or (``edited``) when it
    was bumped without a new post, which is how Discourse shows an edit of its
    last post. A topic the cursor does not know, created before ``since``, is an
    old one revived: its task keeps ``since``.
    """
    fresh = {topic.id: topic for topic in listed}
    queue = [
        (fresh.pop(task.topic.id, task.topic), task.edited, task.since, True) for task in pending
    ]
    queue += [(topic, False, "", False) for topic in fresh.values()]
    tasks = []
    for topic, was_edited, was_since, queued in queue:
        key = str(topic.id)
        if topic.highest_post_number > seen.get(key, 0):
            if key in seen:
                was_since = ""
            elif not queued and since and topic.created_at:
                revived = bump_key(topic.created_at) <= bump_key(since)
                was_since = since if revived else ""
            tasks.append(Task(topic, since=was_since))
        elif key in seen and (was_edited or bumped.get(key, topic.bumped_at) != topic.bumped_at):
            tasks.append(Task(topic, edited=True))
    return tasks
