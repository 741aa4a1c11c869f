"""A Google News headline and the publisher's own article: one story by their title.

A Google News entry links through ``news.google.com`` and names its publisher
(:func:`~watchtower.pipeline.sites.publisher_site`); its text is only its
title again, with `` - Le Monde`` appended. Near-duplicates cannot pair it with
the article the site's own feed gave: a bare headline is no copy of an
article's text (its few words are seldom among the article's sampled keys, and
a title under ``min_words`` content words is never a near-duplicate). What
they share is exact: the site and the title. So a headline and an item of its
publisher's site whose normalised titles are one, within the dedup window, are
one story (``StoryBatch``): a repost, told by no reply.

Only a headline pairs with an article this way, never two articles of one site
(whose same title may be a recurring one: "Communiqué de presse – Banque
Acmé"); titles under :data:`HEADLINE_MIN_WORDS` content words do not pair.
"""

from __future__ import annotations

from dataclasses import dataclass

from watchtower.pipeline.fingerprint import fingerprint
from watchtower.pipeline.normalise import normalise

__all__ = ["HEADLINE_MIN_WORDS", "Headline", "headline_key", "headline_title"]

#: Content words a title needs to pair a headline with an article: shorter
#: titles recur on one site ("Communiqué de presse – Banque Acmé", 4 words).
HEADLINE_MIN_WORDS = 5


@dataclass(frozen=True, slots=True)
class Headline:
    """A stored Google News headline: its item, story and fetch time (epoch seconds)."""

    item_id: int
    story_id: int
    ts: int


def headline_key(title: str) -> str:
    """The identity of a title (its normalised words: case, accents, punctuation
    and spacing do not count); ``""`` when it has under
    :data:`HEADLINE_MIN_WORDS` content words."""
    if len(fingerprint(title, "").words) < HEADLINE_MIN_WORDS:
        return ""
    return normalise(title, tags=False).strip()


def headline_title(title: str, publisher: str | None) -> str:
    """A stored Google News title without the `` - Le Monde`` Google appends
    (``runner.shown_title``): the entry's publisher is the stored author when
    the entry names none, as Google News entries do."""
    if publisher and title.endswith(f" - {publisher}"):
        return title.removesuffix(f" - {publisher}").rstrip() or title
    return title
