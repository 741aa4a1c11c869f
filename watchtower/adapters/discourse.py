"""``kind = "discourse"``: new posts of a Discourse forum, through its public JSON API.

One poll reads ``/latest.json`` (conditional GET), then ``/t/{id}/posts.json``
for each topic whose highest post number grew since the last poll; every new
post becomes one item with its author and permalink. The cursor remembers the
highest post number read per topic (bounded to the most recent topics), so a
post is read once.

Discourse's ``posts.json?post_number=N`` answers the posts *before* N, newest
first; the posts after N need ``asc=true`` (``TopicView#filter_posts_by_post_number``,
20 posts a chunk), and a topic read from its start is ``posts.json`` with no
query (its first page).

A busy evening moves more topics than one ``/latest.json`` page lists (30): while
the last topic of a page was bumped after the newest bump the previous poll saw
(``since``), the next page is read too, up to :data:`_PAGES` pages a poll. An
old topic the cursor does not know (beyond the first poll's page, or forgotten)
revived by a reply is read from its last chunk, and only its posts made after
``since`` are items: a reply in a 2019 thread is one alert, not the thread.
When that chunk holds only new posts (an incident thread), the chunks before
it are read backwards until one reaches ``since``, a few a poll
(:mod:`~watchtower.adapters._discourse_backfill`): the first replies too.

A poll reads at most ``max_topics`` topics. When more moved, the others wait in
the cursor (``pending``) and are read first by the next polls, even while
``/latest.json`` answers 304. On the first poll, the topics beyond ``max_topics``
are recorded at their current post number instead: their posts are history (the
first poll's backlog), and read later they would be announced as news. While
topics wait, the result says ``more``: the poller checks the forum again at its
next round instead of after ``every``.

Edits: a topic whose ``bumped_at`` changed while its post count did not has its
last post read again, and the pipeline reports the edit. Discourse bumps a topic
only for an edit of its *last* post made after the few-minute grace period
("ninja edits" are not bumps). Edits of earlier posts show only in the posts'
own ``version`` / ``updated_at``: the posts read stay watched for a day, and one
request every 15 minutes re-reads those of one topic
(:mod:`~watchtower.adapters._discourse_watch`). That re-read is secondary: when
it fails for now (429, 5xx, timeout), the poll keeps its new posts and warns,
and the re-reads wait (``Retry-After``). So does reading a revived topic's
first replies backwards: what was read is kept, the chunks left are read at
the next check, after ``Retry-After`` (and no re-check is asked of a forum that
just failed). A 429 on ``/latest.json`` or a topic's new posts fails the poll
as before (the cursor does not move: nothing is lost).

A post links to its permalink (``post_url``, read below the base URL, as
Discourse writes it for a subfolder install too), unless that link would leave
the forum (another scheme, host or port, user info: ``"@evil.example/…"``
glued to the base URL moves the host): then to the topic URL made from the
base URL. Answers that are not JSON, or nested too deeply to read, fail the
source with a plain message.

What the public does not see is no item, even if the forum shows it to the
reader: private messages (``archetype = "private_message"``), staff whispers
(``post_type`` 4), hidden and deleted posts, and posts their author withdrew
(``user_deleted``: "(post deleted by author)" until Discourse removes them).

A post's text is its own words: quotes of other posts, link previews
(oneboxes) and image details are left out
(:func:`~watchtower.adapters._boilerplate.strip_foreign`), emoji keep their short
name (``:smile:``), and the posts Discourse writes itself (pins, closes:
``_SYSTEM_POSTS``) are no items.

A forum behind a login is read with an API key: ``api_key_env`` names the
environment variable holding it, sent as the ``Api-Key`` header (with
``Api-Username``), never in a URL, a log or an error, and not to another site
a redirect points to.

With a moderator's key, the topics of staff-only and private-group categories
are no items unless ``include_restricted = true``; a category ``/site.json``
leaves out (loaded lazily) is looked up by itself, a topic whose category is
not known to be public is skipped, and one whose category cannot be told for
now waits in the backlog (:mod:`~watchtower.adapters._discourse_categories`).
A forum loading categories lazily lists its topics' categories in
``/latest.json`` (``topic_list.categories``): they are used as they come.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from typing import Any, Literal

from pydantic import Field, model_validator

from watchtower.adapters._discourse_backfill import (
    Backfill,
    Pause,
    chunk_start,
    read_back,
    still_new,
)
from watchtower.adapters._discourse_categories import Categories
from watchtower.adapters._discourse_plan import Task, bump_key, plan
from watchtower.adapters._discourse_posts import Topic, parse_latest, parse_posts, post_link
from watchtower.adapters._discourse_watch import Watchlist
from watchtower.adapters.base import (
    FetchContext,
    FetchResult,
    HttpUrl,
    Page,
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
_PAGES = 10  # /latest.json pages (30 topics each) read in one poll


class DiscourseSettings(SourceSettings):
    """Keys of a Discourse forum source."""

    kind: Literal["discourse"] = "discourse"
    base_url: HttpUrl
    max_topics: int = Field(default=10, ge=1, le=100)
    api_key_env: str | None = Field(
        default=None,
        pattern=r"^[A-Za-z_][A-Za-z0-9_]*$",
        description="Environment variable holding a Discourse API key (sent as the "
        "Api-Key header, never in the URL), for a forum that requires a login.",
    )
    api_username: str | None = Field(
        default=None,
        min_length=1,
        max_length=60,
        description="The member the API key acts as (Api-Username header): a member "
        "who sees only what the public sees, not an administrator.",
    )
    include_restricted: bool = Field(
        default=False,
        description="Also announce the topics of restricted categories (staff, "
        "moderators, private groups) that the API key's account can read. Off: they "
        "are skipped, so a moderator's key does not leak staff discussions.",
    )

    @model_validator(mode="after")
    def _username_needs_a_key(self) -> DiscourseSettings:
        if self.api_username and not self.api_key_env:
            raise ValueError("api_username needs api_key_env (the API key's variable)")
        if self.include_restricted and not self.api_key_env:
            raise ValueError(
                "include_restricted needs api_key_env: without an API key only public "
                "categories can be read"
            )
        return self

    @property
    def screens_categories(self) -> bool:
        """Whether topics of restricted categories are to be left out: only an API
        key's account can see them (an anonymous reader sees public categories only)."""
        return bool(self.api_key_env) and not self.include_restricted


@dataclass(frozen=True)
class _Forum:
    """The forum's JSON API: its base URL, address policy and API credentials."""

    ctx: FetchContext
    base: str
    allow_private: bool
    credentials: dict[str, str]

    @classmethod
    def of(cls, settings: DiscourseSettings, ctx: FetchContext) -> _Forum:
        credentials = {}
        if settings.api_key_env:
            key = os.environ.get(settings.api_key_env, "").strip()
            if not key:
                params = {"variable": settings.api_key_env}
                raise PermanentError(code="api_key_env_missing", params=params)
            credentials["Api-Key"] = key
            if settings.api_username:
                credentials["Api-Username"] = settings.api_username
        return cls(ctx, settings.base_url.rstrip("/"), settings.allow_private, credentials)

    def latest(self, state: SourceState) -> Page:
        """``/latest.json``, conditionally (ETag / Last-Modified from ``state``)."""
        response = self.ctx.http.get(
            f"{self.base}/latest.json",
            etag=state.etag,
            last_modified=state.last_modified,
            accept=_JSON,
            allow_private=self.allow_private,
            credentials=self.credentials or None,
        )
        return Page(
            response,
            response.headers.get("etag") or state.etag,
            response.headers.get("last-modified") or state.last_modified,
        )

    def get(self, path: str, what: str) -> dict[str, Any]:
        """The JSON object at ``path`` below the base URL."""
        response = self.ctx.http.get(
            f"{self.base}{path}",
            accept=_JSON,
            allow_private=self.allow_private,
            credentials=self.credentials or None,
        )
        return _load(response.content, what)


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


class DiscourseSource(Source):
    """Polls ``/latest.json`` and reads the new posts of the topics that moved."""

    kind = "discourse"
    settings_model = DiscourseSettings

    def fetch(
        self, settings: DiscourseSettings, state: SourceState, ctx: FetchContext
    ) -> FetchResult:
        forum = _Forum.of(settings, ctx)
        page = forum.latest(state)
        cursor = state.cursor
        first_poll = "topics" not in cursor
        seen: dict[str, int] = dict(cursor.get("topics") or {})
        bumped: dict[str, str] = dict(cursor.get("bumped") or {})
        pending = [t for t in map(Task.restored, cursor.get("pending") or []) if t]
        backfills = [b for b in map(Backfill.restored, cursor.get("backfill") or []) if b]
        watch = Watchlist.restored(cursor.get("watch"), ctx.now())
        since = str(cursor.get("since") or "")
        categories = Categories.restored(cursor.get("categories"), ctx.now())
        warnings: list[str] = []
        if page.not_modified:
            if not (pending or backfills or watch.due()):
                return page.result([], watch.notes())
            pages: list[dict[str, Any]] = []  # nothing moved, but there is work left
        else:
            pages = [_load(page.response.content, "/latest.json")]
            if not first_poll:
                pages += self._more_pages(forum, pages[0], since, warnings)
        listed = [topic for payload in pages for topic in parse_latest(payload)]
        # Every topic that moved, shown or not, sets ``since``: a topic skipped for an
        # unknown category and later known public is then read as a revived one
        # (its posts after this poll), never from its history.
        moved = listed
        undecided: set[int] = set()  # of a category not decided yet: they wait
        waiting_backfills: list[Backfill] = []
        if settings.screens_categories:
            # What the cursor holds too: a topic moved to a staff category since it
            # was queued or read, an older cursor's entries (no category saved).
            kept = [*listed, *(t.topic for t in pending), *(b.topic for b in backfills)]
            for payload in pages:  # the categories a lazy-loading forum lists with its topics
                categories.learn(payload)
            screening = categories.screen([*kept, *watch.watched()], forum.get, warnings)
            hidden, undecided = screening.hidden, screening.undecided
            listed = [t for t in listed if t.id not in hidden]
            pending = [t for t in pending if t.topic.id not in hidden]
            waiting_backfills = [b for b in backfills if b.topic.id in undecided]
            backfills = [b for b in backfills if b.topic.id not in hidden | undecided]
            watch.forget(hidden | undecided)
        tasks = plan(listed, pending, seen, bumped, since)
        waiting = [t for t in tasks if t.topic.id in undecided]
        tasks = [t for t in tasks if t.topic.id not in undecided]
        if moved:
            bumped = {str(t.id): t.bumped_at for t in listed if t.bumped_at}
            since = max([since, *(t.bumped_at for t in moved)], key=bump_key)
        this_poll, later = tasks[: settings.max_topics], tasks[settings.max_topics :]
        if first_poll:
            for task in [*later, *waiting]:
                seen[str(task.topic.id)] = task.topic.highest_post_number
            later, waiting = [], []
        items: list[Item] = []
        queued = {task.topic.id for task in pending}
        for task in this_poll:
            try:
                items += self._read(forum, task, seen, backfills, watch)
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
        # A revived topic's first replies, read backwards: before its last ones.
        pause = Pause.restored(cursor.get("backfill_pause"), ctx.now())
        back = read_back(
            forum.get, forum.base, backfills, warnings, watch.note, now=ctx.now(), pause=pause
        )
        backfills = back.left
        # Earlier posts edited: Discourse's listing does not show it (see _discourse_watch);
        # not asked of a forum that just failed a read for now (429, 5xx, timeout).
        if not back.failed:
            items += watch.recheck(forum.get, forum.base, warnings)
        warnings += watch.notes()  # a re-check put off: said while it waits
        remembered = dict(sorted(seen.items(), key=lambda kv: int(kv[0]))[-_REMEMBERED_TOPICS:])
        result = page.result(back.items + items, warnings)
        result.cursor = {
            "topics": remembered,
            "bumped": bumped,
            "since": since,
            "pending": [task.saved() for task in [*later, *waiting][:_REMEMBERED_TOPICS]],
            "backfill": [b.saved() for b in [*backfills, *waiting_backfills][:_REMEMBERED_TOPICS]],
            "watch": watch.saved(),
        }
        if back.pause.saved():
            result.cursor["backfill_pause"] = back.pause.saved()
        if settings.screens_categories:
            result.cursor["categories"] = categories.saved()
        # A busy evening: read on at the next poll round (not for undecided topics:
        # their category is asked again at the next check, at its usual pace; nor
        # for backward reads the forum failed or paused: they wait for the next check).
        result.more = bool(later or (backfills and not back.stopped))
        return result

    def _more_pages(
        self,
        forum: _Forum,
        payload: dict[str, Any],
        since: str,
        warnings: list[str],
    ) -> list[dict[str, Any]]:
        """The next ``/latest.json`` pages, while their topics moved since ``since``.

        A page is read while the one before it is full (``more_topics_url``) and
        its last topic was bumped after ``since``: every topic on it moved, so
        the next page may hold more that did.
        """
        topics = parse_latest(payload)
        out: list[dict[str, Any]] = []
        for number in range(1, _PAGES + 1):
            more = (payload.get("topic_list") or {}).get("more_topics_url")
            if not (more and topics and since and bump_key(topics[-1].bumped_at) > bump_key(since)):
                break
            if number == _PAGES:
                warnings.append(
                    f"more than {_PAGES} pages of topics moved since the last check; "
                    "the older ones are read when they move again"
                )
                break
            payload = forum.get(f"/latest.json?page={number}", "/latest.json")
            topics = parse_latest(payload)
            out.append(payload)
        return out

    def _read(
        self,
        forum: _Forum,
        task: Task,
        seen: dict[str, int],
        backfills: list[Backfill],
        watch: Watchlist,
    ) -> list[Item]:
        """Read one topic's new posts (or its last post again); advance ``seen``.

        A revived topic whose last chunk holds only new posts is added to
        ``backfills``: its earlier new posts are read backwards (see
        :mod:`~watchtower.adapters._discourse_backfill`).
        """
        topic = task.topic
        after = seen.get(str(topic.id), 0)
        start = max(topic.highest_post_number - 1, 0) if task.edited else after
        revived = not task.edited and not after and task.since
        if revived:  # an old topic unknown to the cursor: its last chunk, not its history
            start = chunk_start(topic.highest_post_number)
        # posts.json?post_number=N&asc=true: the chunk of posts after N (without
        # asc, the posts before N); with no query, the topic's first page.
        query = f"?post_number={start}&asc=true" if start else ""
        payload = forum.get(f"/t/{topic.id}/posts.json{query}", f"topic {topic.id}")
        items = parse_posts(payload, forum.base, title=topic.title, after=start)
        if revived:
            cutoff = bump_key(task.since)
            items = [i for i in items if i.published is not None and i.published > cutoff]
            if still_new(payload, start, topic.highest_post_number, task.since):
                # More replies than one chunk: the first ones are read backwards.
                backfills.append(Backfill(topic, task.since, start))
        watch.note(topic, payload, items)
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
