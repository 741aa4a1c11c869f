"""Pairing a Google News headline with its publisher's own article by title
(:mod:`watchtower.pipeline.headlines`), for :class:`~watchtower.pipeline.story_batch.StoryBatch`."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import Connection, bindparam, or_, select

from watchtower.pipeline.headlines import (
    NEAR_MIN_WORDS,
    Headlines,
    Title,
    cut_pairs,
    near_titles,
)
from watchtower.pipeline.sites import site_host, site_key
from watchtower.storage.story_queries import site_patterns
from watchtower.storage.tables import ITEMS

if TYPE_CHECKING:
    from watchtower.pipeline.dedup import StoryIndex
    from watchtower.pipeline.story_batch import Candidate

__all__ = ["LOOKUP_CHUNK", "TitlePairing"]


#: Keys looked up in one statement.
LOOKUP_CHUNK = 500
#: The link of a stored item, to compare its site with a headline's.
_URL_OF_ITEM = select(ITEMS.c.canonical_url).where(ITEMS.c.id == bindparam("item"))
#: Titles and stories of stored items of a headline's site whose words start
#: like the headline's (``watchtower.pipeline.headlines``).
_TITLES = (
    select(ITEMS.c.id, ITEMS.c.title, ITEMS.c.story_id)
    .where(ITEMS.c.id.in_(bindparam("items", expanding=True)), ITEMS.c.story_id.is_not(None))
    .order_by(ITEMS.c.id)
)
#: The story's items on a site by their own link (``site0``..``site3``: its URL
#: prefixes, ``site_patterns``), to be confirmed on the host.
_OWN_ON_SITE = select(ITEMS.c.canonical_url).where(
    ITEMS.c.story_id == bindparam("story"),
    ITEMS.c.site.is_(None),
    or_(*(ITEMS.c.canonical_url.like(bindparam(f"site{i}"), escape="!") for i in range(4))),
)


class TitlePairing:
    """The title pairing of :class:`~watchtower.pipeline.story_batch.StoryBatch`:
    a headline and an item of its site go to one story by their title alone."""

    index: StoryIndex
    connection: Connection
    now: datetime
    candidates: Sequence[Candidate]

    def _titled(self, item: Candidate, stories: list[int], pending: Headlines) -> int | None:
        """The story of the item this one pairs with by title
        (:mod:`~watchtower.pipeline.headlines`): for a Google News headline, the
        item of its publisher's site with its title (:meth:`_article_of`); for
        an item of a site, a headline of that site with its title, stored or
        earlier in this batch (``pending``), unless that headline's story holds
        an article of the site already (then this is another article of that
        title: a recurring one).
        """
        if item.site:  # a headline: Candidate.title is without Google's suffix
            return self._article_of(item, stories)
        if not self.index.headlines.sites and not pending.sites:
            return None  # no headline known: spare the URL parse (most batches)
        site = site_host(item.url)
        with self.index.lock:
            headline = self.index.headlines.find(site, item.title, self._oldest())
        if headline is None and pending.sites:
            headline = pending.find(site, item.title, 0)
        if headline is None:
            return None
        if any(
            story == headline.story_id and site_host(other.url) == site
            for other, story in zip(self.candidates, stories, strict=False)
        ):
            return None  # an article of the site joined it earlier in this batch
        if headline.story_id < 0:  # a story of this batch: nothing of it is stored
            return headline.story_id
        own = self.connection.execute(
            _OWN_ON_SITE, {"story": headline.story_id, **_prefixes(site)}
        ).scalars()
        if any(site_host(url or "") == site for url in own):
            return None
        return headline.story_id

    def _article_of(self, headline: Candidate, stories: list[int]) -> int | None:
        """The story of the item of a headline's site that it pairs with: the
        first of its very title, stored or earlier in this batch; else, for a cut
        or an edited title, the one story whose items' titles it pairs with."""
        shape = Title.of(headline.title)
        key = shape.key
        if not key and not shape.kept:
            return None
        site = site_key(f"https://{headline.site}/")
        with self.index.lock:
            if shape.kept:
                found = self.index.index.starting_with(shape.kept, site=site, now=self.now)
            elif len(shape.codes) >= NEAR_MIN_WORDS:  # the very title among them
                found = self.index.index.opening_like(shape.codes, site=site, now=self.now)
            else:
                found = self.index.index.starting_with(shape.codes, site=site, now=self.now)
        titles = [(Title.of(title), story) for title, story in self._titles(found, stories)]
        if key:
            exact = [story for title, story in titles if title.key == key]
            if exact:
                return exact[0]

        def pairs(other: Title) -> bool:
            return cut_pairs(shape.kept, other.codes) if shape.kept else near_titles(shape, other)

        alike = {story for title, story in titles if pairs(title)}
        return alike.pop() if len(alike) == 1 else None

    def _titles(self, found: list[int], stories: list[int]) -> list[tuple[str, int]]:
        """``(title, story)`` of the items ``found`` in the index: stored ones
        first, as if the batch were stored one by one, then this batch's."""
        out: list[tuple[str, int]] = []
        stored = [doc for doc in found if doc > 0]
        for at in range(0, len(stored), LOOKUP_CHUNK):
            chunk = {"items": stored[at : at + LOOKUP_CHUNK]}
            for _, title, story_id in self.connection.execute(_TITLES, chunk):
                out.append((title or "", int(story_id)))
        for doc in sorted((doc for doc in found if doc < 0), reverse=True):
            out.append((self.candidates[-1 - doc].title, stories[-1 - doc]))
        return out

    def _oldest(self) -> int:
        return int((self.now - self.index.window).timestamp())

    def _headline_and_article(self, item: Candidate, doc_id: int) -> bool:
        """A Google News headline and an item of its publisher's site: paired by
        their title only (:meth:`_titled`). A headline's words are its title, so
        it near-duplicates any article of the site starting with those words:
        another article under the same title (two journalists, a recurring
        title) would join it, and through it each other."""
        if doc_id < 0:  # an item of this batch
            other = self.candidates[-1 - doc_id]
            other_site, other_named = site_host(other.url), other.site
        else:
            other_named = self.index.headlines.site_of(doc_id)
            other_site = ""
            if item.site and not other_named:
                url = self.connection.execute(_URL_OF_ITEM, {"item": doc_id}).scalar()
                other_site = site_host(url or "")
        if item.site:
            return other_site == item.site
        return bool(other_named) and other_named == site_host(item.url)


def _prefixes(site: str) -> dict[str, str]:
    """The ``site0``..``site3`` URL prefixes of :data:`_OWN_ON_SITE`."""
    return {k: v for k, v in site_patterns(site).items() if k.startswith("site")}
