"""The values that travel along the data path.

adapter → :class:`Item` → pipeline stages → :class:`Match` / mention rows →
:class:`Notification` (an outbox row) → notifier.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator


class Severity(enum.IntEnum):
    """How urgent a mention is; ordered so ``max()`` picks the most urgent."""

    info = 1
    warning = 2
    critical = 3


class Item(BaseModel):
    """One thing a source produced: an article, a post, a review, an e-mail.

    Adapters build these and pydantic validates them at the edge, so the engine
    never sees a half-built item.

    ``shared_url``: the URL is the page the item was found on (an App Store
    review links to its app, a review without an address of its own gets the
    page's), not the item's own address. Such a URL still links the
    notification, but never groups items into one story (see docs/dedup.md).
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    guid: str = Field(min_length=1, max_length=2048)
    url: str = Field(default="", max_length=8192)
    shared_url: bool = False
    title: str = Field(default="", max_length=10_000)
    text: str = Field(default="", max_length=1_000_000)
    published: datetime | None = None
    author: str | None = None
    rating: float | None = None
    lang: str | None = None
    extra: dict[str, str] = Field(default_factory=dict)

    @field_validator("published")
    @classmethod
    def _aware(cls, value: datetime | None) -> datetime | None:

        if value is not None and value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value


@dataclass(frozen=True)
class Hit:
    """Where a term matched: the normalised term and the surface form in the text."""

    term: str
    surface: str
    field: str = "text"  # title | text
    start: int = 0
    end: int = 0
    clause: str = ""  # why: "brand", or the query clause that matched (rule engine)


@dataclass(frozen=True)
class Match:
    """A brand found in an item, and the rule that fired for it (``None``: no rule).

    A brand mention that no rule claims still goes to the default route.
    """

    brand: str
    rule: str | None
    hits: tuple[Hit, ...]

    @property
    def terms(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(h.term for h in self.hits))

    @property
    def surfaces(self) -> tuple[str, ...]:
        """The words found in the text; a brand a source implies has none."""
        return tuple(dict.fromkeys(h.surface for h in self.hits if h.surface))


@dataclass(frozen=True)
class Notification:
    """What a notifier renders: one item, for one target, and why it was sent."""

    outbox_id: int
    target: str
    title: str
    url: str
    source: str
    brands: tuple[str, ...]
    terms: tuple[str, ...]
    rules: tuple[str, ...]
    severity: Severity
    published: datetime | None
    excerpt: str = ""
    lang: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def story(self) -> dict[str, Any]:
        """``{"id", "first", "sightings", "edited"}`` when the item belongs to a story."""
        story = self.extra.get("story")
        return story if isinstance(story, dict) else {}

    @property
    def is_reply(self) -> bool:
        """A later sighting (or an edit) of a story already announced to this target."""
        return bool(self.story) and not self.story.get("first", True)

    @classmethod
    def from_payload(cls, outbox_id: int, target: str, payload: dict[str, Any]) -> Notification:
        published = payload.get("published")
        return cls(
            outbox_id=outbox_id,
            target=target,
            title=str(payload.get("title", "")),
            url=str(payload.get("url", "")),
            source=str(payload.get("source", "")),
            brands=tuple(payload.get("brands", ())),
            terms=tuple(payload.get("terms", ())),
            rules=tuple(payload.get("rules", ())),
            severity=Severity[payload.get("severity", "info")],
            published=datetime.fromisoformat(published) if published else None,
            excerpt=str(payload.get("excerpt", "")),
            lang=payload.get("lang"),
            extra=dict(payload.get("extra", {})),
        )
