"""A Google News headline and its publisher's own article: what pairs them by
title (``pipeline/headlines.py``), the index scan that finds the article
(``NearDuplicateIndex.starting_with``), and the digest's count of sites.

The end-to-end cases (both feeds, both orders, two journalists, a short title)
are in ``tests/e2e/test_google_news_sites.py``.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from watchtower.notify.digest_text import stories
from watchtower.pipeline.fingerprint import fingerprint
from watchtower.pipeline.grouping import _item
from watchtower.pipeline.headlines import headline_key, headline_title
from watchtower.pipeline.neardup import NearDuplicateIndex
from watchtower.pipeline.sites import site_key

TITLE = "Panne géante chez Acmé : des milliers de clients privés de leurs comptes"
LEAD = "Depuis ce mercredi matin, les clients d'Acmé ne peuvent plus se connecter."
NOW = datetime(2026, 3, 4, 10, tzinfo=UTC)
LEMONDE = site_key("https://www.lemonde.fr/")


@pytest.mark.parametrize(
    ("title", "other", "one"),
    [
        (TITLE, TITLE.upper().replace(" :", "\u00a0:"), True),  # case, spacing, punctuation
        (TITLE, TITLE.replace("Panne géante", "Panne geante"), True),  # accents
        (TITLE, TITLE + " (vidéo)", False),
        (TITLE, TITLE.replace("milliers", "centaines"), False),
    ],
)  # fmt: skip
def test_a_title_is_its_normalised_words(title: str, other: str, one: bool) -> None:
    assert (headline_key(title) == headline_key(other)) is one


@pytest.mark.parametrize("title", ["Communiqué de presse – Banque Acmé", "Acmé : panne géante", ""])
def test_a_title_of_few_content_words_pairs_nothing(title: str) -> None:
    assert headline_key(title) == ""


@pytest.mark.parametrize(
    ("title", "publisher", "stripped"),
    [
        (f"{TITLE} - Le Monde", "Le Monde", TITLE),
        (f"{TITLE} - Le Monde", "Marie Dupont", f"{TITLE} - Le Monde"),  # its own byline
        ("Acmé - le bilan", None, "Acmé - le bilan"),
    ],
)  # fmt: skip
def test_a_stored_headline_loses_googles_suffix(
    title: str, publisher: str | None, stripped: str
) -> None:
    assert headline_title(title, publisher) == stripped


def test_the_site_scan_finds_an_article_whatever_its_sampled_keys() -> None:
    """The key lookup misses this pair (none of the title's bigrams is among the
    article's sampled keys); the scan of the site's items finds it."""
    index = NearDuplicateIndex()
    article = fingerprint(TITLE, LEAD)
    index.add(1, article, NOW, site=LEMONDE)
    index.add(2, fingerprint(TITLE, LEAD), NOW, site=site_key("https://www.lefigaro.fr/"))
    index.add(3, fingerprint("Acmé annonce des résultats", LEAD), NOW, site=LEMONDE)
    headline = fingerprint(f"{TITLE} - Le Monde", f"{TITLE} Le Monde")
    assert index.find(headline) is None
    prefix = fingerprint(TITLE, "").words
    assert index.starting_with(prefix, site=LEMONDE, now=NOW) == [1]
    assert index.starting_with(prefix, site=LEMONDE, now=NOW + timedelta(days=8)) == []
    assert index.starting_with(prefix, site=0) == []
    assert NearDuplicateIndex().starting_with(prefix, site=LEMONDE) == []


def _row(url: str, site: str | None = None, story: int = 7) -> dict[str, object]:
    payload = {
        "title": TITLE,
        "url": url,
        "source": "gnews" if "google" in url else "lemonde",
        "severity": "info",
        "brands": ["Acmé"],
        "story": {"id": story, **({"site": site} if site else {})},
    }
    return dict(_item(payload), sites=1)


def test_a_digest_counts_a_headline_on_its_publishers_site() -> None:
    """A digest holding the headline (a link through news.google.com) and the
    site's own article of one story said "vu sur 2 sites"."""
    gnews = "https://news.google.com/rss/articles/CBMiX?oc=5"
    [story] = stories([_row(gnews, "lemonde.fr"), _row("https://www.lemonde.fr/eco/acme")])
    assert story["sites"] == 1
    [story] = stories([_row(gnews, "lemonde.fr"), _row(gnews, "lefigaro.fr")])
    assert story["sites"] == 2
