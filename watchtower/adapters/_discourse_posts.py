"""What Discourse's JSON says, as watchtower reads it: the topics of
``/latest.json`` and the posts of a topic answer as items (see
:mod:`watchtower.adapters.discourse` for what is read when)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any
from urllib.parse import urljoin, urlsplit

from watchtower.adapters._boilerplate import strip_foreign
from watchtower.adapters._dates import parse_date
from watchtower.adapters._text import collapse, html_to_text
from watchtower.models import Item

__all__ = ["Topic", "parse_latest", "parse_posts", "post_link", "saved_category"]


@dataclass(frozen=True)
class Topic:
    """One row of ``/latest.json``."""

    id: int
    slug: str
    title: str
    highest_post_number: int
    bumped_at: str = ""  # changes on a new post, and on a (non-ninja) edit of the last one
    created_at: str = ""
    category_id: int | None = None  # None: not said (old cursor entries, odd answers)


def saved_category(raw: dict[str, Any]) -> int | None:
    """The ``category`` a cursor entry saved for its topic (``None``: an older cursor)."""
    category = raw.get("category")
    return category if isinstance(category, int) else None


def parse_latest(payload: dict[str, Any]) -> list[Topic]:
    """Topics of a ``/latest.json`` answer, most recently active first.

    Private messages are left out: an administrator's view can list them.
    """
    topics = (payload.get("topic_list") or {}).get("topics") or []
    out = []
    for raw in topics:
        if not isinstance(raw, dict) or not isinstance(raw.get("id"), int):
            continue
        if raw.get("archetype") == "private_message":
            continue
        highest = raw.get("highest_post_number") or raw.get("posts_count") or 0
        category = raw.get("category_id")
        out.append(
            Topic(
                id=raw["id"],
                slug=str(raw.get("slug") or "topic"),
                title=html_to_text(str(raw.get("fancy_title") or raw.get("title") or "")),
                highest_post_number=int(highest),
                bumped_at=str(raw.get("bumped_at") or ""),
                created_at=str(raw.get("created_at") or ""),
                category_id=category if isinstance(category, int) else None,
            )
        )
    return out


_MAX_URL = 8192  # Item.url's limit
# Post types that Discourse writes itself, not a member: 2 moderator action ("This
# topic is now pinned", "…automatically closed…"), 3 small action ("closed the
# topic", "split this topic"). Read as replies titled after the topic, each pin or
# close of a topic about the brand would be one more alert. (1 is a regular post.)
_SYSTEM_POSTS = (2, 3)
# Discourse writes an emoji as <img class="emoji" alt=":smile:">: its short name stays
# in the text (Slack shows it as the emoji), where the image alone would leave
# nothing ("+1" replies). Custom emoji (``emoji-custom``, a forum's own pictures,
# maybe its logo named after the brand) are left out.
_IMG = re.compile(r"<img\b[^>]*>", re.IGNORECASE)
_CLASS = re.compile(r"""\bclass=["']([^"']*)["']""", re.IGNORECASE)
_ALT = re.compile(r"""\balt=["'](:[\w+-]{1,60}:)["']""", re.IGNORECASE)


def _emoji_name(match: re.Match[str]) -> str:
    tag = match.group(0)
    classes = _CLASS.search(tag)
    alt = _ALT.search(tag)
    names = classes.group(1).lower().split() if classes else []
    if alt and "emoji" in names and "emoji-custom" not in names:
        return f" {alt.group(1)} "
    return tag


def _emoji_names(cooked: str) -> str:
    """``cooked`` with each standard emoji image replaced by its short name."""
    return _IMG.sub(_emoji_name, cooked) if "emoji" in cooked else cooked


_WHISPER = 4  # staff-only: never for a channel, even when the forum shows it to us


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
        if post.get("user_deleted") or post.get("post_type") in (*_SYSTEM_POSTS, _WHISPER):
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
                text=html_to_text(strip_foreign(_emoji_names(str(post.get("cooked") or "")))),
                published=parse_date(str(post.get("created_at") or "")),
                author=username or name or None,
                extra={"author_name": name} if name and name != username else {},
            )
        )
    return items
