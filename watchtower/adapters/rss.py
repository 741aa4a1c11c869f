"""``kind = "rss"``: any RSS 0.9x/1.0/2.0 or Atom feed."""

from __future__ import annotations

from typing import Literal

from watchtower.adapters._feed import FEED_ACCEPT, parse_feed
from watchtower.adapters.base import (
    FetchContext,
    FetchResult,
    Source,
    SourceState,
    UrlSourceSettings,
)
from watchtower.models import Item


class RssSettings(UrlSourceSettings):
    """Keys of an RSS/Atom source."""

    kind: Literal["rss"] = "rss"


class RssSource(Source):
    """Fetches a feed with a conditional GET and maps its entries to items."""

    kind = "rss"
    settings_model = RssSettings

    def fetch(self, settings: RssSettings, state: SourceState, ctx: FetchContext) -> FetchResult:
        response = ctx.http.get(
            settings.url,
            etag=state.etag,
            last_modified=state.last_modified,
            accept=FEED_ACCEPT,
            allow_private=settings.allow_private,
        )
        etag = response.headers.get("etag") or state.etag
        last_modified = response.headers.get("last-modified") or state.last_modified
        if response.not_modified:
            return FetchResult([], not_modified=True, etag=etag, last_modified=last_modified)
        feed = parse_feed(response.content, url=response.url)
        return FetchResult(
            self.adapt(feed.items),
            etag=etag,
            last_modified=last_modified,
            warnings=[feed.warning] if feed.warning else [],
        )

    def adapt(self, items: list[Item]) -> list[Item]:
        """Hook for kinds that post-process feed entries."""
        return items
