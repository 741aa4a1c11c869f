"""The source interface: one small class per source kind.

An adapter turns bytes from the outside world into validated :class:`Item` values.
It does its I/O only through the injected :class:`FetchContext`, never touches the
database and never retries: it raises :class:`~watchtower.errors.SourceError`
and the scheduler decides what happens next.
"""

from __future__ import annotations

import logging
from abc import ABC, abstractmethod
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Annotated, Any, ClassVar
from urllib.parse import urlsplit

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    WithJsonSchema,
)

from watchtower.durations import parse_duration
from watchtower.models import Item

if TYPE_CHECKING:
    from watchtower.adapters._http import HttpFetcher, Response


def _http_url(value: str) -> str:
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ValueError(f"only http:// and https:// URLs are allowed, got {value!r}")
    return value


HttpUrl = Annotated[str, AfterValidator(_http_url)]
Duration = Annotated[timedelta, BeforeValidator(parse_duration)]


def _positive(value: timedelta) -> timedelta:
    if value <= timedelta(0):
        raise ValueError("must be longer than 0s")
    return value


#: A duration where 0 makes no sense (an interval, a timeout, a window).
PositiveDuration = Annotated[timedelta, BeforeValidator(parse_duration), AfterValidator(_positive)]

#: ``backlog = "all"``: a first poll notifies every item, however old.
ALL_BACKLOG = timedelta.max


def _backlog(value: object) -> timedelta:
    return ALL_BACKLOG if value == "all" else parse_duration(value)


#: How old an item on a source's first poll may be and still be notified.
Backlog = Annotated[
    timedelta,
    BeforeValidator(_backlog),
    WithJsonSchema({"type": "string", "description": "a duration such as '3d', or 'all'"}),
]


class SourceSettings(BaseModel):
    """Keys every source accepts. Each kind subclasses this with its own keys."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str = Field(min_length=1, max_length=200, pattern=r"^[\w.@:/-]+$")
    kind: str
    every: PositiveDuration = timedelta(minutes=10)
    allow_private: bool = False
    enabled: bool = True
    brands: tuple[str, ...] = Field(
        default=(),
        description="Brands every item of this source is about, named or not (a review "
        "page of your own agency: its reviews seldom say the brand's name).",
    )
    backlog: Backlog | None = Field(
        default=None,
        description="On this source's first poll, items published longer ago than this "
        "are recorded without notification ('all': notify them; default: [watchtower] "
        "backlog).",
    )


class UrlSourceSettings(SourceSettings):
    """A source read from one URL."""

    url: HttpUrl


@dataclass
class SourceState:
    """What the database remembers about a source between fetches."""

    etag: str | None = None
    last_modified: str | None = None
    cursor: dict[str, Any] = field(default_factory=dict)


@dataclass
class FetchResult:
    """The outcome of one successful fetch."""

    items: list[Item]
    not_modified: bool = False
    etag: str | None = None
    last_modified: str | None = None
    cursor: dict[str, Any] | None = None
    #: Logged (WARNING) and shown by ``status`` until the next fetch.
    warnings: list[str] = field(default_factory=list)
    #: Shown by ``status`` after ``warnings``, never logged: what an earlier fetch
    #: already warned about and ``status`` keeps showing for a while (an e-mail
    #: skipped at an earlier check), so the log says it once.
    reminders: list[str] = field(default_factory=list)
    #: More waits at the source than this fetch read (a backlog read in bounded
    #: chunks, oldest first): the poller checks it again at its next round
    #: instead of after ``every``, as long as the cursor moves.
    more: bool = False


@dataclass
class Page:
    """A conditional GET's answer, and the validators to remember for the next one."""

    response: Response
    etag: str | None
    last_modified: str | None

    @property
    def not_modified(self) -> bool:
        return self.response.not_modified

    def result(self, items: list[Item], warnings: Sequence[str] = ()) -> FetchResult:
        """The fetch result carrying this page's validators."""
        return FetchResult(
            items,
            not_modified=self.not_modified,
            etag=self.etag,
            last_modified=self.last_modified,
            warnings=[w for w in warnings if w],
        )


@dataclass
class FetchContext:
    """Everything an adapter may use to do I/O; injected so tests can swap it."""

    http: HttpFetcher
    now: Callable[[], datetime]
    log: logging.Logger
    #: The reader's zone (``[watchtower] timezone``): what a page means by a time
    #: written without a zone, unless its source names another (``html``: ``timezone``).
    timezone: str = "Europe/Paris"

    def get_page(self, url: str, state: SourceState, *, accept: str, allow_private: bool) -> Page:
        """GET ``url`` conditionally (ETag / Last-Modified from ``state``)."""
        response = self.http.get(
            url,
            etag=state.etag,
            last_modified=state.last_modified,
            accept=accept,
            allow_private=allow_private,
        )
        return Page(
            response,
            response.headers.get("etag") or state.etag,
            response.headers.get("last-modified") or state.last_modified,
        )


class Source(ABC):
    """One source kind. ``kind`` is the TOML ``kind`` and the module name."""

    kind: ClassVar[str]
    settings_model: ClassVar[type[SourceSettings]]

    @abstractmethod
    def fetch(self, settings: Any, state: SourceState, ctx: FetchContext) -> FetchResult:
        """Fetch and parse; raise ``SourceError`` on failure."""
