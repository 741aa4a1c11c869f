"""A Discourse forum as a moderator's API key sees it, served by a :class:`FeedServer`.

Its categories, public and restricted (staff, private groups, a restricted
subcategory of a public one), are listed in ``/site.json`` as Discourse's
``SiteCategorySerializer`` writes them (``id``, ``name``, ``slug``,
``read_restricted``, ``permission``, ``parent_category_id`` for a
subcategory); ``/latest.json`` lists every topic the key can read with its
``category_id``, 30 a page as ``TopicQuery`` pages it (``?page=N``: the topics
from ``N * 30`` on, by ``bumped_at``, newest first; ``more_topics_url`` on a
full page, an empty list past the end); ``/t/{id}/posts.json`` (first 20
posts) and ``?post_number=N&asc=true`` (the 20 after N) answer a topic's
posts. A topic deleted (:meth:`StaffForum.delete`) leaves the listing, and the
topics below it move up a place; its posts answer 404.

A large forum loads some categories lazily (``lazy_load_categories_groups``):
those in ``lazy`` are left out of ``/site.json``. Every category answers
``/c/{id}/show.json`` as ``CategoriesController#show`` does: ``{"category": …}``
(``CategorySerializer``, which holds ``read_restricted`` and
``parent_category_id``), with ``site_status`` too (the forum's category answers
fail together).

An account in ``lazy_load_categories_groups`` is also told, by ``/latest.json``,
the categories of the topics listed and their parents (``topic_list.categories``:
``TopicList#categories``, ``CategoryBadgeSerializer``, with ``read_restricted``
and ``parent_category_id``): ``listing_categories`` does so.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from tests.servers.http import FeedServer, Resource

CHUNK = 20
PER_PAGE = 30  # TopicQuery::DEFAULT_PER_PAGE_COUNT
PAGES_SERVED = 12  # ``?page=N`` answered up to this (empty past the topics)


def stamp(when: datetime) -> str:
    return when.strftime("%Y-%m-%dT%H:%M:%S.000Z")


def json_resource(payload: dict[str, Any], status: int = 200) -> Resource:
    return Resource(json.dumps(payload).encode(), "application/json; charset=utf-8", status)


class StaffForum:
    """The forum below ``prefix`` on ``feeds``; ``site_status`` makes ``/site.json`` fail."""

    def __init__(self, feeds: FeedServer, prefix: str = "/forum") -> None:
        self.feeds = feeds
        self.prefix = prefix
        self.categories: list[dict[str, Any]] = []
        self.topics: dict[int, dict[str, Any]] = {}
        self.posts: dict[int, list[dict[str, Any]]] = {}
        self.site_status = 200
        self.lazy: set[int] = set()  # categories /site.json leaves out
        self.listing_categories = False  # /latest.json carries topic_list.categories

    @property
    def url(self) -> str:
        return self.feeds.url(self.prefix)

    def category(
        self,
        cid: int,
        name: str,
        *,
        restricted: bool = False,
        parent: int | None = None,
        lazy: bool = False,
    ) -> None:
        row: dict[str, Any] = {
            "id": cid, "name": name, "slug": name.lower(), "color": "0088CC",
            "text_color": "FFFFFF", "topic_count": 0, "post_count": 0,
            "read_restricted": restricted, "permission": 1,
            "topic_url": f"/t/about-the-{name.lower()}-category/{cid}",
        }  # fmt: skip
        if parent is not None:
            row["parent_category_id"] = parent
        self.categories.append(row)
        if lazy:
            self.lazy.add(cid)
        self.publish()

    def restrict(self, cid: int, restricted: bool = True) -> None:
        """Change who may read category ``cid`` (a moderator edits its security)."""
        for row in self.categories:
            if row["id"] == cid:
                row["read_restricted"] = restricted
        self.publish()

    def post(self, tid: int, category: int, at: datetime, username: str, cooked: str) -> None:
        posts = self.posts.setdefault(tid, [])
        number = len(posts) + 1
        title = f"Sujet {tid}"
        topic = self.topics.setdefault(
            tid,
            {"id": tid, "slug": f"sujet-{tid}", "title": title, "fancy_title": title,
             "archetype": "regular", "created_at": stamp(at), "category_id": category},
        )  # fmt: skip
        topic.update(highest_post_number=number, posts_count=number, bumped_at=stamp(at))
        posts.append(
            {"id": tid * 100 + number, "post_number": number, "topic_id": tid,
             "topic_slug": topic["slug"], "username": username, "name": username.title(),
             "created_at": stamp(at), "updated_at": stamp(at), "post_type": 1,
             "hidden": False, "deleted_at": None, "user_deleted": False, "version": 1,
             "post_url": f"/t/{topic['slug']}/{tid}/{number}", "cooked": cooked}
        )  # fmt: skip
        self.publish()

    def delete(self, tid: int) -> None:
        """Delete topic ``tid`` (a moderator does): gone from the listing, 404 for its posts."""
        self.topics.pop(tid, None)
        self.posts.pop(tid, None)
        head = f"{self.prefix}/t/{tid}/"
        for path in [p for p in self.feeds.resources if p.startswith(head)]:
            del self.feeds.resources[path]
        self.publish()

    def publish(self) -> None:
        res, prefix = self.feeds.resources, self.prefix
        listed = [c for c in self.categories if c["id"] not in self.lazy]
        site = {"categories": listed} if self.site_status == 200 else {"errors": ["x"]}
        res[f"{prefix}/site.json"] = json_resource(site, self.site_status)
        for row in self.categories:
            shown: dict[str, Any] = {
                **row, "description": None, "topics_day": 0, "topics_week": 0,
                "available_groups": [], "auto_close_hours": None,
                "group_permissions": [{"permission_type": 1, "group_name": "staff"}]
                if row["read_restricted"]
                else [{"permission_type": 1, "group_name": "everyone"}],
            }  # fmt: skip
            answer = {"category": shown} if self.site_status == 200 else {"errors": ["x"]}
            res[f"{prefix}/c/{row['id']}/show.json"] = json_resource(answer, self.site_status)
        ordered = sorted(self.topics.values(), key=lambda t: str(t["bumped_at"]), reverse=True)
        for page in range(PAGES_SERVED):
            shown = ordered[page * PER_PAGE : (page + 1) * PER_PAGE]
            listing: dict[str, Any] = {"per_page": PER_PAGE, "topics": shown}
            if len(ordered) > (page + 1) * PER_PAGE:
                listing["more_topics_url"] = f"{prefix}/latest?page={page + 1}"
            if self.listing_categories:
                listing["categories"] = self._badges(shown)
            path = f"{prefix}/latest.json" + (f"?page={page}" if page else "")
            res[path] = json_resource({"topic_list": listing})
        for tid, posts in self.posts.items():
            stream = {"post_stream": {"posts": posts[:CHUNK]}, "id": tid}
            res[f"{prefix}/t/{tid}/posts.json"] = json_resource(stream)
            for after in range(1, len(posts) + 1):
                stream = {"post_stream": {"posts": posts[after : after + CHUNK]}, "id": tid}
                res[f"{prefix}/t/{tid}/posts.json?post_number={after}&asc=true"] = json_resource(
                    stream
                )

    def _badges(self, topics: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """The listed topics' categories and their parents (one level, as Discourse)."""
        rows = {row["id"]: row for row in self.categories}
        wanted: list[int] = []
        for topic in topics:
            row = rows.get(topic["category_id"])
            if row is not None:
                wanted += [*([row["parent_category_id"]] if "parent_category_id" in row else []),
                           row["id"]]  # fmt: skip
        badges = []
        for cid in dict.fromkeys(wanted):
            row = rows[cid]
            badge = {key: row[key] for key in ("id", "name", "slug", "color", "text_color",
                                               "read_restricted")}  # fmt: skip
            badge.update(style_type="square", icon=None, emoji=None)
            if "parent_category_id" in row:
                badge["parent_category_id"] = row["parent_category_id"]
            badges.append(badge)
        return badges

    def site_reads(self) -> int:
        """How many times ``/site.json`` was asked for."""
        return len(self.feeds.statuses(f"{self.prefix}/site.json"))

    def lookups(self) -> list[int]:
        """The categories looked up by themselves (``/c/{id}/show.json``), in order."""
        found = []
        for path, _, _ in self.feeds.requests:
            head = f"{self.prefix}/c/"
            if path.startswith(head) and path.endswith("/show.json"):
                found.append(int(path[len(head) :].split("/")[0]))
        return found

    def keys_sent(self) -> set[str | None]:
        """The ``Api-Key`` headers the forum received."""
        return {headers.get("Api-Key") for _, headers, _ in self.feeds.requests}
