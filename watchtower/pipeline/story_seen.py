"""What a batch's sightings of one story have read of it (:class:`Seen`), for
:mod:`watchtower.pipeline.story_batch`."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any

from watchtower.pipeline.sites import item_site, place

if TYPE_CHECKING:
    from watchtower.pipeline.story_batch import Candidate

__all__ = ["Seen"]


class Seen:
    """Where a batch's story was seen, as its sightings ask: the places, URL keys
    and (content hash, place) of its items earlier in the batch, and of its
    stored items once they are read.

    Each item is read once: asking of every earlier item of the story again at
    each sighting made a story listed on hundreds of sites cost the square of
    its sightings. Items are stored after the whole batch is placed: what is
    stored does not change while it is. Whether a place is new to the story is
    the ``story_places`` table's to say (migration 0013); these places only
    spare it the question when an item read is at the same place.
    """

    __slots__ = ("digested", "first", "items", "places", "source_id", "stored", "texts", "urls")

    def __init__(
        self,
        source_id: int,
        stored: Iterable[Sequence[Any]] | None,
        first: tuple[str, int] | None = None,
    ) -> None:
        """``stored``: the story's stored items (``story_batch._STORY_ROWS``), or
        ``None``: each sighting asks the database for those at its address or place.
        ``first``: the story's first place when this batch started it (the place
        of its first item, not stored yet); ``None``: its first stored item's."""
        self.source_id = source_id  # the batch's source: the place of an item of no site
        self.first = first
        self.items: list[Candidate] = []  # in batch order; the first ``digested`` are read
        self.digested = 0
        self.places: set[tuple[str, int]] = set()
        self.urls: set[str] = set()
        self.texts: set[tuple[str, tuple[str, int]]] = set()  # (content hash, place)
        self.stored = stored is not None
        for source, url_hash, content_hash, url, named in stored or ():
            self._add(place(item_site(url or "", named), int(source)), url_hash, content_hash)

    def digest(self) -> None:
        """Read the items added since the last call."""
        for item in self.items[self.digested :]:
            where = place(item_site(item.url, item.site), self.source_id)
            self._add(where, item.url_hash, item.content_hash)
        self.digested = len(self.items)

    def repeats(self, item: Candidate, where: tuple[str, int]) -> bool:
        """``item`` (at ``where``) has the address of an item read, or its text at
        the same place (after :meth:`digest`)."""
        return bool(item.url_hash and item.url_hash in self.urls) or bool(
            item.content_hash and (item.content_hash, where) in self.texts
        )

    def _add(self, where: tuple[str, int], url_hash: str | None, content_hash: str | None) -> None:
        self.places.add(where)
        if url_hash:
            self.urls.add(url_hash)
        if content_hash:
            self.texts.add((content_hash, where))
