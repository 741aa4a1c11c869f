"""Every source kind, by its TOML ``kind``. Explicit: no directory scanning."""

from __future__ import annotations

from watchtower.adapters.base import Source
from watchtower.adapters.google_alerts import GoogleAlertsSource
from watchtower.adapters.rss import RssSource

REGISTRY: dict[str, Source] = {
    source.kind: source
    for source in (
        RssSource(),
        GoogleAlertsSource(),
    )
}
