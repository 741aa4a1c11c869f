"""html: a title escaped twice on a list page is decoded, its guid is not.

Feeds decode a leftover ``&eacute;`` once more (``decode_leftover_entities``);
list pages of the same CMSs write ``Acm&amp;eacute;`` and the title stayed
"Acm&eacute; …", which the brand "Acmé" does not match. The guid of an entry
without a link of its own is made from its title: it keeps the title as read,
so entries stored before are not announced again.
"""

from __future__ import annotations

from watchtower.adapters.html import HtmlSettings, parse_html_list
from watchtower.pipeline.normalise import normalise

PAGE = "https://www.example.fr/actualites"
SETTINGS = HtmlSettings(name="actus", url=PAGE, item="article", title="h2")

HTML = (
    "<article><h2>Acm&amp;eacute; rach&amp;egrave;te son concurrent</h2></article>"
    "<article><h2>Acm&amp;eacute; recrute</h2><a href='/a/1'>Lire</a></article>"
    "<article><h2>Acm&amp;eacute; ferme</h2><a href='/a/1'>Lire</a></article>"
    "<article><h2>R&amp;D : Acm&amp;#233; investit</h2><a href='/a/2'>Lire</a></article>"
)


def test_twice_escaped_titles_are_decoded() -> None:
    items = parse_html_list(HTML, PAGE, SETTINGS)
    assert [i.title for i in items] == [
        "Acmé rachète son concurrent",
        "Acmé recrute",
        "Acmé ferme",
        "R&D : Acmé investit",
    ]
    assert all(" acme " in f" {normalise(i.title)} " for i in items)
    # Without a text selector, the text is the title: decoded too.
    assert items[0].text == "Acmé rachète son concurrent"


def test_guids_made_from_titles_do_not_change() -> None:
    # The guids the version before this decoding gave.
    assert [i.guid for i in parse_html_list(HTML, PAGE, SETTINGS)] == [
        "sha1:2e1363e83d85a7eeb152365d2f8b166b784ae274",
        "https://www.example.fr/a/1#sha1:10b357ec160a8e0d81c751acad1c13c4ef72281b",
        "https://www.example.fr/a/1#sha1:dca7733f16aab28bf06e0e63d0af5459c6dd309e",
        "https://www.example.fr/a/2",
    ]
