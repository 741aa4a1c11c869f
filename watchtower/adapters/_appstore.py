"""Apple App Store customer-review feeds (JSON or Atom XML) as items.

Every review links to the app, so each is ``shared_url`` (its own story, told
apart by its guid); ``rating`` is its stars, ``extra["app_version"]`` the
version reviewed. A rating that is not a finite number ("NaN", "Infinity",
"1e999999") is no rating; others are clamped to 0–5 (:func:`out_of_five`).

Language: the feed says none, but its URL names the store
(``https://itunes.apple.com/fr/rss/customerreviews/…``, ``/us/…``). A review's
``lang`` is the language detected from its title and text when detection can
tell, else its store's language (:func:`store_language`): "Nul. Injoignable."
in the French store is ``fr``, "Love it" in the US store ``en`` — without it a
review too short to detect would count as the configured ``[watchtower]
language`` for ``lang:``. Detection wins when it can tell because a store is
where the account is, not the language written: the US store carries Spanish
reviews, the French store English ones; and a review detection can tell thus
keeps the language the matcher detected before. A store whose country writes
in more than one language (``ca``, ``be``, ``ch``, ``lu``, ``in``…), whose
language detection does not know (``jp``, ``pl``…), or a URL without a store
leaves ``lang`` unset, as before: the matcher detects it, or uses the
configured language.
"""

from __future__ import annotations

import json
import math
import re
from typing import Any
from urllib.parse import urlsplit

from watchtower.adapters._dates import parse_date
from watchtower.adapters._feed import ATOM
from watchtower.adapters._jsonld import without_nul
from watchtower.adapters._text import collapse
from watchtower.adapters._xml import parse_xml
from watchtower.errors import PermanentError
from watchtower.lang import detect
from watchtower.models import Item

ITUNES = "{http://itunes.apple.com/rss}"

# The stores whose reviews are written in one language, by language: where one
# language dominates and detection knows it (watchtower.lang.LANGUAGES).
# Left out on purpose: bilingual countries (ca en/fr, be nl/fr, ch de/fr/it, lu,
# cm en/fr), countries where English is one written language among others (in,
# sg, za, ph, my, hk, ng…), the Maghreb (fr/ar), and languages detection cannot
# tell (jp, kr, pl, se…): a wrong language would hide a review from a ``lang:``
# rule, where an unset one lets the matcher detect it.
_STORES_BY_LANGUAGE = {
    "fr": "fr",
    "en": "us gb ie au nz",
    "de": "de at",
    "es": "es mx ar cl co pe ve ec uy py bo cr gt hn ni pa sv do",
    "it": "it",
    "pt": "pt br",
    "nl": "nl",
}
#: A store's language by its country code, as App Store URLs write it (``fr``, ``us``).
STORE_LANGUAGES: dict[str, str] = {
    store: lang for lang, stores in _STORES_BY_LANGUAGE.items() for store in stores.split()
}

# "/fr/rss/customerreviews/id=…/json": the store's country is the first segment.
_STORE_PATH = re.compile(r"/([A-Za-z]{2})/rss/customerreviews(?:/|$)")


def store_language(url: str) -> str | None:
    """The language of the App Store whose review feed ``url`` is, when the URL
    names a store whose reviews are in one language (:data:`STORE_LANGUAGES`):
    ``fr`` for ``…/fr/rss/customerreviews/…``, ``None`` for ``/ca/`` or no store."""
    found = _STORE_PATH.match(urlsplit(url).path)
    return STORE_LANGUAGES.get(found.group(1).lower()) if found else None


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
    store_lang: str | None,
) -> Item:
    try:
        stars = out_of_five(float(rating))
    except ValueError:
        stars = None
    title, text = collapse(title), collapse(body)
    # Detected as the matcher would (title, then text), when the store tells a
    # language to fall back on; else the matcher detects it when a rule asks.
    lang = (detect(f"{title}\n{text}") or store_lang) if store_lang else None
    return Item(
        guid=f"appstore:{guid}"[:2048],
        url=link,
        shared_url=True,  # every review links to the app
        title=title,
        text=text,
        published=parse_date(when),
        author=collapse(author) or None,
        rating=stars,
        lang=lang,
        extra={"app_version": version} if version else {},
    )


def parse_appstore(data: bytes, url: str) -> list[Item]:
    """Reviews of an App Store customer-review feed, JSON or Atom XML; ``url``,
    the feed's address, names the store (see :func:`store_language`)."""
    store_lang = store_language(url)
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
                    store_lang,
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
                store_lang,
            )
        )
    return items
