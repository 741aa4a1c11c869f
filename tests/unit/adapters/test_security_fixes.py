"""Hostile source content (security review): markup and JSON-LD parsed in linear
time, out-of-range dates and non-finite ratings dropped, IPv6 forms of private
addresses refused, Discourse links kept on the forum, deeply nested JSON refused
with a plain message.

Linear time is checked by comparing the cost of an input with that of one 16
times larger (best of several runs): linear code costs about 16 times more,
quadratic code 256 times. The bound, 64, leaves a factor 4 either way, so the
check holds on a loaded machine; no duration is compared with a constant.
"""

from __future__ import annotations

import ipaddress
import json
import logging
import re
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta, timezone

import pytest

from tests.unit.adapters.conftest import ScriptedServer, reply
from watchtower.adapters import _dates
from watchtower.adapters._appstore import parse_appstore
from watchtower.adapters._dates import parse_date
from watchtower.adapters._feed import parse_feed
from watchtower.adapters._http import HttpFetcher
from watchtower.adapters._jsonld import loads_lenient
from watchtower.adapters._net import address_problem
from watchtower.adapters._text import html_to_text, html_to_text_many
from watchtower.adapters.base import FetchContext, SourceState
from watchtower.adapters.discourse import DiscourseSettings, DiscourseSource, parse_posts, post_link
from watchtower.adapters.reviews import parse_jsonld_reviews, read_reviews
from watchtower.errors import PermanentError

GROWTH = 16
BOUND = 64  # linear: ~16; quadratic: ~256


def _best_time(work: Callable[[], object], runs: int = 5) -> float:
    best = float("inf")
    for _ in range(runs):
        began = time.perf_counter()
        work()
        best = min(best, time.perf_counter() - began)
    return best


def assert_linear(convert: Callable[[str], object], unit: str, count: int) -> None:
    small, large = unit * count, unit * (count * GROWTH)
    convert(small)  # warm caches (compiled patterns, tag-name table)
    ratio = _best_time(lambda: convert(large)) / _best_time(lambda: convert(small))
    assert ratio < BOUND, f"{GROWTH}x the input {unit!r} cost {ratio:.0f}x the time"


# ------------------------------------------------------------- HTML to text
HOSTILE_MARKUP = [
    "<a ",  # unclosed tags
    "<!",  # unclosed declarations
    "<?",  # unclosed processing instructions
    "<!-",  # not a comment, an unclosed declaration
    "<a href='",  # unclosed quoted attribute values
    '<a x="',
    "<a '\"",
    "<style a='",  # unclosed invisible element with an unclosed attribute value
    "<script>",  # invisible elements never closed
    "<style><head>",
    "</script>",
    "<!--",  # comments never closed
    "<aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",  # a long tag name, never closed
]


@pytest.mark.timeout(60)
@pytest.mark.parametrize("unit", HOSTILE_MARKUP)
def test_html_to_text_is_linear_on_unclosed_markup(unit: str) -> None:
    assert_linear(html_to_text, unit, 6_000 // len(unit))


@pytest.mark.timeout(60)
@pytest.mark.parametrize("unit", ["<a ", "<a href='", "<script>", "<!--"])
def test_a_feed_of_hostile_fragments_is_linear_too(unit: str) -> None:
    assert_linear(lambda text: html_to_text_many([text, "Acme", text]), unit, 2_000)


def test_a_long_run_of_an_unclosed_tag_is_converted_at_once() -> None:
    # 1 MB: hours with the quadratic patterns; the pytest timeout is the bound.
    assert html_to_text("x <a " * 200_000) == ("x <a " * 200_000).strip()


@pytest.mark.parametrize(
    ("markup", "text"),
    [
        # An unclosed tag, declaration or attribute value is text, as before.
        ("Acme <a partir de 5 €", "Acme <a partir de 5 €"),
        ("x <a href='y z", "x <a href='y z"),
        ("<!DOCTYPE x", "<!DOCTYPE x"),
        # A quoted value may hold "<" and ">"; outside quotes "<" starts another tag.
        ('<a title="x<y>z">link</a>', "link"),
        ("<a <b>Acme", "<a Acme"),
        # An element whose closing tag never comes, or comes after another opening
        # of it, is not invisible: its text stays (only its tags go).
        ("<style>p {} Acme", "p {} Acme"),
        ("<script>a<script>b</script>c", "a c"),
        ("<title>t</title><head>Acme", "Acme"),
        # An unclosed comment runs to the end of its fragment, as in a browser.
        ("Acme <!-- hidden <p>still hidden", "Acme"),
        ("<!-- a --> Acme <!-- b -- >", "Acme"),
    ],
)
def test_unclosed_markup(markup: str, text: str) -> None:
    assert html_to_text(markup) == text


def test_an_unclosed_comment_ends_with_its_fragment_in_a_batch() -> None:
    assert html_to_text_many(["a <!-- b", "c", "<!-- d -->e"]) == ["a", "c", "e"]


def test_json_ld_cleanup_is_linear_on_unclosed_strings_and_comments() -> None:
    def lenient(text: str) -> object:
        try:
            return loads_lenient(text)
        except ValueError:
            return None

    assert_linear(lenient, '"\\', 1_000)
    assert_linear(lenient, "/*a", 1_000)
    assert loads_lenient('{"a": "/* kept */", // gone\n "b": [1, 2,],}') == {
        "a": "/* kept */",
        "b": [1, 2],
    }


# -------------------------------------------------------------------- dates
@pytest.mark.parametrize(
    "text",
    [
        "Fri, 31 Dec 9999 23:30:00 GMT",  # overflows in any zone east of UTC
        "9999-12-31T23:30:00-05:00",  # no UTC value: storing it overflows
        "0001-01-01T00:30:00+01:00",
        "0001-01-01",
        "1969-12-31T23:59:59Z",
        "1970-01-01T00:00:00Z",  # the epoch: an unset timestamp
        "Thu, 01 Jan 1970 01:00:00 +0100",
        "2100-01-01T00:00:00Z",
        "2099-12-31T23:59:59-05:00",  # 2100-01-01T04:59:59Z
        "1970-01-01T05:00:00+06:00",  # 1969-12-31T23:00:00Z
        "Sat, 01 Jan 2150 10:00:00 GMT",
        "Wed, 06 Apr 2022 21:07:47 +9999",  # raised ValueError (offset of 4 days)
        "06 Apr 2022 21:07 -2500",
    ],
)
def test_dates_out_of_range_are_no_date(text: str) -> None:
    assert parse_date(text) is None


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("1970-01-01T00:00:01Z", datetime(1970, 1, 1, 0, 0, 1, tzinfo=UTC)),
        ("2099-12-31T23:59:59Z", datetime(2099, 12, 31, 23, 59, 59, tzinfo=UTC)),
        (
            "Tue, 31 Dec 2099 20:00:00 -0300",
            datetime(2099, 12, 31, 20, tzinfo=timezone(timedelta(hours=-3))),
        ),
        ("Wed, 06 Apr 2022\n        21:07:47 +0000", datetime(2022, 4, 6, 21, 7, 47, tzinfo=UTC)),
        (
            "Wed, 06 Apr 2022" + " " * 1000 + "21:07:47 +0000",
            datetime(2022, 4, 6, 21, 7, 47, tzinfo=UTC),
        ),
    ],
)
def test_dates_in_range(text: str, expected: datetime) -> None:
    assert parse_date(text) == expected


def test_the_fast_year_check_matches_the_window() -> None:
    # parse_date writes these years as literals, for speed.
    assert (_dates._SAFE_AFTER, _dates._SAFE_BEFORE) == (1970, 2099)
    for year, minutes in [(1971, 1439), (1971, -1439), (2098, 1439), (2098, -1439)]:
        zone = timezone(timedelta(minutes=minutes))  # the widest offsets: ±23:59
        for when in (
            datetime(year, 1, 1, tzinfo=zone),
            datetime(year, 12, 31, 23, 59, tzinfo=zone),
        ):
            assert _dates.EARLIEST < when < _dates.LATEST


@pytest.mark.timeout(60)
def test_a_date_with_a_long_run_of_spaces_is_read_in_linear_time() -> None:
    assert_linear(lambda spaces: parse_date(f"1 Jan 2020 10:00{spaces}!"), " ", 2_000)


def test_an_entry_with_an_out_of_range_date_is_kept_undated() -> None:
    atom = b"""<feed xmlns="http://www.w3.org/2005/Atom"><title>t</title>
<entry><id>1</id><title>far</title><updated>9999-12-31T23:30:00-05:00</updated></entry>
<entry><id>2</id><title>near</title><updated>2026-03-04T09:00:00Z</updated></entry></feed>"""
    far, near = parse_feed(atom).items
    assert (far.title, far.published) == ("far", None)
    assert near.published == datetime(2026, 3, 4, 9, tzinfo=UTC)


# ------------------------------------------------------------------ ratings
def _page(*ratings: object) -> str:
    reviews = [
        {
            "@type": "Review",
            "author": {"@type": "Person", "name": f"A{i}"},
            "datePublished": f"2026-03-0{i + 1}",
            "reviewBody": f"Acme {i}",
            "reviewRating": rating,
        }
        for i, rating in enumerate(ratings)
    ]
    block = json.dumps({"@type": "LocalBusiness", "name": "Acme", "review": reviews})
    return f'<script type="application/ld+json">{block}</script>'


@pytest.mark.parametrize(
    ("rating", "stars"),
    [
        ({"ratingValue": "NaN"}, None),
        ({"ratingValue": "Infinity"}, None),
        ({"ratingValue": "-inf"}, None),
        ({"ratingValue": "1e999999"}, None),
        ("nan", None),
        ({"ratingValue": "7"}, 3.5),  # above 5 with no scale: read out of 10
        ({"ratingValue": "-1"}, 0.0),
        ({"ratingValue": "8", "bestRating": "10"}, 4.0),
        ({"ratingValue": "4", "bestRating": "NaN"}, 4.0),  # an unusable scale: out of 5
        ({"ratingValue": "4", "bestRating": "0"}, 4.0),
        ({"ratingValue": "4", "bestRating": 10**400}, 4.0),
        ({"ratingValue": "1e308", "bestRating": "1e-300"}, 5.0),
    ],
)
def test_review_ratings_are_finite_and_on_the_scale(rating: object, stars: float | None) -> None:
    [item] = parse_jsonld_reviews(_page(rating), "https://avis.example.fr/acme")
    assert item.rating == stars
    if stars is None:
        assert "rating_raw" not in item.extra


@pytest.mark.parametrize("value", ["NaN", "inf", "-Infinity", "1e999999", "9"])
def test_app_store_ratings_are_finite_and_on_the_scale(value: str) -> None:
    entry = {"id": {"label": "1"}, "im:rating": {"label": value}, "title": {"label": "t"}}
    feed = json.dumps({"feed": {"entry": [entry]}}).encode()
    xml = (
        '<feed xmlns="http://www.w3.org/2005/Atom" xmlns:im="http://itunes.apple.com/rss">'
        f"<entry><id>1</id><title>t</title><im:rating>{value}</im:rating></entry></feed>"
    ).encode()
    expected = 5.0 if value == "9" else None
    for data in (feed, xml):
        [item] = parse_appstore(data, "https://apps.apple.com/app/id1")
        assert item.rating == expected


# ------------------------------------------------------------- deep JSON
@pytest.mark.parametrize(
    ("data", "message", "code"),
    [
        (b"[" * 100_000, "App Store review feed is nested too deeply", "appstore_too_deep"),
        (
            b'{"feed":' * 100_000,
            "App Store review feed is nested too deeply",
            "appstore_too_deep",
        ),
        (
            (
                '<script type="application/ld+json">{"@type": "Review", "author": '
                + "[" * 700
                + "]" * 700
                + "}</script>"
            ).encode(),
            "reviews are nested too deeply",
            "reviews_too_deep",
        ),
    ],
)
def test_deeply_nested_reviews_are_a_plain_source_error(
    data: bytes, message: str, code: str
) -> None:
    # The code gives ops alerts their French text.
    with pytest.raises(PermanentError, match=message) as raised:
        read_reviews(data, "https://avis.example.fr/acme")
    assert raised.value.code == code


def test_a_json_ld_block_too_deep_to_parse_is_skipped() -> None:
    deep = '<script type="application/ld+json">' + "[" * 100_000 + "</script>"
    items, reviewable = read_reviews((deep + _page({"ratingValue": 2})).encode(), "https://x/")
    assert reviewable
    assert [item.rating for item in items] == [2.0]


@pytest.fixture
def ctx() -> Iterator[FetchContext]:
    fetcher = HttpFetcher(timeout=5.0, politeness_delay=0.0)
    yield FetchContext(http=fetcher, now=lambda: datetime.now(UTC), log=logging.getLogger("t"))
    fetcher.close()


def test_a_deeply_nested_discourse_answer_is_a_plain_source_error(
    server: ScriptedServer, ctx: FetchContext
) -> None:
    server.routes["/latest.json"] = reply(b"[" * 100_000, content_type="application/json")
    settings = DiscourseSettings(name="d", base_url=server.url(""), allow_private=True)
    with pytest.raises(
        PermanentError, match=r"/latest\.json is nested too deeply to read"
    ) as raised:
        DiscourseSource().fetch(settings, SourceState(), ctx)
    assert raised.value.code == "forum_too_deep"


# ------------------------------------------------------------ discourse links
BASE = "https://forum.example.org"


@pytest.mark.parametrize(
    ("post_url", "link"),
    [
        ("/t/acme/7/2", f"{BASE}/t/acme/7/2"),
        ("t/acme/7/2", f"{BASE}/t/acme/7/2"),
        (f"{BASE}/t/acme/7/2", f"{BASE}/t/acme/7/2"),
        ("@evil.example/phish", f"{BASE}/@evil.example/phish"),  # a path, not user info
        (".evil.example/phish", f"{BASE}/.evil.example/phish"),
        # Off the forum: the topic URL made from the base URL instead.
        ("//evil.example/phish", "FALLBACK"),
        ("https://evil.example/t/acme/7/2", "FALLBACK"),
        ("http://forum.example.org/t/acme/7/2", "FALLBACK"),  # another scheme
        ("https://forum.example.org:8443/t/acme/7/2", "FALLBACK"),  # another port
        ("https://u@forum.example.org/t/acme/7/2", "FALLBACK"),  # user info
        ("https://forum.example.org@evil.example/", "FALLBACK"),
        ("\\\\evil.example/phish", "FALLBACK"),  # "//evil.example" to a browser
        ("javascript:alert(1)", "FALLBACK"),
        ("https://[::1/", "FALLBACK"),  # unparseable
        ("/t/" + "a" * 9000, "FALLBACK"),  # longer than an item's URL may be
    ],
)
def test_a_post_link_stays_on_the_forum(post_url: str, link: str) -> None:
    assert post_link(BASE, post_url, "FALLBACK") == link


def test_post_links_of_a_forum_in_a_subfolder_keep_the_subfolder() -> None:
    assert post_link(f"{BASE}/communaute/", "/t/acme/7/2", "F") == f"{BASE}/communaute/t/acme/7/2"


def test_a_post_whose_link_leaves_the_forum_links_to_its_topic() -> None:
    payload = {
        "id": 7,
        "slug": "acme",
        "post_stream": {
            "posts": [
                {"id": 70, "post_number": 1, "post_url": "//evil.example/x", "cooked": "Acme"},
                {"id": 71, "post_number": 2, "post_url": "/t/acme/7/2", "cooked": "Acme"},
            ]
        },
    }
    assert [item.url for item in parse_posts(payload, BASE + "/")] == [
        f"{BASE}/t/acme/7/1",
        f"{BASE}/t/acme/7/2",
    ]


# ------------------------------------------------------------- IPv6 forms
@pytest.mark.parametrize(
    ("address", "words"),
    [
        ("64:ff9b::a9fe:a9fe", r"64:ff9b::a9fe:a9fe \(169\.254\.169\.254\) is a link-local"),
        ("64:ff9b::a00:1", r"\(10\.0\.0\.1\) is a private"),
        ("64:ff9b:1::a9fe:a9fe", "is a private or reserved"),  # local-use NAT64 (RFC 8215)
        ("64:ff9b:1::808:808", "is a private or reserved"),
        ("2002:a9fe:a9fe::1", r"\(169\.254\.169\.254\) is a link-local"),  # 6to4
        ("2002:7f00:1::1", r"\(127\.0\.0\.1\) is a loopback"),
        ("::a9fe:a9fe", r"\(169\.254\.169\.254\) is a link-local"),  # IPv4-compatible
        ("fec0::1", "is a private or reserved"),  # site-local
        ("::ffff:10.0.0.1", r"^10\.0\.0\.1 is a private"),
        ("::1", "is a loopback"),
        ("::", "is not a host address"),
        ("64:ff9b::", "is not a host address"),  # NAT64 of 0.0.0.0
    ],
)
def test_ipv6_forms_of_private_addresses_are_refused(address: str, words: str) -> None:
    problem = address_problem(ipaddress.ip_address(address), allow_private=False)
    assert problem is not None
    assert re.search(words, problem), problem
    if "not a host" not in problem:  # the others are what allow_private permits
        assert address_problem(ipaddress.ip_address(address), allow_private=True) is None


@pytest.mark.parametrize(
    "address", ["64:ff9b::808:808", "2002:808:808::1", "::808:808", "::ffff:8.8.8.8", "8.8.8.8"]
)
def test_ipv6_forms_of_public_addresses_are_allowed(address: str) -> None:
    assert address_problem(ipaddress.ip_address(address), allow_private=False) is None


def test_trusted_networks_apply_to_the_embedded_address() -> None:
    trusted = [ipaddress.ip_network("127.0.0.0/8"), ipaddress.ip_network("::1/128")]
    for address in ("::1", "::ffff:127.0.0.1", "127.0.0.1"):
        assert (
            address_problem(ipaddress.ip_address(address), allow_private=False, trusted=trusted)
            is None
        )
    problem = address_problem(
        ipaddress.ip_address("64:ff9b::a9fe:a9fe"), allow_private=False, trusted=trusted
    )
    assert problem is not None
