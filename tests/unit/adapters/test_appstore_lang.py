"""App Store reviews carry their store's language when detection cannot tell.

The feed declares no language, but its URL names the store (``/fr/rss/…``,
``/us/rss/…``). Before, a short English review from the US store had no
``lang`` and so counted as the configured language (French) for ``lang:``.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest

from tests.unit.adapters.conftest import ScriptedServer, reply
from watchtower.adapters._appstore import STORE_LANGUAGES, store_language
from watchtower.adapters._http import HttpFetcher
from watchtower.adapters.base import FetchContext, SourceState
from watchtower.adapters.reviews import ReviewsSettings, ReviewsSource, parse_appstore
from watchtower.config import BrandConfig, RuleConfig
from watchtower.lang import detect
from watchtower.models import Item
from watchtower.pipeline.match import Matcher

FEED = "https://itunes.apple.com/{store}/rss/customerreviews/id=1400000000/sortBy=mostRecent/{fmt}"
# Too short for detection to tell (checked below): only the store can say.
SHORT_EN = ("Scam!", "Acme stole 50")
SHORT_FR = ("Nul", "Acme injoignable")
LONG_EN = (
    "Worst banking app",
    "Acme has been crashing every single time I try to log in since the last update.",
)
LONG_ES = (
    "Pésima aplicación",
    "Desde la última actualización la aplicación de Acme no abre y nadie contesta.",
)


def json_feed(*reviews: tuple[str, str]) -> bytes:
    entries = [
        {
            "author": {"name": {"label": f"user{n}"}},
            "updated": {"label": "2026-11-20T10:00:00-07:00"},
            "im:rating": {"label": "1"},
            "im:version": {"label": "5.12.0"},
            "id": {"label": f"1090000000{n}"},
            "title": {"label": title},
            "content": {"label": text, "attributes": {"type": "text"}},
        }
        for n, (title, text) in enumerate(reviews)
    ]
    return json.dumps({"feed": {"entry": entries}}).encode()


def xml_feed(title: str, text: str) -> bytes:
    return f"""<?xml version="1.0" encoding="utf-8"?>
<feed xmlns:im="http://itunes.apple.com/rss" xmlns="http://www.w3.org/2005/Atom">
  <entry>
    <id>10900000001</id><title>{title}</title>
    <updated>2026-11-20T10:00:00-07:00</updated>
    <content type="text">{text}</content>
    <im:rating>1</im:rating><im:version>5.12.0</im:version>
    <author><name>user1</name></author>
  </entry>
</feed>""".encode()


def langs(store: str, *reviews: tuple[str, str]) -> list[str | None]:
    return [
        i.lang for i in parse_appstore(json_feed(*reviews), FEED.format(store=store, fmt="json"))
    ]


def test_the_short_reviews_are_too_short_to_detect() -> None:
    # What the tests below rely on: detection says nothing about these.
    assert detect("\n".join(SHORT_EN)) is None
    assert detect("\n".join(SHORT_FR)) is None
    assert detect("\n".join(LONG_EN)) == "en"
    assert detect("\n".join(LONG_ES)) == "es"


@pytest.mark.parametrize(
    ("url", "lang"),
    [
        (FEED.format(store="fr", fmt="json"), "fr"),
        (FEED.format(store="us", fmt="xml"), "en"),
        (FEED.format(store="gb", fmt="json"), "en"),
        (FEED.format(store="de", fmt="json"), "de"),
        (FEED.format(store="br", fmt="json"), "pt"),
        (
            "https://itunes.apple.com/FR/rss/customerreviews/page=2/id=1/sortby=mostrecent/json",
            "fr",
        ),
        # Bilingual stores, a language detection cannot tell, no store at all.
        (FEED.format(store="ca", fmt="json"), None),
        (FEED.format(store="be", fmt="json"), None),
        (FEED.format(store="ch", fmt="json"), None),
        (FEED.format(store="jp", fmt="json"), None),
        ("https://itunes.apple.com/rss/customerreviews/id=1/json", None),
        ("https://apps.apple.com/fr/app/acme/id1400000000", None),
    ],
)
def test_the_store_s_language(url: str, lang: str | None) -> None:
    assert store_language(url) == lang


def test_every_store_language_is_one_detection_knows() -> None:
    from watchtower.lang import LANGUAGES

    assert set(STORE_LANGUAGES.values()) <= set(LANGUAGES)
    assert {"ca", "be", "ch", "lu", "in"}.isdisjoint(STORE_LANGUAGES)


def test_a_short_review_takes_its_store_s_language() -> None:
    assert langs("us", SHORT_EN) == ["en"]
    assert langs("fr", SHORT_FR) == ["fr"]


def test_detection_wins_when_the_text_is_long_enough() -> None:
    # The French store carries English reviews, the US store Spanish ones.
    assert langs("fr", LONG_EN, SHORT_FR) == ["en", "fr"]
    assert langs("us", LONG_ES, SHORT_EN) == ["es", "en"]


def test_an_ambiguous_store_leaves_the_language_to_the_matcher() -> None:
    assert langs("ca", SHORT_EN, LONG_EN) == [None, None]
    assert langs("be", SHORT_FR) == [None]


def test_the_atom_feed_too() -> None:
    [item] = parse_appstore(xml_feed(*SHORT_EN), FEED.format(store="us", fmt="xml"))
    assert item.lang == "en"
    [item] = parse_appstore(xml_feed(*LONG_EN), FEED.format(store="fr", fmt="xml"))
    assert item.lang == "en"


def fires(item: Item) -> bool:
    """Whether a French team's ``lang:fr`` rule fires for ``item``."""
    rule = RuleConfig(name="avis-fr", query="lang:fr AND rating:<=2")
    matcher = Matcher([BrandConfig(name="Acme", terms=["Acme"])], [rule], language="fr")
    return any(m.rule == "avis-fr" for m in matcher.match(item, "appstore"))


@pytest.fixture
def ctx() -> Iterator[FetchContext]:
    fetcher = HttpFetcher(timeout=5.0, politeness_delay=0.0)
    yield FetchContext(http=fetcher, now=lambda: datetime.now(UTC), log=logging.getLogger("t"))
    fetcher.close()


def test_a_french_team_s_lang_fr_rule_skips_a_short_us_review(
    server: ScriptedServer, ctx: FetchContext
) -> None:
    for store, review in (("us", SHORT_EN), ("fr", SHORT_FR), ("ca", SHORT_EN)):
        path = f"/{store}/rss/customerreviews/id=1400000000/sortBy=mostRecent/json"
        server.routes[path] = reply(json_feed(review), content_type="application/json")
    fetched = {
        store: ReviewsSource()
        .fetch(
            ReviewsSettings(
                name=store,
                url=server.url(
                    f"/{store}/rss/customerreviews/id=1400000000/sortBy=mostRecent/json"
                ),
                allow_private=True,
            ),
            SourceState(),
            ctx,
        )
        .items[0]
        for store in ("us", "fr", "ca")
    }
    assert not fires(fetched["us"])  # was counted as French
    assert fires(fetched["fr"])
    # A bilingual store: unknown, so the configured language, as before.
    assert fetched["ca"].lang is None and fires(fetched["ca"])
