"""Forum and blog boilerplate ending feed entries is not item text; the author's text is.

The real samples (tests/corpus) show phpBB's "Statistics: Posted by …" footer and
Discourse's "Read full topic" link; the other shapes follow the engines' own feed
templates (XenForo's ``Forum\\Rss`` view, Discourse's ``list.rss.erb``, Yoast SEO's
default RSS footer, WordPress themes' "Continue reading" links).
"""

from __future__ import annotations

from html import escape
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.unit.adapters.test_fast_items import assert_same_as_validated
from watchtower.adapters._boilerplate import strip_trailers
from watchtower.adapters._feed import parse_feed
from watchtower.adapters._text import html_to_text

CORPUS = Path(__file__).resolve().parents[2] / "corpus"
POST = "https://forum.example.fr/threads/banque-acme-frais.4711/"


def rss_text(body: str, link: str = POST) -> str:
    """The text watchtower reads from one RSS entry whose description is ``body``."""
    data = (
        '<rss version="2.0"><channel><title>t</title><item><title>Banque Acme</title>'
        f"<link>{link.replace('&', '&amp;')}</link><description><![CDATA[{body}]]></description>"
        "</item></channel></rss>"
    )
    [item] = parse_feed(data.encode(), url="https://forum.example.fr/feed").items
    assert_same_as_validated(item)
    return item.text


def atom_text(content: str, content_type: str = "html", link: str = POST) -> str:
    escaped = content.replace("&", "&amp;").replace("<", "&lt;")
    data = (
        '<feed xmlns="http://www.w3.org/2005/Atom"><title>t</title><entry><id>urn:1</id>'
        f'<title>Banque Acme</title><link href="{link.replace("&", "&amp;")}"/>'
        f'<content type="{content_type}">{escaped}</content></entry></feed>'
    )
    [item] = parse_feed(data.encode(), url="https://forum.example.fr/feed.php").items
    return item.text


# ------------------------------------------------------------------ real samples
def test_phpbb_statistics_footer_is_gone_from_the_real_feed() -> None:
    data = (CORPUS / "forums" / "phpbb_feed_php_classicshell_t2652.atom.xml").read_bytes()
    items = parse_feed(data, url="http://www.classicshell.net/forum/feed.php?f=10&t=2652").items
    # The posts' own last sentences end the texts; the footer named the author only.
    assert items[0].text.endswith("in Google's search box.")
    assert items[1].text.endswith("searching won't find the answer in the FAQ.")
    assert all("Statistics" not in i.text and "Posted by" not in i.text for i in items)


def test_discourse_read_full_topic_is_gone_from_the_real_feed() -> None:
    data = (CORPUS / "forums" / "discourse_topic_2144.rss.xml").read_bytes()
    items = parse_feed(data, url="https://discuss.criticalfallibilism.com/t/x/2144.rss").items
    assert len(items) == 25
    assert not [i.guid for i in items if "Read full topic" in i.text]
    # A hidden spoiler is written as a link to the post too: the author's, so it stays,
    # even when it ends the post.
    spoiler = next(i for i in items if i.url.endswith("/2144/24"))
    assert spoiler.text.endswith("Spoilers for We the Living and 1984: spoiler")


def test_xenforo_read_more_link_is_gone_from_the_synthetic_feed() -> None:
    data = (CORPUS / "forums" / "synthetic_xenforo_index.rss.xml").read_bytes()
    first = parse_feed(data, url="https://forum.example.fr/forums/-/index.rss").items[0]
    assert first.text.endswith("Quelqu'un d'autre ?")


def test_reddit_submitted_by_trailer_is_gone_from_the_real_feed() -> None:
    data = (CORPUS / "rss" / "reddit_r_thinkpad_top.atom.xml").read_bytes()
    items = parse_feed(data, url="https://www.reddit.com/r/thinkpad/top/.rss").items
    assert not [i.guid for i in items if "submitted by" in i.text or "[comments]" in i.text]
    assert [bool(i.text) for i in items] == [False, False, False, True, True]  # links: titles
    assert items[3].text.endswith("I'll promptly edit this)")
    assert items[0].author == "/u/KasaneTeto_"  # the name stays where it belongs


REDDIT = "https://www.reddit.com/r/france/comments/abc123/banque_acme/"


def reddit_body(text: str, user: str = "https://www.reddit.com/user/AcmeFan") -> str:
    return (
        f'<!-- SC_OFF --><div class="md"><p>{text}</p></div><!-- SC_ON --> &#32; submitted by '
        f'&#32; <a href="{user}"> /u/AcmeFan </a> <br/> <span><a href="{REDDIT}">[link]</a>'
        f'</span> &#32; <span><a href="{REDDIT}">[comments]</a></span>'
    )


def test_a_reddit_user_name_is_no_mention() -> None:
    [item] = parse_feed(
        (
            '<feed xmlns="http://www.w3.org/2005/Atom"><title>r/france</title><entry>'
            f'<id>t3_abc123</id><title>Frais bancaires</title><link href="{REDDIT}"/>'
            f'<content type="html">{escape(reddit_body("Mes frais ont doublé."))}</content>'
            "</entry></feed>"
        ).encode(),
        url="https://www.reddit.com/r/france/.rss",
    ).items
    assert item.text == "Mes frais ont doublé."
    # the same shape with a user link elsewhere than Reddit is not Reddit's trailer
    other = reddit_body("Mes frais ont doublé.", user="https://evil.example/user/AcmeFan")
    assert strip_trailers(other, REDDIT) is other


# ------------------------------------------------------------------ table
KEPT = "Ma Banque Acme prélève 4 € de plus par mois."
BOILERPLATE = [
    pytest.param(
        f'{KEPT}<p>Statistics: Posted by <a href="./memberlist.php?mode=viewprofile&amp;u=5">'
        "AcmeFan</a> — Sun May 18, 2014 9:17 pm</p><hr />\n",
        id="phpbb-en",
    ),
    pytest.param(
        f'{KEPT}<p>Statistiques : Posté par <a href="https://forum.example.fr/memberlist.php?'
        'mode=viewprofile&amp;u=54" style="color: #AA0000;" class="username-coloured">Jo</a>'
        " — Lun 4 Mar 2024 10:00 — Réponses 3 — Vues 40</p><hr />",
        id="phpbb-fr-topic-feed",
    ),
    pytest.param(
        f"{KEPT}<p>Statistiques: Posté par Invité — Lun 4 Mar 2024 10:00</p><hr />",
        id="phpbb-guest-no-profile-link",
    ),
    pytest.param(
        f'<div class="bbWrapper">{KEPT}</div><br />\n<br />\n'
        f'<a href="{POST}" class="link link--internal">Read more</a>',
        id="xenforo-2-read-more",
    ),
    pytest.param(
        f'{KEPT}<br />\n<br />\n<a href="{POST}" class="internalLink">Banque Acme : frais</a>',
        id="xenforo-1-thread-title",
    ),
    pytest.param(
        f"<p>{KEPT}</p>\n<p><small>12 posts - 5 participants</small></p>\n"
        f'<p><a href="{POST}">Read full topic</a></p>\n      ',
        id="discourse-latest",
    ),
    pytest.param(
        f"<p>{KEPT}</p>\n<p><small>3 messages - 2 participants</small></p>\n"
        f'<p><a href="{POST}">Lire le sujet en entier</a></p>',
        id="discourse-fr",
    ),
    pytest.param(
        f'<p>{KEPT}</p>\n<p>The post <a rel="nofollow" href="{POST}">Banque Acme : frais</a> '
        'appeared first on <a rel="nofollow" href="https://blog.example.fr">Le Blog</a>.</p>\n',
        id="wordpress-yoast",
    ),
    pytest.param(
        f'<p>{KEPT}</p><p>L’article <a href="{POST}">Banque Acme : frais</a> est apparu en '
        'premier sur <a href="https://blog.example.fr">Le Blog</a>.</p>',
        id="wordpress-yoast-fr",
    ),
    pytest.param(
        f'<p>{KEPT}</p><p class="link-more"><a href="{POST}#more-12" class="more-link">'
        "Continue reading</a></p>"
        f'<p>The post <a href="{POST}">Frais</a> appeared first on <a href="/">Le Blog</a>.</p>',
        id="wordpress-continue-reading-then-yoast",
    ),
]


@pytest.mark.parametrize("body", BOILERPLATE)
def test_trailing_boilerplate_is_removed(body: str) -> None:
    assert rss_text(body) == KEPT


def test_a_continue_reading_link_after_an_ellipsis_goes_the_ellipsis_stays() -> None:
    body = (
        f'{KEPT} &hellip; <a href="{POST}#more-12" class="more-link">Continue reading'
        '<span class="screen-reader-text"> "Banque Acme : frais"</span></a>'
    )
    assert rss_text(body) == f"{KEPT} …"  # the excerpt was cut: that is still said


def test_phpbb_footer_in_an_atom_feed() -> None:
    body = (
        f'{KEPT}<p>Statistics: Posted by <a href="memberlist.php?mode=viewprofile&amp;u=1">'
        "Acme</a> — Mon Mar 4, 2024 10:00 am</p><hr />\n"
    )
    assert atom_text(body) == KEPT


def test_a_link_with_a_query_string_is_recognised_escaped() -> None:
    link = "https://forum.example.fr/showthread.php?t=812&p=4"
    body = f'{KEPT}<br /><a href="{link.replace("&", "&amp;")}">Lire la suite</a>'
    assert rss_text(body, link=link) == KEPT


USER_TEXT = [
    pytest.param(
        '<p>Le SAV dit "voir la réponse".</p><p>Source : <a href="https://lemonde.fr/x">'
        "Le Monde</a></p>",
        id="a-link-to-another-page",
    ),
    pytest.param(
        f'<p>Comme dit dans <a href="{POST}">mon message</a></p>',
        id="a-link-to-the-post-inside-a-sentence",
    ),
    pytest.param(
        f"<p>{KEPT}</p><p>Read more</p>",
        id="read-more-as-words-not-a-link",
    ),
    pytest.param(
        f"<p>{KEPT}</p><p>Note: posted by my bank — see below</p>",
        id="posted-by-without-phpbb-hr",
    ),
    pytest.param(
        f"<p>{KEPT}</p><p>Remarque : posté par Acme — hier</p><hr /><p>Et vous ?</p>",
        id="phpbb-like-paragraph-not-at-the-end",
    ),
    pytest.param(
        f'<a href="{POST}">Comments</a>',
        id="a-link-that-is-the-whole-entry",
    ),
    pytest.param(
        f'{KEPT} submitted by <a href="https://www.reddit.com/user/x"> /u/x </a> <br/> '
        '<span><a href="https://i.redd.it/a.jpg">[link]</a></span> &#32; '
        f'<span><a href="{POST}">[comments]</a></span>',
        id="a-link-to-the-post-after-other-links",
    ),
    pytest.param(
        f"<p>{KEPT} Il a écrit [&#8230;]</p>",
        id="wordpress-excerpt-ellipsis-stays",
    ),
]


@pytest.mark.parametrize("body", USER_TEXT)
def test_the_author_s_text_is_kept(body: str) -> None:
    assert rss_text(body) == html_to_text(body)
    assert strip_trailers(body, POST) is body


def test_a_plain_text_body_is_never_touched() -> None:
    assert atom_text(f"{KEPT}\nRead full topic", content_type="text") == f"{KEPT} Read full topic"


def test_without_boilerplate_the_body_is_returned_as_is() -> None:
    body = f'<p>{KEPT} <a href="https://news.example.org/a/1?utm=rss">la suite</a> ici.</p>'
    assert strip_trailers(body, "https://news.example.org/a/1") is body


# ------------------------------------------------------------------ fuzzed
_PIECES = st.sampled_from(
    [
        "Acme",
        " texte ",
        "<p>",
        "</p>",
        "<br />",
        "<hr />",
        "\n  ",
        "&hellip;",
        "—",
        ":",
        "<p>Statistics: Posted by ",
        f'<a href="{POST}">',
        '<a href="https://other.example/">',
        "<a>",
        "</a>",
        "<small>3 posts - 2 participants</small>",
        "<span>",
        "</span>",
    ]
)


@given(
    st.lists(_PIECES, max_size=14).map("".join), st.sampled_from([POST, "", "https://x/?a=1&b=2"])
)
@settings(max_examples=300, deadline=None)
def test_only_a_tail_is_ever_cut_and_text_remains(body: str, link: str) -> None:
    kept = strip_trailers(body, link)
    assert body.startswith(kept)
    if kept is not body:
        assert html_to_text(kept)


def test_a_trailer_is_recognised_when_the_feed_tags_the_entry_link() -> None:
    tagged = POST + "?utm_source=rss&utm_medium=flux"
    yoast = (
        f"<p>{KEPT}</p>"
        f'<p>L’article <a href="{POST}">Frais</a> est apparu en premier sur '
        '<a href="https://blog.example.fr/">Le Blog</a>.</p>'
    )
    assert rss_text(yoast, link=tagged) == KEPT
    read_more = f'<p>{KEPT}</p><p><a href="{POST}">Lire la suite</a></p>'
    assert rss_text(read_more, link=tagged) == KEPT
    # another page of the same site is still not the entry
    other = f'<p>{KEPT}</p><p><a href="{POST}autre/">Lire la suite</a></p>'
    assert rss_text(other, link=tagged) == html_to_text(other)
