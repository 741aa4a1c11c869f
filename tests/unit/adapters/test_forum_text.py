"""A forum item's text is its author's words: quotes of other posts, signatures,
link previews and image details are not matched, nor shown as its excerpt.

Real samples: the Discourse feed and JSON answers in tests/corpus/forums (see
tests/corpus/PROVENANCE.md). Every other fixture below is **synthetic**, written
for these tests after each engine's own markup: Discourse's cooked HTML (quotes,
oneboxes, lightboxes, polls), phpBB 3.2+'s feed.php (whose quote helper removes
the quote's author: ``<blockquote class="uncited">``) and older phpBB quotes
(``<cite>``), XenForo 2's ``bbCodeBlock--quote`` and ``message-signature``,
vBulletin 4's ``bbcode_quote`` and ``signaturecontainer``. No real person's text.
"""

from __future__ import annotations

import json
from html import escape
from pathlib import Path

import pytest

from tests.unit.adapters.test_fast_items import assert_same_as_validated
from tests.unit.adapters.test_security_fixes import assert_linear
from watchtower.adapters._boilerplate import may_hold_foreign, strip_foreign
from watchtower.adapters._feed import parse_feed
from watchtower.adapters._feed_items import decode_leftover_entities
from watchtower.adapters._text import drop_elements, html_to_text
from watchtower.adapters.discourse import parse_posts
from watchtower.models import Item

CORPUS = Path(__file__).resolve().parents[2] / "corpus" / "forums"
FORUM = "https://forum.example.fr"


def rss_items(body: str, *, title: str = "Banque Acmé", link: str = f"{FORUM}/t/1") -> list[Item]:
    data = (
        '<rss version="2.0" xmlns:content="http://purl.org/rss/1.0/modules/content/">'
        f"<channel><title>Forum</title><item><title>{title}</title><link>{link}</link>"
        f"<content:encoded><![CDATA[{body}]]></content:encoded></item></channel></rss>"
    )
    items = parse_feed(data.encode(), url=f"{FORUM}/feed").items
    for item in items:
        assert_same_as_validated(item)
    return items


def rss_text(body: str) -> str:
    [item] = rss_items(body)
    return item.text


def discourse_text(cooked: str) -> str:
    post = {"id": 9, "post_number": 4, "post_type": 1, "username": "jo", "cooked": cooked}
    payload = {"id": 1, "slug": "acme", "post_stream": {"posts": [post]}}
    [item] = parse_posts(payload, FORUM, title="Banque Acmé")
    return item.text


# ------------------------------------------------------------ Discourse (real)
def test_a_discourse_reply_no_longer_starts_with_the_post_it_quotes() -> None:
    payload = json.loads(
        (CORPUS / "discourse_topic_posts_criticalfallibilism_2144.json").read_text()
    )
    reply = next(i for i in parse_posts(payload, "https://discuss.criticalfallibilism.com")
                 if i.url.endswith("/2144/2"))  # fmt: skip
    # Was "Elliot: I find it interesting that people love this theme while not …"
    assert reply.text.startswith("~yeah idk how people process this message. a coworker")
    assert "Elliot" not in reply.text
    assert "people love this theme" not in reply.text
    # A Markdown ">" quote of an outside text (a blog post) is the author's choice: kept.
    first = next(i for i in parse_posts(payload, "https://discuss.criticalfallibilism.com")
                 if i.url.endswith("/2144/4"))  # fmt: skip
    assert "So of course people aren’t great at actually being nice" in first.text


def test_the_discourse_feed_items_are_the_replies_own_words() -> None:
    data = (CORPUS / "discourse_topic_2144.rss.xml").read_bytes()
    items = {i.url.rsplit("/", 1)[1]: i for i in parse_feed(data, url="https://x.example/").items}
    # Two quotes answered with "no" each: was "anonymous105: Is We the Living also
    # short? no anonymous105: Does Anthem have a bleak ending? no".
    assert items["29"].text == "no no"
    assert items["30"].text == (
        "Got it. I must have done this then. They morphed into a single book in my mind."
    )
    assert not [n for n, i in items.items() if i.text.startswith(("Elliot:", "anonymous105:"))]
    # A spoiler is the author's own text (written as a link to the post in feeds).
    assert items["24"].text.endswith("Spoilers for We the Living and 1984: spoiler")


def test_discourse_system_posts_are_no_items() -> None:
    payload = json.loads((CORPUS / "discourse_topic_try_discourse_2013.json").read_text())
    items = parse_posts(payload, "https://try.discourse.org")
    # Post 2 (post_type 2) was "This topic is now pinned. It will appear at the top …",
    # an item titled "Re: <topic>": a pin of a topic about the brand was an alert.
    assert [i.guid.rsplit("/", 1)[1] for i in items] == ["83", "86", "226"]
    small_action = {"id": 5, "post_number": 5, "post_type": 3, "action_code": "closed.enabled",
                    "username": "system", "cooked": ""}  # fmt: skip
    payload["post_stream"]["posts"].append(small_action)
    assert len(parse_posts(payload, "https://try.discourse.org")) == 3


# ---------------------------------------------------- Discourse (hand-written)
QUOTE = (
    '<aside class="quote no-group" data-username="marie_l" data-post="3" data-topic="4711">\n'
    '<div class="title">\n<div class="quote-controls"></div>\n<img alt="" width="24" '
    'height="24" src="/user_avatar/forum/marie_l/48/1_2.png" class="avatar"> marie_l:</div>\n'
    "<blockquote>\n<p>Banque Acmé m’a prélevé deux fois, c’est une arnaque.</p>\n"
    "</blockquote>\n</aside>\n"
)
ONEBOX = (
    '<aside class="onebox allowlistedgeneric" data-onebox-src="https://news.example.org/'
    'acme?x=1&amp;y=2">\n<header class="source"><img src="/favicon.png" class="site-icon" '
    'width="16" height="16"><a href="https://news.example.org/acme?x=1&amp;y=2" '
    'target="_blank" rel="noopener">news.example.org</a></header>\n<article class="onebox-body">'
    '<h3><a href="https://news.example.org/acme">Banque Acmé : les frais explosent</a></h3>'
    "<p>Les clients de Banque Acmé dénoncent…</p></article>\n"
    '<div style="clear: both"></div>\n</aside>\n'
)
LIGHTBOX = (
    '<p><div class="lightbox-wrapper"><a class="lightbox" href="/uploads/original/1X/abc.png" '
    'title="releve.png"><img src="/uploads/optimized/1X/abc_2_690x388.png" alt="releve" '
    'width="690" height="388"><div class="meta"><svg class="fa d-icon d-icon-far-image '
    'svg-icon" aria-hidden="true"><use href="#far-image"></use></svg><span class="filename">'
    'releve_acme.png</span><span class="informations">1280×720 95.6 KB</span><svg class="fa '
    'd-icon d-icon-discourse-expand svg-icon" aria-hidden="true"><use href="#discourse-expand">'
    "</use></svg></div></a></div></p>\n"
)
POLL = (
    '<div class="poll" data-poll-status="open" data-poll-name="poll">\n<div class="poll-container">'
    '<ul>\n<li data-poll-option-id="a1">Remboursé</li>\n<li data-poll-option-id="b2">Pas '
    'remboursé</li>\n</ul></div>\n<div class="poll-info"><div class="info-text"><span '
    'class="info-number">0</span><span class="info-label">votants</span></div></div>\n</div>\n'
)


@pytest.mark.parametrize(
    ("cooked", "text"),
    [
        (QUOTE + "<p>Pareil pour moi.</p>", "Pareil pour moi."),
        # nested: a quote of a reply that quoted someone else goes whole
        (QUOTE.replace("<blockquote>\n", "<blockquote>\n" + QUOTE, 1) + "<p>+1</p>", "+1"),
        # a post made of a quote alone has no words of its own
        (QUOTE, ""),
        # the mention stays as the author wrote it
        (
            '<p>Voyez <a class="mention" href="/u/support_acme">@support_acme</a></p>',
            "Voyez @support_acme",
        ),
        # a link preview is the address the author pasted, not the other page's text
        ("<p>Lu ce matin :</p>\n" + ONEBOX, "Lu ce matin : https://news.example.org/acme?x=1&y=2"),
        ('<aside class="onebox"><article class="onebox-body">Acmé</article></aside><p>x</p>', "x"),
        # an image: neither its file name nor its size
        ("<p>Mon relevé :</p>\n" + LIGHTBOX, "Mon relevé :"),
        # a poll: its options are the author's words, the voter count is not
        (POLL, "Remboursé Pas remboursé"),
        # spoilers and code are the author's
        (
            '<div class="spoiler"><p>Acmé a raccroché.</p></div><pre><code class="lang-plaintext">'
            "FR76 ACME</code></pre>",
            "Acmé a raccroché. FR76 ACME",
        ),
        # a bare [quote] names no post: an outside text the author brings in, kept
        (
            '<aside class="quote no-group">\n<blockquote>\n<p>Article 12 des CGU.</p>\n'
            "</blockquote>\n</aside>\n<p>Lisez ça.</p>",
            "Article 12 des CGU. Lisez ça.",
        ),
        # chat messages quoted from a channel are other people's
        (
            '<div class="chat-transcript" data-message-id="7" data-username="marie_l">'
            '<div class="chat-transcript-meta">#général</div><div class="chat-transcript-messages">'
            "<p>Acmé, arnaque</p></div></div><p>Vu.</p>",
            "Vu.",
        ),
    ],
)
def test_discourse_post_text(cooked: str, text: str) -> None:
    assert discourse_text(cooked) == text


def test_a_discourse_reply_quoting_a_complaint_is_not_a_second_mention() -> None:
    text = discourse_text(QUOTE + "<p>Pareil pour moi, " + '<a class="mention" href="/u/a">@a'
                          "</a> ?</p>\n" + ONEBOX + LIGHTBOX + POLL)  # fmt: skip
    assert text == (
        "Pareil pour moi, @a ? https://news.example.org/acme?x=1&y=2 Remboursé Pas remboursé"
    )
    assert "arnaque" not in text and "Banque Acmé" not in text


def test_discourse_quotes_go_from_a_discourse_rss_feed_too() -> None:
    body = QUOTE + "<p>Même souci.</p>\n" + LIGHTBOX
    assert rss_text(body) == "Même souci."


# ------------------------------------------------------------- feed forums
PHPBB_ENTRY = """<entry>
<author><name><![CDATA[{author}]]></name></author>
<updated>2024-03-12T10:00:00+01:00</updated>
<published>2024-03-12T10:00:00+01:00</published>
<id>{forum}/viewtopic.php?p=12#p12</id>
<link href="{forum}/viewtopic.php?p=12#p12"/>
<title type="html"><![CDATA[{title}]]></title>
<content type="html" xml:base="{forum}/viewtopic.php?p=12#p12"><![CDATA[
{body}<p>Statistiques : Posté par <a href="{forum}/memberlist.php?mode=viewprofile&amp;u=54">jo\
</a> — 12 mars 2024, 10:00</p><hr />
]]></content>
</entry>"""


def phpbb_item(body: str, *, author: str = "jo", title: str = "Re: Banque Acmé") -> Item:
    data = (
        '<?xml version="1.0" encoding="UTF-8"?>\n<feed xmlns="http://www.w3.org/2005/Atom" '
        'xml:lang="fr"><title>Forum</title>'
        + PHPBB_ENTRY.format(forum=FORUM, author=author, title=title, body=body)
        + "</feed>"
    )
    [item] = parse_feed(data.encode(), url=f"{FORUM}/feed.php").items
    assert_same_as_validated(item)
    return item


@pytest.mark.parametrize(
    ("body", "text"),
    [
        # phpBB 3.2+ feeds: every quote, its author removed by the feed's quote helper
        (
            '<blockquote class="uncited"><div>Banque Acmé a bloqué ma carte.</div></blockquote>'
            "Même chose ici depuis lundi.",
            "Même chose ici depuis lundi.",
        ),
        # phpBB 3.0/3.1 (and pages): a quote of a named author
        (
            "<blockquote><div><cite>marie_l a écrit :</cite>Acmé ne répond pas.</div></blockquote>"
            "Appelez l'agence.<br><br>Bon courage.",
            "Appelez l'agence. Bon courage.",
        ),
        # nested quotes
        (
            '<blockquote class="uncited"><div><blockquote class="uncited"><div>a</div></blockquote>'
            "b</div></blockquote>c",
            "c",
        ),
        # older styles: title and content as two divs
        (
            '<div class="quotetitle">marie_l a écrit :</div><div class="quotecontent">Acmé !</div>'
            "Oui.",
            "Oui.",
        ),
        # a signature (a modified board, or a page)
        ('Réponse.<div id="sig12" class="signature">Client Acmé depuis 1998</div>', "Réponse."),
        # an ordinary blockquote with no forum markup stays
        (
            "<blockquote>Acmé, communiqué du 12 mars.</blockquote>Source officielle.",
            "Acmé, communiqué du 12 mars. Source officielle.",
        ),
    ],
)
def test_phpbb_feed_post_text(body: str, text: str) -> None:
    assert phpbb_item(body).text == text


XENFORO_QUOTE = (
    '<blockquote data-attributes="member: 12" data-quote="marie_l" data-source="post: 4711" '
    'class="bbCodeBlock bbCodeBlock--expandable bbCodeBlock--quote js-expandWatch">\n'
    '\t<div class="bbCodeBlock-title">\n\t\t<a href="https://forum.example.fr/goto/post?id=4711" '
    'class="bbCodeBlock-sourceJump" rel="nofollow" data-xf-click="attribution" '
    'data-content-selector="#post-4711">marie_l a dit :</a>\n\t</div>\n'
    '\t<div class="bbCodeBlock-content">\n\t\t<div class="bbCodeBlock-expandContent '
    'js-expandContent ">\n\t\t\tBanque Acmé m&#039;a facturé deux fois.\n\t\t</div>\n'
    '\t\t<div class="bbCodeBlock-expandLink js-expandLink"><a role="button" tabindex="0">'
    "Cliquez pour agrandir...</a></div>\n\t</div>\n</blockquote>"
)


@pytest.mark.parametrize(
    ("body", "text"),
    [
        (
            f'<div class="bbWrapper">{XENFORO_QUOTE}Moi aussi, depuis janvier.</div>',
            "Moi aussi, depuis janvier.",
        ),
        # XenForo 1
        (
            '<div class="bbCodeBlock bbCodeQuote" data-author="marie_l"><aside><div class='
            '"attribution type">marie_l a dit:</div><blockquote class="quoteContainer"><div '
            'class="quote">Acmé !</div><div class="quoteExpand">Cliquez pour agrandir...</div>'
            "</blockquote></aside></div>Idem.",
            "Idem.",
        ),
        (
            '<div class="bbWrapper">Réponse.</div><aside class="message-signature"><div '
            'class="bbWrapper">Fan de Banque Acmé</div></aside>',
            "Réponse.",
        ),
        # an unfurled link: the address, not the other page's title and description
        (
            '<div class="bbWrapper">Vu : <div class="bbCodeBlock bbCodeBlock--unfurl js-unfurl '
            'fauxBlockLink" data-unfurl="true" data-result-id="3" data-url="https://news.example.org'
            '/acme" data-host="news.example.org"><div class="contentRow"><h3>Banque Acmé : scandale'
            "</h3></div></div></div>",
            "Vu : https://news.example.org/acme",
        ),
    ],
)
def test_xenforo_feed_post_text(body: str, text: str) -> None:
    assert rss_text(body) == text


@pytest.mark.parametrize(
    ("body", "text"),
    [
        (
            '<div class="bbcode_container">\n\t<div class="bbcode_quote">\n\t\t<div class='
            '"quote_container">\n\t\t\t<div class="bbcode_quote_container"></div>\n\t\t\t<div '
            'class="bbcode_postedby">\n\t\t\t\t<img title="Quote" '
            'src="images/misc/quote_icon.png" />'
            ' Originally Posted by <strong>René</strong>\n\t\t\t</div>\n\t\t\t<div class="message">'
            "Garage Acmé : facture doublée.</div>\n\t\t</div>\n\t</div>\n</div>Pareil chez eux.",
            "Pareil chez eux.",
        ),
        # the printable quote, with its "Quote:" label
        (
            '<div class="bbcode_container">\n\t<div class="bbcode_description">Quote:</div>'
            '\n\t<div class="bbcode_quote printable">\n\t\t<hr />\n\t\t<div>Originally '
            "Posted by <strong>René"
            '</strong></div>\n\t\t<div class="message">Acmé !</div>\n\t\t<hr />\n\t</div>\n</div>'
            "Idem.",
            "Idem.",
        ),
        # a code block in the same container stays
        (
            '<div class="bbcode_container">\n\t<div class="bbcode_description">Code:</div>\n\t<pre '
            'class="bbcode_code">acme --status</pre>\n</div>Voilà.',
            "Code: acme --status Voilà.",
        ),
        ('Réponse.<div class="signaturecontainer">Client Acmé</div>', "Réponse."),
    ],
)
def test_vbulletin_feed_post_text(body: str, text: str) -> None:
    assert rss_text(body) == text


# ------------------------------------------------------------ titles, links
def test_vbulletin_links_open_the_thread_not_its_newest_post() -> None:
    data = (CORPUS / "synthetic_vbulletin_external_rss2.xml").read_bytes()
    items = parse_feed(data, url="https://auto.example.fr/forum/external.php?type=RSS2").items
    # Was …showthread.php?812-Garage-Dupont-reparation-baclee&goto=newpost: the thread's
    # newest post, pages away from the first post the item's text is.
    assert [i.url for i in items] == [
        "https://auto.example.fr/forum/showthread.php?812-Garage-Dupont-reparation-baclee",
        "https://auto.example.fr/forum/showthread.php?809-Pneus-hiver-avis",
    ]
    [item] = rss_items("x", link=f"{FORUM}/showthread.php?t=8&amp;goto=newpost&amp;page=2#p3")
    assert item.url == f"{FORUM}/showthread.php?t=8&page=2#p3"


def test_phpbb_user_names_are_read_unescaped() -> None:
    # phpBB stores names HTML-escaped and feed.php writes them as they are.
    item = phpbb_item("Bonjour.", author="O&#039;Brien &amp; fils")
    assert item.author == "O'Brien & fils"  # was "O&#039;Brien &amp; fils"
    assert item.title == "Re: Banque Acmé"
    assert phpbb_item("x", title="Re: Banque Acm&amp;eacute;").title == "Re: Banque Acmé"


def test_twice_escaped_titles_are_read() -> None:
    atom = (
        '<feed xmlns="http://www.w3.org/2005/Atom"><title>t</title><entry><id>urn:1</id>'
        "<title>Banque Acm&amp;eacute; &amp;amp; vous</title></entry></feed>"
    )
    [item] = parse_feed(atom.encode()).items
    assert item.title == "Banque Acmé & vous"  # was "Banque Acm&eacute; &amp; vous"
    [item] = rss_items("x", title="Acm&amp;amp;eacute; &amp;#8211; AT&amp;T, R&amp;D")
    assert item.title == "Acmé – AT&T, R&D"


@pytest.mark.parametrize(
    ("text", "decoded"),
    [
        ("AT&T", "AT&T"),
        ("Tom &amp; Jerry", "Tom & Jerry"),
        ("&eacute;t&eacute;", "été"),
        ("a &nbsp; b", "a b"),
        ("&unknown; &#x41;&#66;", "&unknown; AB"),
        ("&amp", "&amp"),  # no ";": not decoded
    ],
)
def test_leftover_entities(text: str, decoded: str) -> None:
    assert decode_leftover_entities(text) == decoded


# --------------------------------------------------------------- mechanics
@pytest.mark.parametrize(
    ("markup", "text"),
    [
        ('<div class="signature"><div>a</div>b</div>c', "c"),
        ('<div class="signature"><span>a</div>b', "b"),  # other names do not count
        ('<div class="signature">a<div>b', ""),  # unclosed: to the end, as in a browser
        ('x<div class="signature">a</div>y<div class="signature">b</div>z', "x y z"),
        ('<!-- <div class="signature"> -->kept', "kept"),  # a tag in a comment is no tag
        ("<DIV class='signature'>a</DIV>b", "b"),
        ('<div data-class="signature">kept</div>', "kept"),
        ('<div class="signatures">kept</div>', "kept"),
        ('<div class="meta">Posted in Acmé</div>', "Posted in Acmé"),  # a blog's, not a lightbox
    ],
)
def test_strip_foreign(markup: str, text: str) -> None:
    assert html_to_text(strip_foreign(markup)) == text


def test_bodies_without_hints_are_returned_as_they_are() -> None:
    body = "<p>Le <b>service</b> client Acmé.</p><blockquote>Communiqué</blockquote>"
    assert not may_hold_foreign(body)
    assert strip_foreign(body) is body
    assert drop_elements(body, lambda *args: None) == body


HOSTILE = [
    '<aside class="quote" data-username="a">',  # unclosed, each inside the one before
    '<div class="signature">',
    '<div class="signature"></div>',
    "<blockquote><div><cite>",
    '<div class="bbcode_container">',  # each peeks ahead (bounded)
    '<div class="meta">',
    '<aside class="onebox" data-onebox-src="',  # an unclosed attribute value
    "</div></aside>",
]


@pytest.mark.timeout(60)
@pytest.mark.parametrize("unit", HOSTILE)
def test_strip_foreign_is_linear(unit: str) -> None:
    assert_linear(strip_foreign, unit + "Acmé ", 4_000 // len(unit))


def test_the_quote_and_the_rest_of_an_item_through_escaped_feed_markup() -> None:
    # Atom html content arrives escaped, as phpBB's does without CDATA.
    data = (
        '<feed xmlns="http://www.w3.org/2005/Atom"><title>t</title><entry><id>urn:1</id>'
        f'<title>t</title><content type="html">{escape(QUOTE)}&lt;p&gt;Non.&lt;/p&gt;'
        "</content></entry></feed>"
    )
    [item] = parse_feed(data.encode()).items
    assert item.text == "Non."
