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
(``since``), the next page is read too, up to 10 pages a poll
(:mod:`~watchtower.adapters._discourse_listing`). An
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
just failed).

When the forum fails a later request of the poll for now (a ``/latest.json``
page after the first, a topic's new posts), the poll keeps what it read: the
topics read are recorded, those left and the pages not read wait in the cursor,
nothing more is asked of the forum, and the next poll reads on, not before the
forum's ``Retry-After`` (at most an hour): until then a poll asks nothing. The
poll's first answer failing (``/latest.json``; the first topic after a 304)
fails the poll as before (the cursor does not move: nothing is lost), so a
forum that is down shows as a failing source.

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

from typing import Any, Literal

from pydantic import Field, field_validator, model_validator

from watchtower.adapters._discourse_backfill import (
    Backfill,
    BackRead,
    Pause,
    chunk_start,
    read_back,
    read_when,
    still_new,
)
from watchtower.adapters._discourse_categories import Categories
from watchtower.adapters._discourse_forum import Forum, load
from watchtower.adapters._discourse_listing import Gap, Listing, deferred, read_pages
from watchtower.adapters._discourse_plan import Task, bump_key, plan
from watchtower.adapters._discourse_posts import Topic, parse_latest, parse_posts, post_link
from watchtower.adapters._discourse_watch import Watchlist
from watchtower.adapters.base import (
    FetchContext,
    FetchResult,
    HttpUrl,
    Source,
    SourceSettings,
    SourceState,
)
from watchtower.adapters.forum_roots import DISCOURSE_KIND_ADDS, page_refusal
from watchtower.errors import PermanentError, TransientError
from watchtower.models import Item
from watchtower.own_secrets import check_source_secret_env

__all__ = [
    "DiscourseSettings",
    "DiscourseSource",
    "Topic",
    "parse_latest",
    "parse_posts",
    "post_link",
]

_REMEMBERED_TOPICS = 500  # cursor size bound: older topics are forgotten


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

    @field_validator("api_key_env")
    @classmethod
    def _not_our_secret(cls, value: str | None) -> str | None:
        return check_source_secret_env(value)

    @field_validator("base_url")
    @classmethod
    def _forum_root(cls, value: str) -> str:
        # Refused as a preset's is: "…/latest" would read "…/latest/latest.json".
        if refused := page_refusal("discourse", str(value), DISCOURSE_KIND_ADDS):
            raise ValueError(refused)
        return value

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


class DiscourseSource(Source):
    """Polls ``/latest.json`` and reads the new posts of the topics that moved."""

    kind = "discourse"
    settings_model = DiscourseSettings

    def fetch(
        self, settings: DiscourseSettings, state: SourceState, ctx: FetchContext
    ) -> FetchResult:
        forum = Forum.of(settings, ctx)
        cursor = state.cursor
        hold = Pause.restored(cursor.get("pause"), ctx.now())
        if hold.holds(ctx.now()):  # the forum asked us to slow down: nothing before then
            note = f"the forum asked to wait ({hold.why}); it is read {read_when(hold)}"
            return FetchResult(
                [],
                not_modified=True,
                etag=state.etag,
                last_modified=state.last_modified,
                warnings=[note],
            )
        page = forum.latest(state)
        first_poll = "topics" not in cursor
        seen: dict[str, int] = dict(cursor.get("topics") or {})
        bumped: dict[str, str] = dict(cursor.get("bumped") or {})
        pending = [t for t in map(Task.restored, cursor.get("pending") or []) if t]
        backfills = [b for b in map(Backfill.restored, cursor.get("backfill") or []) if b]
        watch = Watchlist.restored(cursor.get("watch"), ctx.now())
        since = str(cursor.get("since") or "")
        gap = Gap.restored(cursor.get("gap"))
        categories = Categories.restored(cursor.get("categories"), ctx.now())
        warnings: list[str] = []
        if page.not_modified:
            if not (pending or backfills or gap or watch.due()):
                return page.result([], watch.notes())
            pages: list[dict[str, Any]] = []  # nothing moved, but there is work left
        else:
            pages = [load(page.response.content, "/latest.json")]
        listing = Listing()
        if not first_poll:
            listing = read_pages(forum.get, pages[0] if pages else None, since, gap, warnings)
            if listing.failure is not None and not (pages or listing.pages):
                raise listing.failure  # nothing read: the forum fails, as the source does
            pages += listing.pages
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
        # While listing pages are left unread, an unknown topic may have been among
        # them: its posts are news since the oldest bump not listed yet.
        tasks = plan(listed, pending, seen, bumped, gap.since if gap else since)
        waiting = [t for t in tasks if t.topic.id in undecided]
        tasks = [t for t in tasks if t.topic.id not in undecided]
        if moved:
            fresh = {str(t.id): t.bumped_at for t in listed if t.bumped_at}
            # A partial listing keeps what it did not see (an edit's bump is told apart).
            partial = gap or listing.gap or page.not_modified
            bumped = {**bumped, **fresh} if partial else fresh
            since = max([since, *(t.bumped_at for t in moved)], key=bump_key)
        this_poll, later = tasks[: settings.max_topics], tasks[settings.max_topics :]
        if first_poll:
            for task in [*later, *waiting]:
                seen[str(task.topic.id)] = task.topic.highest_post_number
            later, waiting = [], []
        items: list[Item] = []
        failure, done = listing.failure, 0
        if failure is None:
            queued = {task.topic.id for task in pending}
            reading = (forum, this_poll, queued, seen, backfills, watch, warnings)
            items, done, failure = self._read_all(*reading, started=bool(pages))
        read, unread = this_poll[:done], this_poll[done:]
        if first_poll:  # history too, as the topics beyond max_topics
            for task in unread:
                seen[str(task.topic.id)] = task.topic.highest_post_number
            unread = []
        # Topics left behind (not read, or a long topic read one chunk at a time)
        # wait for the next polls; the unread ones go first.
        later = [*unread, *later]
        later += [
            t
            for t in read
            if not t.edited and seen.get(str(t.topic.id), 0) < t.topic.highest_post_number
        ]
        # A revived topic's first replies, read backwards: before its last ones.
        pause = Pause.restored(cursor.get("backfill_pause"), ctx.now())
        if failure is None:
            back = read_back(
                forum.get, forum.base, backfills, warnings, watch.note, now=ctx.now(), pause=pause
            )
        else:  # the forum just failed: nothing more is asked of it in this poll
            back = BackRead([], backfills, pause, stopped=True, failed=True)
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
        if listing.gap is not None:
            result.cursor["gap"] = listing.gap.saved()
        if failure is not None:
            hold = Pause.after(failure, ctx.now())
            if hold.saved():
                result.cursor["pause"] = hold.saved()
            result.warnings.append(
                deferred(failure.message, read_when(hold), len(later), listing.gap)
            )
        # A busy evening: read on at the next poll round (not for undecided topics:
        # their category is asked again at the next check, at its usual pace; nor
        # for what the forum failed or paused: it waits for the next check).
        result.more = failure is None and bool(later or (backfills and not back.stopped))
        return result

    def _read_all(
        self,
        forum: Forum,
        tasks: list[Task],
        queued: set[int],
        seen: dict[str, int],
        backfills: list[Backfill],
        watch: Watchlist,
        warnings: list[str],
        *,
        started: bool,
    ) -> tuple[list[Item], int, TransientError | None]:
        """The new posts of ``tasks`` read in order, how many tasks were done, and
        the failure for now that stopped the reading (``None``: none did).

        A failure for now fails the poll when it is the poll's first answer
        (``started`` false: ``/latest.json`` answered 304 and no topic was read
        yet), as the forum is then failing; after one, what was read is kept.
        """
        items: list[Item] = []
        for done, task in enumerate(tasks):
            try:
                items += self._read(forum, task, seen, backfills, watch)
            except PermanentError as exc:
                if task.topic.id not in queued:
                    raise
                # Deleted or made private since an earlier poll queued it: failing
                # every poll on it would block the whole forum.
                seen[str(task.topic.id)] = task.topic.highest_post_number
                warnings.append(f"topic {task.topic.id} was skipped: {exc.message}")
            except TransientError as exc:
                if not (started or done):
                    raise
                return items, done, exc
        return items, len(tasks), None

    def _read(
        self,
        forum: Forum,
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
