"""Table tests for canonical URLs and equality keys."""

from __future__ import annotations

import base64
import random

import pytest

from watchtower.pipeline.canonical import _canonical, _key, canonical_key, canonical_url, url_key


def _gnews_id(target: str) -> str:
    raw = target.encode()
    blob = b"\x08\x13\x22" + bytes([len(raw)]) + raw + b"\xd2\x01\x00"
    return base64.urlsafe_b64encode(blob).decode().rstrip("=")


CASES = [
    # (input, canonical)
    ("https://example.com/a", "https://example.com/a"),
    ("  HTTPS://Example.COM:443/a#section  ", "https://example.com/a#section"),  # an anchor
    ("https://site.fr/a#xtor=RSS-1", "https://site.fr/a"),  # a tracking fragment
    ("https://www.heise.de/news/x.html?wt_mc=rss.ho.beitrag.rdf", "https://www.heise.de/news/x.html"),
    # forum links: the post's anchor stays, a path in the query gets no "="
    ("https://f.fr/viewtopic.php?t=2652&p=12857#p12857", "https://f.fr/viewtopic.php?p=12857&t=2652#p12857"),
    ("https://f.fr/showthread.php?812-Garage-Dupont&goto=newpost", "https://f.fr/showthread.php?812-Garage-Dupont&goto=newpost"),
    ("https://f.fr/index.php?/topic/123-sujet/&utm_source=x", "https://f.fr/index.php?/topic/123-sujet/"),
    ("http://example.com:80", "http://example.com/"),
    ("http://example.com:8080/a", "http://example.com:8080/a"),
    ("https://example.com/a?utm_source=x&utm_medium=y&id=3", "https://example.com/a?id=3"),
    ("https://example.com/a?b=2&a=1&fbclid=Z&gclid=G", "https://example.com/a?a=1&b=2"),
    ("https://example.com/a?mc_cid=1&mc_eid=2&igshid=3&ref=tw", "https://example.com/a"),
    ("https://example.com/a?UTM_Campaign=x&xtor=RSS-1", "https://example.com/a"),
    ("https://example.com/a?q=caf%C3%A9+cr%C3%A8me", "https://example.com/a?q=caf%C3%A9%20cr%C3%A8me"),
    ("https://example.com/caf%c3%a9/%7Euser", "https://example.com/caf%C3%A9/~user"),
    ("https://example.com/café", "https://example.com/caf%C3%A9"),
    ("https://amp.example.com/story", "https://example.com/story"),
    ("https://example.com/story/amp", "https://example.com/story"),
    ("https://example.com/story/amp/", "https://example.com/story/"),
    ("https://example.com/amp/story", "https://example.com/story"),
    ("https://example.com/story.amp.html", "https://example.com/story.html"),
    ("https://example.com/story?amp", "https://example.com/story"),
    ("https://example.com/story?amp=1&p=2", "https://example.com/story?p=2"),
    ("https://example.com/story?outputType=amp", "https://example.com/story"),
    ("https://example.com/amp", "https://example.com/amp"),  # a page named amp
    ("https://www-site-fr.cdn.ampproject.org/c/s/www.site.fr/a.html", "https://www.site.fr/a.html"),
    ("https://www.google.fr/amp/s/www.site.fr/a/amp", "https://www.site.fr/a"),
    (
        "https://www.google.com/url?rct=j&sa=t&url=https://www.lemonde.fr/eco/a.html"
        "%3Futm_source%3Dalert&ct=ga&cd=CAEYAA&usg=AOvVaw",
        "https://www.lemonde.fr/eco/a.html",
    ),
    ("https://www.google.com/url?q=https://site.fr/x&sa=D", "https://site.fr/x"),
    ("https://www.google.com/url?q=not-a-url", "https://www.google.com/url?q=not-a-url"),
    ("https://l.facebook.com/l.php?u=https%3A%2F%2Fsite.fr%2Fx%3Ffbclid%3D1&h=AT", "https://site.fr/x"),
    ("https://news.google.com/news/url?url=https://site.fr/x&ct=1", "https://site.fr/x"),
    (f"https://news.google.com/rss/articles/{_gnews_id('https://site.fr/y?utm_source=gn')}?oc=5",
     "https://site.fr/y"),
    ("https://news.google.com/rss/articles/CBMiAU_yqLOpaque?oc=5",
     "https://news.google.com/rss/articles/CBMiAU_yqLOpaque?oc=5"),
    ("https://feedproxy.google.com/~r/site/~3/abc/story", "https://feedproxy.google.com/~r/site/~3/abc/story"),
    ("https://feedproxy.google.com/x?url=https://site.fr/z", "https://site.fr/z"),
    ("https://www.bing.com/news/apiclick.aspx?ref=FexRss&url=https%3a%2f%2fsite.fr%2fw", "https://site.fr/w"),
    # nested: Facebook → Google → AMP page with tracking
    (
        "https://l.facebook.com/l.php?u=https%3A%2F%2Fwww.google.com%2Furl%3Furl%3D"
        "https%253A%252F%252Famp.site.fr%252Fa%253Futm_source%253Dfb",
        "https://site.fr/a",
    ),
    ("http://[::1]:8080/a", "http://[::1]:8080/a"),
    ("https://café.fr/x", "https://xn--caf-dma.fr/x"),
    # only absolute http(s) URLs with a real host are kept: nothing else is a link
    ("mailto:press@acme.fr", ""),
    ("javascript:alert(document.cookie)", ""),
    ("JavaScript://%0Aalert(1)", ""),
    ("data:text/html;base64,PHNjcmlwdD4=", ""),
    ("/relative/path", ""),
    ("", ""),
    ("not a url", ""),
    ("http://[::1", ""),
    ("https://ex\x1bample.com/a", ""),  # a control character in the host
    ("https://exa mple.com/a", ""),
    # a bidi override would show the host in another order: dropped, the real host shown
    ("https://\u202erf.acme-banque.evil.example/login", "https://rf.acme-banque.evil.example/login"),
    ("https://u\u202e:p@site.fr/a", "https://site.fr/a"),  # user info: a lure or a secret
    ("https://www.acme.fr@evil.example/login", "https://evil.example/login"),
    ("https://feed:s3cret@news.example.fr/a", "https://news.example.fr/a"),
]  # fmt: skip


@pytest.mark.parametrize(("url", "expected"), CASES)
def test_canonical_url(url: str, expected: str) -> None:
    assert canonical_url(url) == expected


@pytest.mark.parametrize(("url", "expected"), CASES)
def test_canonical_url_is_idempotent(url: str, expected: str) -> None:
    assert canonical_url(expected) == expected


def test_extra_tracking_params_exact_and_prefix() -> None:
    url = "https://site.fr/a?campaign=1&src_x=2&src_y=3&keep=4"
    assert canonical_url(url, ["campaign", "src_*"]) == "https://site.fr/a?keep=4"
    assert canonical_url(url) == "https://site.fr/a?campaign=1&keep=4&src_x=2&src_y=3"


def test_article_selecting_params_are_kept() -> None:
    assert canonical_url("https://site.fr/article.php?cid=12&source=rss") == (
        "https://site.fr/article.php?cid=12&source=rss"
    )


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("https://www.site.fr/a/", "http://site.fr/a?utm_source=x"),
        ("https://site.fr/a?x=1&y=2", "https://www.site.fr/a/?y=2&x=1#top"),
        ("https://amp.site.fr/a/amp", "https://www.site.fr/a"),
        ("https://www.google.com/url?url=https://site.fr/a", "https://site.fr/a?fbclid=1"),
    ],
)
def test_url_key_equal(a: str, b: str) -> None:
    assert url_key(a) == url_key(b)


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("https://site.fr/a", "https://site.fr/b"),
        ("https://site.fr/a?id=1", "https://site.fr/a?id=2"),
        ("https://site.fr/a", "https://other.fr/a"),
        ("https://blog.site.fr/a", "https://site.fr/a"),
    ],
)
def test_url_key_different(a: str, b: str) -> None:
    assert url_key(a) != url_key(b)


def test_url_key_shape() -> None:
    assert url_key("https://www.site.fr/") == "site.fr"
    assert url_key("https://www.site.fr/a/?b=1") == "site.fr/a?b=1"


def test_plain_links_take_a_shortcut_to_the_same_result() -> None:
    """Most links skip the step-by-step rewrite: whatever a link looks like, the
    result is the one the full rewrite gives."""
    rng = random.Random(7)
    schemes = ["http", "https", "https", "HTTPS", "ftp"]
    hosts = [
        "a.fr", "www.a.fr", "A.fr", "a.fr.", "a", "a..fr", "-a.fr", "127.0.0.1", "a.fr:443",
        "a.fr:8080", "u@a.fr", "xn--caf-dma.fr", "amp.a.fr", "amp.fr", "www.google.fr",
        "google.co.uk", "news.google.com", "feedproxy.google.com", "l.facebook.com",
        "www.youtube.com", "x.cdn.ampproject.org", "[::1]", "café.fr",
    ]  # fmt: skip
    pieces = [
        "/", "a", "amp", "AMP", "x.amp.html", "~u", "%7e", "%41", "-", "_", ".", "é",
        " ", "?", "#", "=", "&", "utm_source", "url=https://b.fr/", ":", "@", "\t",
    ]  # fmt: skip
    for _ in range(20_000):
        # Half the paths of the characters a plain link may have: near misses matter.
        path = "".join(rng.choices(pieces[: 8 if rng.random() < 0.5 else None], k=rng.randrange(6)))
        if path and rng.random() < 0.8:
            path = "/" + path
        url = f"{rng.choice(schemes)}://{rng.choice(hosts)}{path}"
        if rng.random() < 0.1:
            url = f" {url} "
        canon = canonical_url(url)
        assert canon == _canonical(url.strip(), ()), url
        assert canonical_key(canon) == _key(canon), url
        assert canonical_key(url) == _key(url), url
