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
        page = ctx.get_page(
            settings.url, state, accept=FEED_ACCEPT, allow_private=settings.allow_private
        )
        if page.not_modified:
            return page.result([])
        response = page.response
        # The charset of the Content-Type says how the bytes are encoded (_xml).
        content_type = response.headers.get("content-type", "")
        feed = parse_feed(response.content, url=response.url, content_type=content_type)
        return page.result(self.adapt(feed.items), feed.warnings)

    def adapt(self, items: list[Item]) -> list[Item]:
        """Hook for kinds that post-process feed entries."""
        return items
