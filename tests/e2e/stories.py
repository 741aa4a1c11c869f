"""Story 7 on ``#veille`` as the alerting tests queue it: its first sighting (the
message that stands for the story in Slack) and its later sightings on other
sites (replies in that message's thread, which edit its count of sites).
"""

from __future__ import annotations

from typing import Any

from tests.e2e.alerting_helpers import queue
from watchtower.app import App

#: Where a later sighting was seen: its source and its URL (whose site Slack shows).
BLOG_B: dict[str, Any] = {"source": "blog-b", "url": "https://www.blog-b.example/acme"}
FORUM_C: dict[str, Any] = {"source": "forum-c", "url": "https://forum-c.example/t/9"}


def story(story_id: int, first: bool, sightings: int) -> dict[str, object]:
    return {"id": story_id, "first": first, "sightings": sightings, "edited": False}


def queue_first_sighting(app: App) -> list[int]:
    """Story 7's first sighting (key ``parent``): the story's own message."""
    return queue(app, "slack:#veille", key="parent", story=story(7, True, 1))


def queue_sighting(app: App, key: str, sightings: int, **where: Any) -> list[int]:
    """A later sighting of story 7, the ``sightings``-th site it was seen on;
    ``where`` is its source and URL (:data:`BLOG_B`, :data:`FORUM_C`)."""
    return queue(app, "slack:#veille", key=key, story=story(7, False, sightings), **where)
