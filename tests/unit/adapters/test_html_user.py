"""html: a French list page as its reader sees it — dates, titles, links, identities."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest
from pydantic import ValidationError

from tests.unit.adapters.conftest import ScriptedServer, reply
from watchtower.adapters._http import HttpFetcher
from watchtower.adapters.base import FetchContext, SourceState
from watchtower.adapters.html import MAX_ENTRIES, HtmlSettings, HtmlSource, parse_html_list
from watchtower.errors import PermanentError

PARIS = ZoneInfo("Europe/Paris")
NOW = datetime(2026, 11, 25, 14, 0, tzinfo=UTC)  # 15:00 in Paris
PAGE_URL = "https://www.example.fr/actualites/"


@pytest.fixture
def fetcher() -> Iterator[HttpFetcher]:
    fetcher = HttpFetcher(timeout=5.0, politeness_delay=0.0)
    yield fetcher
    fetcher.close()


def context(fetcher: HttpFetcher, timezone: str = "Europe/Paris") -> FetchContext:
    return FetchContext(
        http=fetcher, now=lambda: NOW, log=logging.getLogger("t"), timezone=timezone
    )


def settings(**keys: str) -> HtmlSettings:
    values = {"name": "h", "url": PAGE_URL, "item": "article", "title": "h2", "link": "a@href"}
    return HtmlSettings(**(values | keys))  # type: ignore[arg-type]


def entries(*articles: str) -> str:
    return "<html><body>" + "".join(f"<article>{a}</article>" for a in articles) + "</body></html>"


# ------------------------------------------------------------------------------ dates
FRENCH_PAGE = entries(
    '<h2><a href="/a1">Acmé rachète Bidule</a></h2><span class="date">25 nov. 2026 à 14h32</span>',
    '<h2><a href="/a2">Acmé recrute</a></h2><span class="date">Mis à jour il y a 3 heures</span>',
    '<h2><a href="/a3">Acmé ferme</a></h2><span class="date">hier à 18:40</span>',
    '<h2><a href="/a4">Acmé ouvre</a></h2><span class="date">Publié le 1er octobre 2026</span>',
    '<h2><a href="/a5">Acmé et les autres</a></h2><time datetime="2026-11-20T09:00">20 nov.</time>',
)


def test_french_dates_on_a_page_in_the_configured_zone(
    server: ScriptedServer, fetcher: HttpFetcher
) -> None:
    server.routes["/actus"] = reply(FRENCH_PAGE.encode(), content_type="text/html")
    source = settings(url=server.url("/actus"), date="span.date", allow_private="true")
    result = HtmlSource().fetch(source, SourceState(), context(fetcher))
    assert [i.published for i in result.items] == [
        datetime(2026, 11, 25, 14, 32, tzinfo=PARIS),
        datetime(2026, 11, 25, 12, 0, tzinfo=PARIS),  # 3 hours before the fetch
        datetime(2026, 11, 24, 18, 40, tzinfo=PARIS),
        datetime(2026, 10, 1, tzinfo=UTC),  # a date alone: midnight UTC, shown as a date
        None,  # span.date matches nothing in this entry
    ]
    assert result.warnings == [
        "date = 'span.date' matches nothing in 1 of 5 entries",
    ]


def test_a_naive_datetime_attribute_is_the_site_time(
    server: ScriptedServer, fetcher: HttpFetcher
) -> None:
    server.routes["/actus"] = reply(FRENCH_PAGE.encode(), content_type="text/html")
    source = settings(url=server.url("/actus"), date="time@datetime", allow_private="true")
    items = HtmlSource().fetch(source, SourceState(), context(fetcher)).items
    assert items[4].published == datetime(2026, 11, 20, 8, 0, tzinfo=UTC)  # 09:00 in Paris


def test_the_source_zone_wins_over_the_reader_zone(
    server: ScriptedServer, fetcher: HttpFetcher
) -> None:
    page = entries('<h2><a href="/a1">Acme</a></h2><p class="d">Nov 25, 2026 8:05 AM</p>')
    server.routes["/us"] = reply(page.encode(), content_type="text/html")
    source = settings(
        url=server.url("/us"), date="p.d", timezone="America/New_York", allow_private="true"
    )
    (item,) = HtmlSource().fetch(source, SourceState(), context(fetcher)).items
    assert item.published == datetime(2026, 11, 25, 13, 5, tzinfo=UTC)
    # Without it, the reader's zone ([watchtower] timezone, through the fetch context).
    plain = settings(url=server.url("/us"), date="p.d", allow_private="true")
    (item,) = HtmlSource().fetch(plain, SourceState(), context(fetcher, "Asia/Tokyo")).items
    assert item.published == datetime(2026, 11, 24, 23, 5, tzinfo=UTC)


def test_an_unknown_zone_is_a_config_error() -> None:
    with pytest.raises(ValidationError, match="unknown time zone 'Europe/Pariss'"):
        settings(timezone="Europe/Pariss")


def test_the_fetch_context_still_builds_without_a_zone(fetcher: HttpFetcher) -> None:
    ctx = FetchContext(http=fetcher, now=lambda: NOW, log=logging.getLogger("t"))
    assert ctx.timezone == "Europe/Paris"  # [watchtower] timezone's default


def test_unreadable_dates_are_a_warning_naming_an_example() -> None:
    page = entries(
        '<h2><a href="/a1">Acme</a></h2><span class="date">Acme</span>',
        '<h2><a href="/a2">Acme 2</a></h2><span class="date">hier</span>',
    )
    warnings: list[str] = []
    items = parse_html_list(page, PAGE_URL, settings(date="span.date"), now=NOW, warnings=warnings)
    assert [i.published for i in items] == [None, datetime(2026, 11, 24, tzinfo=UTC)]
    assert warnings == ["date = 'span.date': 1 of 2 entries have no readable date (such as 'Acme')"]


def test_a_windows_1252_page_with_a_french_date(
    server: ScriptedServer, fetcher: HttpFetcher
) -> None:
    body = (
        '<html><head><meta charset="windows-1252"></head><body><article>'
        '<h2><a href="/a1">Acmé à Noël</a></h2><span>Publié le 3 août 2026 à 10h05</span>'
        "</article></body></html>"
    ).encode("cp1252")
    server.routes["/latin"] = reply(body, content_type="text/html")
    source = settings(url=server.url("/latin"), date="span", allow_private="true")
    (item,) = HtmlSource().fetch(source, SourceState(), context(fetcher)).items
    assert (item.title, item.published) == (
        "Acmé à Noël",
        datetime(2026, 8, 3, 10, 5, tzinfo=PARIS),
    )


# --------------------------------------------------------------------- titles and text
def test_titles_and_text_with_nested_markup_read_as_a_reader_sees_them() -> None:
    page = entries(
        '<h2>\n  <a href="/a1">L’<em>Acm</em>é\n\t<b>rachète</b>&nbsp;Bidule</a>\n</h2>'
        "<div class='sum'><p>Premier.</p><p>Second<br>ligne</p><script>x()</script></div>"
    )
    (item,) = parse_html_list(page, PAGE_URL, settings(text="div.sum"))
    assert item.title == "L’Acmé rachète Bidule"
    assert item.text == "Premier. Second ligne"


# ------------------------------------------------------------------------------ links
def test_links_that_are_not_addresses_link_to_the_page_with_distinct_guids() -> None:
    page = entries(
        '<h2><a href="javascript:void(0)">Acmé un</a></h2>',
        '<h2><a href="#">Acmé deux</a></h2>',
        '<h2><a href="#comments">Acmé trois</a></h2>',
        '<h2><a href="mailto:presse@acme.fr">Acmé quatre</a></h2>',
        "<h2>Acmé cinq</h2>",
    )
    items = parse_html_list(page, PAGE_URL + "#top", settings())
    assert [i.url for i in items] == [PAGE_URL] * 5
    assert all(i.shared_url for i in items)
    assert len({i.guid for i in items}) == 5


def test_relative_links_resolve_against_the_page() -> None:
    page = entries(
        '<h2><a href="a1.html">Un</a></h2>',
        '<h2><a href="/a2">Deux</a></h2>',
        '<h2><a href="//cdn.example.fr/a3">Trois</a></h2>',
        '<h2><a href="?page=2#x">Quatre</a></h2>',
    )
    assert [i.url for i in parse_html_list(page, PAGE_URL, settings())] == [
        "https://www.example.fr/actualites/a1.html",
        "https://www.example.fr/a2",
        "https://cdn.example.fr/a3",
        "https://www.example.fr/actualites/?page=2#x",
    ]


def test_entries_sharing_one_link_are_not_edits_of_each_other() -> None:
    page = entries(
        '<h2><a href="/rubrique/acme">Acmé rachète Bidule</a></h2>',
        '<h2><a href="/rubrique/acme">Acmé ferme une usine</a></h2>',
        '<h2><a href="/a3">Acmé recrute</a></h2>',
        '<h2><a href="/a3">Acmé recrute</a></h2>',  # the same entry twice ("à la une")
    )
    items = parse_html_list(page, PAGE_URL, settings())
    assert [i.title for i in items] == [
        "Acmé rachète Bidule",
        "Acmé ferme une usine",
        "Acmé recrute",
    ]
    assert len({i.guid for i in items}) == 3
    assert [i.shared_url for i in items] == [True, True, False]
    assert items[2].guid == "https://www.example.fr/a3"


def test_the_same_page_polled_twice_gives_the_same_guids() -> None:
    page = entries(
        '<h2><a href="/a1">Acmé</a></h2><span>il y a 3 heures</span>',
        "<h2>Acmé sans lien</h2><span>il y a 5 min</span>",
    )
    first = parse_html_list(page, PAGE_URL, settings(date="span"), now=NOW)
    later = parse_html_list(
        page, PAGE_URL, settings(date="span"), now=datetime(2026, 11, 26, tzinfo=UTC)
    )
    assert [i.guid for i in first] == [i.guid for i in later]


# ----------------------------------------------------------------- nothing readable
def test_entries_without_title_or_link_name_the_selectors(
    server: ScriptedServer, fetcher: HttpFetcher
) -> None:
    page = entries("<h3>Acmé</h3>", "<h3>Acmé encore</h3>")
    server.routes["/p"] = reply(page.encode(), content_type="text/html")
    source = settings(url=server.url("/p"), link="h3 a@href", allow_private="true")
    with pytest.raises(PermanentError) as caught:
        HtmlSource().fetch(source, SourceState(), context(fetcher))
    assert caught.value.message == (
        "2 elements match item = 'article', but none has a title (title = 'h2') "
        "or a link (link = 'h3 a@href')"
    )


def test_a_huge_match_is_cut_with_a_warning() -> None:
    page = entries(*(f'<h2><a href="/a{n}">Acmé {n}</a></h2>' for n in range(MAX_ENTRIES + 5)))
    warnings: list[str] = []
    items = parse_html_list(page, PAGE_URL, settings(), warnings=warnings)
    assert len(items) == MAX_ENTRIES
    assert warnings == [
        f"item = 'article' matches {MAX_ENTRIES + 5} elements: only the first 500 are read"
    ]
