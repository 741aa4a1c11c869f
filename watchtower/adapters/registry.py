"""Every source kind, by its TOML ``kind``. Explicit: no directory scanning."""

from __future__ import annotations

from watchtower.adapters.base import Source
from watchtower.adapters.discourse import DiscourseSource
from watchtower.adapters.google_alerts import GoogleAlertsSource
from watchtower.adapters.html import HtmlSource
from watchtower.adapters.imap import ImapSource
from watchtower.adapters.reviews import ReviewsSource
from watchtower.adapters.rss import RssSource

REGISTRY: dict[str, Source] = {
    source.kind: source
    for source in (
        RssSource(),
        GoogleAlertsSource(),
        DiscourseSource(),
        ReviewsSource(),
        HtmlSource(),
        ImapSource(),
    )
}
