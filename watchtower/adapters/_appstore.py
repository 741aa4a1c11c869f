"""Apple App Store customer-review feeds (JSON or Atom XML) as items.

Every review links to the app, so each is ``shared_url`` (its own story, told
apart by its guid); ``rating`` is its stars, ``extra["app_version"]`` the
version reviewed. A rating that is not a finite number ("NaN", "Infinity",
"1e999999") is no rating; others are clamped to 0–5 (:func:`out_of_five`).
"""

from __future__ import annotations

import json
import math
from typing import Any

from watchtower.adapters._dates import parse_date
from watchtower.adapters._feed import ATOM
from watchtower.adapters._jsonld import without_nul
from watchtower.adapters._text import collapse
from watchtower.adapters._xml import parse_xml
from watchtower.errors import PermanentError
from watchtower.models import Item

ITUNES = "{http://itunes.apple.com/rss}"


def out_of_five(value: float) -> float | None:
    """A rating clamped to the 0–5 scale; ``None`` when not a finite number.

    NaN would reach the outbox's JSON payload, which PostgreSQL refuses (the
    source then fails at every poll), and no ``rating:`` rule can compare it.
    """
    if not math.isfinite(value):
        return None
    return min(5.0, max(0.0, value))


def _label(entry: dict[str, Any], key: str) -> str:
    value = entry.get(key)
    if isinstance(value, dict):
        value = value.get("label")
    return str(value or "")


def _appstore_item(
    guid: str,
    link: str,
    title: str,
    body: str,
    when: str,
    author: str,
    rating: str,
    version: str,
) -> Item:
    try:
        stars = out_of_five(float(rating))
    except ValueError:
        stars = None
    return Item(
        guid=f"appstore:{guid}"[:2048],
        url=link,
        shared_url=True,  # every review links to the app
        title=collapse(title),
        text=collapse(body),
        published=parse_date(when),
        author=collapse(author) or None,
        rating=stars,
        extra={"app_version": version} if version else {},
    )


def parse_appstore(data: bytes, url: str) -> list[Item]:
    """Reviews of an App Store customer-review feed, JSON or Atom XML."""
    if data.lstrip()[:1] in (b"{", b"["):
        try:
            feed = json.loads(data)
            if b"\\u0000" in data:
                feed = without_nul(feed)
            entries = (feed.get("feed") or {}).get("entry") or []
        except (ValueError, AttributeError):
            raise PermanentError(code="appstore_not_json") from None
        except RecursionError:
            raise PermanentError(code="appstore_too_deep") from None
        if isinstance(entries, dict):  # a single review is not wrapped in a list
            entries = [entries]
        items = []
        for entry in entries:
            if not isinstance(entry, dict) or "im:rating" not in entry:
                continue  # the first entry of older feeds describes the app itself
            link = entry.get("link") or {}
            href = (link.get("attributes") or {}).get("href", "") if isinstance(link, dict) else ""
            author = entry.get("author") or {}
            items.append(
                _appstore_item(
                    _label(entry, "id"),
                    str(href or url),
                    _label(entry, "title"),
                    _label(entry, "content"),
                    _label(entry, "updated"),
                    _label(author, "name") if isinstance(author, dict) else "",
                    _label(entry, "im:rating"),
                    _label(entry, "im:version"),
                )
            )
        return items
    root, _warning = parse_xml(data)
    items = []
    for entry in root.iterchildren(ATOM + "entry"):
        rating = entry.findtext(ITUNES + "rating")
        if rating is None:
            continue
        link = entry.find(ATOM + "link")
        content = next(
            (
                c.text or ""
                for c in entry.iterchildren(ATOM + "content")
                if c.get("type", "text") == "text"
            ),
            "",
        )
        items.append(
            _appstore_item(
                entry.findtext(ATOM + "id") or "",
                (link.get("href") if link is not None else None) or url,
                entry.findtext(ATOM + "title") or "",
                content,
                entry.findtext(ATOM + "updated") or "",
                entry.findtext(f"{ATOM}author/{ATOM}name") or "",
                rating,
                entry.findtext(ITUNES + "version") or "",
            )
        )
    return items
