"""The values that travel along the data path.

adapter → :class:`Item` → pipeline stages → :class:`Match` / mention rows →
:class:`Notification` (an outbox row) → notifier.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Annotated, Any

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ModelWrapValidatorHandler,
    ValidationError,
    field_validator,
    model_validator,
)

from watchtower.sanitise import storable


class Severity(enum.IntEnum):
    """How urgent a mention is; ordered so ``max()`` picks the most urgent."""

    info = 1
    warning = 2
    critical = 3


#: A str pydantic measures, hence also refuses when it holds a lone surrogate
#: (``string_unicode``), which :meth:`Item._storable` then replaces: the limit is
#: there for that check, no value comes near it.
_Checked = Annotated[str, Field(max_length=1_000_000)]


class Item(BaseModel):
    """One thing a source produced: an article, a post, a review, an e-mail.

    Adapters build these and pydantic validates them at the edge, so the engine
    never sees a half-built item.

    ``shared_url``: the URL is the page the item was found on (an App Store
    review links to its app, a review without an address of its own gets the
    page's), not the item's own address. Such a URL still links the
    notification, but never groups items into one story (see docs/dedup.md).

    Text a database cannot store is made storable here, for every adapter: a
    NUL is dropped and a lone surrogate becomes U+FFFD (see
    :func:`watchtower.sanitise.storable`), in every str field and ``extra``.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    guid: str = Field(min_length=1, max_length=2048)
    url: str = Field(default="", max_length=8192)
    shared_url: bool = False
    title: str = Field(default="", max_length=10_000)
    text: str = Field(default="", max_length=1_000_000)
    published: datetime | None = None
    author: _Checked | None = None
    rating: float | None = None
    lang: _Checked | None = None
    extra: dict[_Checked, _Checked] = Field(default_factory=dict)

    @field_validator("published")
    @classmethod
    def _aware(cls, value: datetime | None) -> datetime | None:

        if value is not None and value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value

    @model_validator(mode="wrap")
    @classmethod
    def _storable(cls, data: Any, handler: ModelWrapValidatorHandler[Item]) -> Item:
        # One Python call per item, not one per field; a NUL is looked for with
        # ``in`` (memchr). pydantic refuses a lone surrogate in every str field
        # (each has a length limit, see ``_Checked``): no cost until one is there.
        if isinstance(data, dict) and _has_nul(data):
            data = _storable_values(data)
        try:
            return handler(data)
        except ValidationError as exc:
            if not isinstance(data, dict) or all(
                e["type"] != "string_unicode" for e in exc.errors()
            ):
                raise
            return handler(_storable_values(data))


def _has_nul(data: dict[str, Any]) -> bool:
    for value in data.values():
        if value.__class__ is str:
            if "\x00" in value:
                return True
        elif value.__class__ is dict:  # extra
            for pair in value.items():
                for s in pair:
                    if s.__class__ is str and "\x00" in s:
                        return True
    return False


def _storable_values(data: dict[str, Any]) -> dict[str, Any]:
    """``data`` with each str value, and each str key and value of a dict, storable."""

    def clean(value: Any) -> Any:
        return storable(value) if isinstance(value, str) else value

    return {
        key: {clean(k): clean(v) for k, v in value.items()}
        if isinstance(value, dict)
        else clean(value)
        for key, value in data.items()
    }


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
