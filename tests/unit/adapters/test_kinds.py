"""discourse, reviews and html sources fetched from a local server; presets; mail splitting."""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from pydantic import ValidationError

from tests.unit.adapters.conftest import ScriptedServer, reply
from watchtower.adapters._http import HttpFetcher
from watchtower.adapters._jsonld import loads_lenient
from watchtower.adapters._mail import clean_linkedin_url, parse_email
from watchtower.adapters.base import FetchContext, SourceState
from watchtower.adapters.discourse import DiscourseSettings, DiscourseSource
from watchtower.adapters.html import HtmlSettings, HtmlSource
from watchtower.adapters.presets import PresetError, expand_preset, presets
from watchtower.adapters.reviews import ReviewsSettings, ReviewsSource
from watchtower.adapters.rss import RssSettings
from watchtower.errors import PermanentError

CORPUS = Path(__file__).resolve().parents[2] / "corpus"
MAIL = Path(__file__).parent / "mail"


@pytest.fixture
def ctx() -> Any:
    fetcher = HttpFetcher(timeout=5.0, politeness_delay=0.0)
    yield FetchContext(http=fetcher, now=lambda: datetime.now(UTC), log=logging.getLogger("t"))
    fetcher.close()


# ------------------------------------------------------------------ discourse
def latest(highest: int) -> bytes:
    return json.dumps(
        {
            "topic_list": {
                "topics": [
                    {
                        "id": 57,
                        "slug": "acme-support",
                        "title": "Acme support",
                        "highest_post_number": highest,
                    },
                ]
            }
        }
    ).encode()


def posts(numbers: list[int]) -> bytes:
    return json.dumps(
        {
            "post_stream": {
                "posts": [
                    {
                        "id": 1000 + n,
                        "post_number": n,
                        "topic_id": 57,
                        "topic_slug": "acme-support",
                        "username": f"user{n}",
                        "name": "",
                        "created_at": "2024-03-01T10:00:00.000Z",
                        "cooked": f"<p>Post {n} about <b>Acme</b></p>",
                    }
                    for n in numbers
                ]
            }
        }
    ).encode()


def test_discourse_reads_each_post_once(server: ScriptedServer, ctx: FetchContext) -> None:
    settings = DiscourseSettings(name="d", base_url=server.url(""), allow_private=True)
    server.routes["/latest.json"] = reply(latest(2), content_type="application/json")
    server.routes["/t/57/posts.json"] = reply(posts([1, 2]), content_type="application/json")
    first = DiscourseSource().fetch(settings, SourceState(), ctx)
    assert [(i.title, i.author, i.text) for i in first.items] == [
        ("Acme support", "user1", "Post 1 about Acme"),
        ("Re: Acme support", "user2", "Post 2 about Acme"),
    ]
    assert first.items[1].url == server.url("/t/acme-support/57/2")
    state = SourceState(cursor=first.cursor or {})

    unchanged = DiscourseSource().fetch(settings, state, ctx)
    assert unchanged.items == []

    server.routes["/latest.json"] = reply(latest(3), content_type="application/json")
    server.routes["/t/57/posts.json"] = reply(posts([2, 3]), content_type="application/json")
    newer = DiscourseSource().fetch(settings, state, ctx)
    assert [i.author for i in newer.items] == ["user3"]
    assert "/t/57/posts.json?post_number=2&asc=true" in server.hits


def test_discourse_not_json(server: ScriptedServer, ctx: FetchContext) -> None:
    server.routes["/latest.json"] = reply(b"<html>maintenance</html>", content_type="text/html")
    settings = DiscourseSettings(name="d", base_url=server.url(""), allow_private=True)
    with pytest.raises(PermanentError, match="did not answer with JSON"):
        DiscourseSource().fetch(settings, SourceState(), ctx)


# -------------------------------------------------------------------- reviews
@pytest.mark.parametrize(
    ("name", "content_type"),
    [
        ("synthetic_localbusiness_graph_comments.html", "text/html; charset=utf-8"),
        ("synthetic_appstore_customerreviews.json", "application/json"),
        ("synthetic_appstore_customerreviews.xml", "application/atom+xml"),
    ],
)
def test_reviews_source_gives_low_ratings(
    server: ScriptedServer, ctx: FetchContext, name: str, content_type: str
) -> None:
    server.routes["/reviews"] = reply(
        (CORPUS / "reviews" / name).read_bytes(), content_type=content_type
    )
    settings = ReviewsSettings(name="r", url=server.url("/reviews"), allow_private=True)
    result = ReviewsSource().fetch(settings, SourceState(), ctx)
    low = [i for i in result.items if i.rating is not None and i.rating <= 2]
    assert low and all(i.title for i in low)


@pytest.mark.parametrize(
    ("name", "content_type"),
    [
        ("synthetic_appstore_customerreviews.json", "application/json"),
        ("synthetic_appstore_customerreviews.xml", "application/atom+xml"),
    ],
)
def test_app_store_reviews_share_the_app_link(
    server: ScriptedServer, ctx: FetchContext, name: str, content_type: str
) -> None:
    server.routes["/reviews"] = reply(
        (CORPUS / "reviews" / name).read_bytes(), content_type=content_type
    )
    settings = ReviewsSettings(name="r", url=server.url("/reviews"), allow_private=True)
    items = ReviewsSource().fetch(settings, SourceState(), ctx).items
    assert len(items) == 2 and len({i.url for i in items}) == 1
    assert all(i.shared_url for i in items)


JSONLD_PAGE = """<html><head><script type="application/ld+json">
{"@context": "https://schema.org", "@type": "LocalBusiness", "name": "Banque Acme Lyon",
 "aggregateRating": {"@type": "AggregateRating", "ratingValue": "2", "reviewCount": "12"},
 "review": [
  {"@type": "Review", "url": "/avis/1", "author": "Ana", "reviewBody": "Lent.",
   "reviewRating": {"ratingValue": "1"}},
  {"@type": "Review", "url": "#avis-2", "author": "Bruno", "reviewBody": "Lent.",
   "reviewRating": {"ratingValue": "2.4"}},
  {"@type": "Review", "author": {"name": "Chloé"}, "reviewBody": "Correct.", "name": "Bien"},
  {"@type": "Review", "reviewBody": "Rien à dire."},
  {"@type": "Review", "url": "http://[::1", "reviewBody": "?",
   "reviewRating": {"ratingValue": "NaN"}}
 ]}
</script></head><body></body></html>"""


def test_jsonld_reviews_own_url_or_the_page_and_neutral_titles(
    server: ScriptedServer, ctx: FetchContext
) -> None:
    server.routes["/page"] = reply(JSONLD_PAGE.encode(), content_type="text/html")
    settings = ReviewsSettings(name="r", url=server.url("/page"), allow_private=True)
    items = ReviewsSource().fetch(settings, SourceState(), ctx).items
    page = server.url("/page")
    assert [(i.title, i.url, i.shared_url) for i in items] == [
        ("Banque Acme Lyon · ★ 2/5", page, True),
        ("Banque Acme Lyon · ★☆☆☆☆ 1/5 · Ana", server.url("/avis/1"), False),
        # An anchor on the page is not an address of its own.
        ("Banque Acme Lyon · ★★☆☆☆ 2.4/5 · Bruno", page + "#avis-2", True),
        ("Bien", page, True),  # a real headline stays as it is
        ("Banque Acme Lyon", page, True),
        ("Banque Acme Lyon", page, True),  # an unreadable url, a rating that is no number
    ]
    assert items[0].text == "" and items[0].guid == f"aggregate:{page}#Banque Acme Lyon"


def test_lenient_json() -> None:
    text = '{"a": "http://x//y", // comment\n "b": [1, 2,], /* c */ "c": "/* kept */",}'
    assert loads_lenient(text) == {"a": "http://x//y", "b": [1, 2], "c": "/* kept */"}


# ----------------------------------------------------------------------- html
PAGE = b"""<html><body>
<article class="news"><h2><a href="/actu/1">Acme ouvre une agence</a></h2>
  <time datetime="2024-03-01T09:00:00+01:00">1 mars</time><p class="s">Lyon.</p></article>
<article class="news"><h2><a href="https://other.example/2">Acme recrute</a></h2></article>
<article class="news"><p>no title, no link</p></article>
</body></html>"""


def test_html_list_page(server: ScriptedServer, ctx: FetchContext) -> None:
    server.routes["/actualites"] = reply(PAGE, content_type="text/html; charset=utf-8")
    settings = HtmlSettings(
        name="h",
        url=server.url("/actualites"),
        item="article.news",
        title="h2 a",
        link="h2 a@href",
        date="time@datetime",
        text="p.s",
        allow_private=True,
    )
    items = HtmlSource().fetch(settings, SourceState(), ctx).items
    assert [(i.title, i.url) for i in items] == [
        ("Acme ouvre une agence", server.url("/actu/1")),
        ("Acme recrute", "https://other.example/2"),
    ]
    assert items[0].published == datetime(2024, 3, 1, 8, tzinfo=UTC)
    assert items[0].text == "Lyon." and items[1].text == "Acme recrute"


def test_html_nothing_matches(server: ScriptedServer, ctx: FetchContext) -> None:
    server.routes["/p"] = reply(PAGE, content_type="text/html")
    settings = HtmlSettings(
        name="h", url=server.url("/p"), item="li.none", title="a", allow_private=True
    )
    with pytest.raises(PermanentError, match="no element"):
        HtmlSource().fetch(settings, SourceState(), ctx)


def test_html_invalid_selector_is_a_config_error() -> None:
    with pytest.raises(ValidationError, match="invalid CSS selector"):
        HtmlSettings(name="h", url="https://ex.org/", item="[[[", title="a")


# -------------------------------------------------------------------- presets
@pytest.mark.parametrize(
    ("preset", "kind", "url"),
    [
        ("phpbb", "rss", "https://forum.example.fr/feed.php"),
        ("xenforo", "rss", "https://forum.example.fr/forums/-/index.rss"),
        ("vbulletin", "rss", "https://forum.example.fr/external.php?type=RSS2"),
        ("discourse", "discourse", None),
    ],
)
def test_presets(preset: str, kind: str, url: str | None) -> None:
    entry = {"name": "f", "preset": preset, "base_url": "https://forum.example.fr/", "every": "15m"}
    expanded = expand_preset(entry)
    assert expanded["kind"] == kind and "preset" not in expanded
    assert expanded.get("url") == url


def test_every_preset_is_documented() -> None:
    assert set(presets()) == {"phpbb", "xenforo", "vbulletin", "discourse"}
    assert all(p.description for p in presets().values())


@pytest.mark.parametrize(
    ("entry", "words"),
    [
        ({"name": "f", "preset": "smf", "base_url": "https://x.fr"}, "does not exist"),
        ({"name": "f", "preset": "phpbb"}, "needs base_url"),
        ({"name": "f", "preset": "phpbb", "kind": "html", "base_url": "https://x.fr"}, "sets kind"),
    ],
)
def test_preset_problems_are_refused(entry: dict[str, Any], words: str) -> None:
    with pytest.raises(PresetError, match=words):
        expand_preset(entry)


def test_unknown_preset_names_line_and_key(tmp_path: Path) -> None:
    from watchtower.config import parse_config
    from watchtower.errors import ConfigError

    text = '[[sources]]\nname = "forum"\npreset = "smf"\nbase_url = "https://forum.example.fr"\n'
    with pytest.raises(ConfigError) as caught:
        parse_config(text, tmp_path / "w.toml")
    assert str(caught.value).startswith(f"{tmp_path / 'w.toml'}:3: sources[0].preset: preset 'smf'")


def test_preset_in_a_config_file(tmp_path: Path) -> None:
    from watchtower.config import parse_config

    text = (
        '[[sources]]\nname = "forum"\npreset = "xenforo"\n'
        'base_url = "https://forum.example.fr"\nevery = "15m"\n'
    )
    loaded = parse_config(text, tmp_path / "w.toml")
    (source,) = loaded.sources
    assert isinstance(source, RssSettings)
    assert source.url == "https://forum.example.fr/forums/-/index.rss"


# ----------------------------------------------------------------------- mail
def test_google_alerts_mail_is_split_with_real_links() -> None:
    items = parse_email((MAIL / "google_alert.eml").read_bytes())
    assert [(i.url, i.title) for i in items] == [
        (
            "https://www.leparisien.example/economie/banque-acme-panne-2024.php",
            "Banque Acme : une panne géante prive les clients de carte bancaire",
        ),
        (
            "https://blog.example.org/2024/03/acme-frais",
            "Frais bancaires : la Banque Acme augmente ses tarifs",
        ),
    ]
    assert items[0].text.startswith("Le Parisien La Banque Acme a connu mardi")
    assert len({i.guid for i in items}) == 2


def test_linkedin_digest_is_split_without_tracking() -> None:
    items = parse_email((MAIL / "linkedin_group_digest.eml").read_bytes())
    assert [i.url for i in items] == [
        "https://www.linkedin.com/groups/4711/posts/7170000000000000001",
        "https://www.linkedin.com/feed/update/urn:li:activity:7170000000000000002",
    ]
    assert (
        items[0].extra["mail_subject"] == "Nouvelles discussions dans « Banque & Assurance France »"
    )


def test_other_mail_is_one_item() -> None:
    (item,) = parse_email((MAIL / "customer_mail.eml").read_bytes())
    assert item.title == "Réclamation Banque Acme"
    assert item.author == "René Durand <rene.durand@example.org>"
    assert item.text == "Bonjour, Ma carte Banque Acme est bloquée depuis lundi. René"
    assert item.guid == "mail:reclamation-1@example.org"


@pytest.mark.parametrize(
    ("href", "clean"),
    [
        (
            "https://www.linkedin.com/comm/groups/1/posts/2?trk=x&midToken=y",
            "https://www.linkedin.com/groups/1/posts/2",
        ),
        (
            "https://fr.linkedin.com/feed/update/urn:li:activity:3?lipi=z&keep=1",
            "https://www.linkedin.com/feed/update/urn:li:activity:3?keep=1",
        ),
        ("https://www.linkedin.com/comm/groups/1/", None),
        ("https://www.linkedin.com/help/linkedin?trk=eml", None),
        ("https://evil.example/groups/1/posts/2", None),
    ],
)
def test_clean_linkedin_url(href: str, clean: str | None) -> None:
    assert clean_linkedin_url(href) == clean
