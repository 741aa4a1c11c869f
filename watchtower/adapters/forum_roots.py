"""Whether a forum source's ``base_url`` is the forum's root, and what to write if not.

A preset adds its own path to ``base_url`` (phpBB: ``feed.php``, XenForo:
``forums/-/index.rss``; Discourse reads ``latest.json``), so ``base_url`` must be
where the forum is installed. People copy the address their browser shows
instead: ``https://forum.example.fr/index.php``, ``…/viewforum.php?f=3``,
Discourse's ``…/latest`` or ``…/c/banque/12``. The source then reads
``…/index.php/feed.php``, the forum's front page, and fails at every poll with a
``feed_is_html`` error that does not say why.

:func:`forum_root` reads the address as the forum's software lays out its pages
and returns the root to write instead. It is *certain* when the cut part can only
be a page (a ``.php`` script, a Discourse page, a query, a fragment), and not
when it can also be the folder the forum is installed in: XenForo's list of
forums is ``…/forums/``, and many XenForo forums are installed in ``/forums/``.
A sub-folder install (``https://example.fr/forum/``) is a root, left alone.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlsplit

__all__ = ["DISCOURSE_KIND_ADDS", "NotARoot", "forum_root", "page_refusal"]

#: What a ``kind = "discourse"`` source reads from its ``base_url``, for messages.
DISCOURSE_KIND_ADDS = "the discourse kind reads latest.json"

#: XenForo's routes: a page of the forum when something follows them
#: (``forums/general.3/``, ``threads/panne.12/``, the feed ``forums/-/index.rss``).
_XENFORO_ROUTES = frozenset(
    {
        "forums",
        "threads",
        "members",
        "whats-new",
        "categories",
        "find-new",
        "tags",
        "search",
        "posts",
        "pages",
        "account",
        "conversations",
    }
)
#: Discourse's routes followed by a name or an id (``c/banque/12``, ``t/panne/345``).
_DISCOURSE_ROUTES = frozenset({"c", "t", "tag", "tags", "u", "g", "posts", "search"})
#: Discourse's list pages, never an install folder (``latest``, ``latest.json``).
_DISCOURSE_PAGES = frozenset(
    {"latest", "top", "new", "unread", "categories", "hot", "posts", "search", "about"}
)


@dataclass(frozen=True, slots=True)
class NotARoot:
    """A ``base_url`` that is not a forum's root."""

    #: What to write instead (ends with ``/``).
    root: str
    #: The part of the written address to drop (``index.php``, ``c/banque/12``).
    dropped: str
    #: False when the dropped part may be the folder the forum is installed in.
    certain: bool

    def message(self, adds: str) -> str:
        """What is wrong and what to write; ``adds`` is what watchtower appends
        to the root (``"the phpbb preset adds feed.php"``)."""
        write = f'base_url = "{self.root}"'
        if self.certain:
            return (
                f"base_url should be the forum's root, e.g. {write}: drop {self.dropped!r} "
                f"({adds} itself)"
            )
        return (
            f"base_url ends with {self.dropped!r}: if that is a page of the forum, write "
            f"{write}, the forum's root ({adds} itself); if the forum is installed in "
            f"that folder, base_url is right"
        )


def forum_root(engine: str, base_url: str) -> NotARoot | None:
    """Whether ``base_url`` of a ``engine`` forum (a preset's name: ``phpbb``,
    ``vbulletin``, ``xenforo``, ``discourse``) is a page of the forum rather than
    its root; ``None`` for a root, or an address another check refuses."""
    parts = urlsplit(base_url.strip())
    if parts.scheme not in ("http", "https") or not parts.netloc:
        return None
    segments = [s for s in parts.path.split("/") if s]
    cut, certain = _page_start(engine, segments)
    if (parts.query or parts.fragment) and not certain:
        cut, certain = None, True  # surely drop the query; the folder may be the install
    if cut is None and not parts.query and not parts.fragment:
        return None
    kept = segments if cut is None else segments[:cut]
    root = f"{parts.scheme}://{parts.netloc}/" + "".join(f"{s}/" for s in kept)
    dropped = "/".join(segments[len(kept) :])
    if parts.query:
        dropped += f"?{parts.query}"
    if parts.fragment:
        dropped += f"#{parts.fragment}"
    return NotARoot(root, dropped, certain)


def page_refusal(engine: str, base_url: str, adds: str) -> str | None:
    """Why ``base_url`` is refused, saying the root to write, when it is surely a
    page of the forum (:func:`forum_root` certain); ``None`` otherwise. ``adds``:
    what watchtower appends to the root (see :meth:`NotARoot.message`).

    For a preset (:mod:`watchtower.adapters.presets`) and a ``kind = "discourse"``
    source alike: both read ``…/latest/latest.json`` from ``…/latest`` and fail at
    every poll. A page that may be the install folder is let through; ``check``
    warns about it (:mod:`watchtower.config_lint_forums`)."""
    found = forum_root(engine, base_url)
    return found.message(adds) if found is not None and found.certain else None


def _page_start(engine: str, segments: list[str]) -> tuple[int | None, bool]:
    """Where the path of a page of the forum starts in ``segments`` (``None``:
    nowhere), and whether that part is surely no install folder."""
    # A script (index.php, viewforum.php, forum.php, feed.php…) is never a folder.
    for index, segment in enumerate(segments):
        if segment.lower().endswith(".php"):
            return index, True
    lowered = [s.lower() for s in segments]
    if engine == "xenforo":
        # The last route: XenForo may be installed in a folder named like one
        # (``/forums/forums/general.3/``); its own names carry an id (``general.3``).
        found = [i for i, s in enumerate(lowered) if s in _XENFORO_ROUTES]
        if found:
            return found[-1], found[-1] < len(lowered) - 1
    if engine == "discourse":
        # The first route or page: a topic's or category's name may be a route's
        # word (``t/new/345``), an install folder seldom is.
        for index, segment in enumerate(lowered):
            page = segment.removesuffix(".json").removesuffix(".rss")
            if page in _DISCOURSE_PAGES:
                return index, True
            if segment in _DISCOURSE_ROUTES:
                return index, index < len(lowered) - 1
    return None, True
