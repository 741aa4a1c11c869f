"""``kind = "google_alerts"``: a Google Alerts Atom feed.

Google wraps every link in ``https://www.google.com/url?...&url=TARGET`` and
highlights the alert's words with ``<b>`` in titles; both are undone here so
links point at the article and titles read cleanly.
"""

from __future__ import annotations

from typing import Literal
from urllib.parse import parse_qs, urlsplit

from watchtower.adapters.rss import RssSettings, RssSource
from watchtower.models import Item

_GOOGLE_HOSTS = ("google.com", "www.google.com")


def unwrap_google_url(url: str) -> str:
    """``https://www.google.com/url?...&url=TARGET`` → ``TARGET`` (others unchanged)."""
    parts = urlsplit(url)
    host = (parts.hostname or "").lower()
    if (host in _GOOGLE_HOSTS or host.startswith("www.google.")) and parts.path == "/url":
        query = parse_qs(parts.query)
        for key in ("url", "q"):
            target = query.get(key, [""])[0]
            if target.startswith(("http://", "https://")):
                return target
    return url


class GoogleAlertsSettings(RssSettings):
    """Keys of a Google Alerts feed source."""

    kind: Literal["google_alerts"] = "google_alerts"  # type: ignore[assignment]


class GoogleAlertsSource(RssSource):
    """An RSS source whose links are unwrapped and titles cleaned."""

    kind = "google_alerts"
    settings_model = GoogleAlertsSettings

    def adapt(self, items: list[Item]) -> list[Item]:
        return [item.model_copy(update={"url": unwrap_google_url(item.url)}) for item in items]
