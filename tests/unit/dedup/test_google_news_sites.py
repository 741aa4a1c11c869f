"""Google News items name their publisher: the site a sighting is on.

Google News RSS links every entry through ``news.google.com/rss/articles/…``,
whose target is not in the link (new-style ids), so the link's host says
nothing of where the article is. Each entry names its publisher:
``<source url="https://www.lemonde.fr">Le Monde</source>``. The feed parser
keeps it (``Item.extra["publisher_url"]``, ``["publisher"]``) for such links
only, and ``sites.publisher_site`` turns it into the item's site.

The golden file ``tests/corpus/rss/synthetic_google_news_search_fr.rss.xml``
(shape in tests/corpus/PROVENANCE.md) checks the parsed items as a whole.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from watchtower.adapters._feed import parse_feed
from watchtower.pipeline import sites
from watchtower.pipeline.canonical import canonical_url

CORPUS = Path(__file__).resolve().parents[2] / "corpus"
GOOGLE_NEWS = CORPUS / "rss" / "synthetic_google_news_search_fr.rss.xml"
NEWS = "https://news.google.com/rss/articles/CBMiX?oc=5"  # a new-style id: no target inside
SEARCH = "https://news.google.com/rss/search?q=%22Banque+Acm%C3%A9%22&hl=fr&gl=FR&ceid=FR:fr"


def rss(item: str) -> bytes:
    return (
        '<?xml version="1.0" encoding="UTF-8"?><rss version="2.0"><channel><title>x</title>'
        f"{item}</channel></rss>"
    ).encode()


def test_a_google_news_entry_keeps_its_publisher() -> None:
    items = parse_feed(GOOGLE_NEWS.read_bytes(), url=SEARCH).items
    assert [(i.extra["publisher"], i.extra["publisher_url"]) for i in items] == [
        ("Le Monde", "https://www.lemonde.fr"),
        ("Le Figaro", "https://www.lefigaro.fr"),
        ("Ouest-France", "https://www.ouest-france.fr"),
        ("Les Echos", "https://www.lesechos.fr"),
    ]
    # The link stays Google's (the only one that reaches the article), and
    # names no site; its publisher does.
    sites_of = [
        (sites.site_host(canonical_url(i.url)), sites.publisher_site(canonical_url(i.url), url))
        for i in items
        if (url := i.extra["publisher_url"])
    ]
    assert sites_of == [
        ("", "lemonde.fr"),
        ("", "lefigaro.fr"),
        ("", "ouest-france.fr"),
        ("", "lesechos.fr"),
    ]


def test_source_is_read_as_a_publisher_only_for_google_news_links() -> None:
    """Elsewhere RSS 2.0's <source> is the feed an item came from: Discourse
    names its topic's feed there, which is no publisher."""
    topic = (
        "<item><title>KPop</title><link>https://forum.example/t/kpop/2144/26</link>"
        '<source url="https://forum.example/t/kpop/2144.rss">KPop</source></item>'
    )
    [item] = parse_feed(rss(topic)).items
    assert item.extra == {}


@pytest.mark.parametrize(
    ("source", "extra"),
    [
        ('<source url="javascript:alert(1)">Le Monde</source>', {"publisher": "Le Monde"}),
        ('<source url=" https://www.lemonde.fr/ "></source>', {"publisher_url": "https://www.lemonde.fr/"}),
        ("<source>  Le   Monde </source>", {"publisher": "Le Monde"}),
        ("<source/>", {}),
    ],
)  # fmt: skip
def test_a_publisher_is_an_http_address_and_a_plain_name(
    source: str, extra: dict[str, str]
) -> None:
    link = "https://news.google.com/rss/articles/CBMiAU_yqLx?oc=5"
    [item] = parse_feed(rss(f"<item><title>T</title><link>{link}</link>{source}</item>")).items
    assert item.extra == extra


@pytest.mark.parametrize(
    ("url", "publisher", "site"),
    [
        (NEWS, "https://www.lemonde.fr", "lemonde.fr"),
        (NEWS, "HTTPS://WWW.LeMonde.fr/", "lemonde.fr"),
        (NEWS, "", ""),
        (NEWS, None, ""),
        # The user info of an address is a lure, not its site (canonical_url drops it).
        (NEWS, "https://www.lemonde.fr@evil.example/", "evil.example"),
        # A site's own link says where the article is, whatever an entry claims.
        ("https://www.lefigaro.fr/eco/acme", "https://www.lemonde.fr", "lefigaro.fr"),
        # Other redirectors name no publisher: still no site.
        ("https://t.co/abc", "https://www.lemonde.fr", ""),
        ("", "https://www.lemonde.fr", ""),
    ],
)  # fmt: skip
def test_the_site_of_a_google_news_link_is_its_publishers(
    url: str, publisher: str | None, site: str
) -> None:
    assert sites.publisher_site(url, publisher) == site
