"""A malformed feed still yields every entry a reader would see (issue 6, "bozo" feeds).

libxml2's document-wide recovery never closed a stray tag in one entry's text
(``Le texte<br>``, a lone ``</b>``, an unclosed ``<p>``): every following entry
was nested inside the broken one and silently not read, for as long as the
broken entry stayed in the feed. Each entry is now parsed on its own when the
feed is not well-formed (``watchtower.adapters._feed_recover``).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from watchtower.adapters._feed import parse_feed
from watchtower.errors import PermanentError

URL = "https://s.example/feed"
COUNT = 5


def feed(dialect: str, entries: list[str]) -> bytes:
    """A feed of ``dialect`` with these entries (``{n}`` is the entry's number)."""
    body = "".join(entry.replace("{n}", str(n)) for n, entry in enumerate(entries, 1))
    if dialect == "rss":
        head = '<rss version="2.0" xmlns:dc="http://purl.org/dc/elements/1.1/"><channel>'
        text = f"{head}<title>S</title>{body}</channel></rss>"
    elif dialect == "atom":
        head = '<feed xmlns="http://www.w3.org/2005/Atom">'
        text = f"{head}<title>S</title><id>urn:s</id>{body}</feed>"
    else:
        head = (
            '<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"'
            ' xmlns="http://purl.org/rss/1.0/">'
        )
        text = f"{head}<channel><title>S</title></channel>{body}</rdf:RDF>"
    return ('<?xml version="1.0" encoding="utf-8"?>' + text).encode()


def entry(
    dialect: str, title: str = "Banque Acme article {n}", text: str = "Le texte numero {n}"
) -> str:
    if dialect == "atom":
        return (
            f'<entry><title>{title}</title><link href="https://s.example/a/{{n}}"/>'
            f"<id>urn:s:{{n}}</id><updated>2026-01-01T00:00:00Z</updated>"
            f"<summary>{text}</summary></entry>"
        )
    return (
        f"<item><title>{title}</title><link>https://s.example/a/{{n}}</link>"
        f"<description>{text}</description></item>"
    )


def good(n: int) -> tuple[str, str, str]:
    return (f"Banque Acme article {n}", f"https://s.example/a/{n}", f"Le texte numero {n}")


# (flaw, where it goes: "title" or "text", what it replaces, the broken entry's
#  (title, text) as read: its own words, the stray markup gone)
FLAWS = [
    ("stray-br", "text", "Le texte<br> numero {n}", None, "Le texte numero {n}"),
    ("lone-close-b", "text", "Le texte</b> numero {n}", None, "Le texte numero {n}"),
    ("unclosed-p", "text", "<p>Le texte numero {n}", None, "Le texte numero {n}"),
    ("undeclared-nbsp", "text", "Le texte&nbsp;numero {n}", None, "Le texte numero {n}"),
    ("bare-amp-title", "title", "Banque & Acme article {n}", "Banque & Acme article {n}", None),
    ("lt-in-title", "title", "Banque < Acme article {n}", "Banque < Acme article {n}", None),
    ("stray-br-title", "title", "Banque Acme<br> article {n}", "Banque Acme article {n}", None),
    ("unclosed-b-title", "title", "Banque <b>Acme article {n}", "Banque Acme article {n}", None),
]


@pytest.mark.parametrize("dialect", ["rss", "atom", "rdf"])
@pytest.mark.parametrize("broken", [1, 3, 5], ids=["first", "middle", "last"])
@pytest.mark.parametrize(
    ("where", "flawed", "title", "text"),
    [flaw[1:] for flaw in FLAWS],
    ids=[flaw[0] for flaw in FLAWS],
)
def test_every_entry_around_a_broken_one_is_read(
    dialect: str, broken: int, where: str, flawed: str, title: str | None, text: str | None
) -> None:
    entries = [entry(dialect)] * COUNT
    entries[broken - 1] = entry(dialect, **{where: flawed})
    parsed = parse_feed(feed(dialect, entries), url=URL)
    expected = [good(n) for n in range(1, COUNT + 1)]
    mine = good(broken)
    expected[broken - 1] = (
        (title or mine[0]).replace("{n}", str(broken)),
        mine[1],
        (text or mine[2]).replace("{n}", str(broken)),
    )
    assert [(i.title, i.url, i.text) for i in parsed.items] == expected
    assert parsed.warning and f"malformed but {COUNT} entries were read" in parsed.warning


@pytest.mark.parametrize("dialect", ["rss", "atom", "rdf"])
def test_a_feed_cut_short_after_a_broken_entry_keeps_the_whole_ones(dialect: str) -> None:
    entries = [entry(dialect)] * COUNT
    entries[1] = entry(dialect, text="Le texte<br> numero {n}")
    data = feed(dialect, entries)
    cut = data[: data.index(b"https://s.example/a/5") + 12]  # in the last entry's link
    parsed = parse_feed(cut, url=URL)
    assert [i.url for i in parsed.items] == [f"https://s.example/a/{n}" for n in range(1, 5)]
    assert [i.title for i in parsed.items] == [f"Banque Acme article {n}" for n in range(1, 5)]


@pytest.mark.parametrize("dialect", ["rss", "atom", "rdf"])
def test_an_unclosed_entry_in_the_middle_is_dropped_and_said(dialect: str) -> None:
    entries = [entry(dialect)] * COUNT
    close = "</entry>" if dialect == "atom" else "</item>"
    entries[2] = entry(dialect).replace(close, "")
    parsed = parse_feed(feed(dialect, entries), url=URL)
    assert [i.url for i in parsed.items] == [f"https://s.example/a/{n}" for n in (1, 2, 4, 5)]
    assert parsed.warning and "1 entries could not be read" in parsed.warning


# A stray tag between two fields, as the entry's fields come after it.
BETWEEN = [
    (
        "unclosed-span",
        "<title>Banque Acme article {n}</title><span>x<link>https://s.example/a/{n}</link>",
    ),
    (
        "lone-close-b",
        "<title>Banque Acme article {n}</title></b><link>https://s.example/a/{n}</link>",
    ),
    (
        "lone-close-b-first",
        "</b><title>Banque Acme article {n}</title><link>https://s.example/a/{n}</link>",
    ),
]


@pytest.mark.parametrize("fields", [b[1] for b in BETWEEN], ids=[b[0] for b in BETWEEN])
def test_a_stray_tag_between_fields_keeps_the_entry_whole(fields: str) -> None:
    entries = [entry("rss")] * 3
    entries[1] = (
        f"<item>{fields}<guid isPermaLink='false'>g{{n}}</guid>"
        "<description>Le texte numero {n}</description></item>"
    )
    parsed = parse_feed(feed("rss", entries), url=URL)
    assert [(i.guid, i.title, i.url, i.text) for i in parsed.items] == [
        ("https://s.example/a/1", *good(1)),
        ("g2", *good(2)),
        ("https://s.example/a/3", *good(3)),
    ]


@pytest.mark.parametrize("link", ["https://s.example/a/<span>2</link>", "https://s.example/<b>a/2"])
def test_a_link_cut_by_a_stray_tag_is_not_guessed(link: str) -> None:
    """The entry is read, without a link: "https://s.example/a/" would open another page."""
    entries = [entry("rss")] * 3
    entries[1] = (
        f"<item><title>Banque Acme article {{n}}</title><link>{link}</link>"
        "<guid isPermaLink='false'>g{n}</guid><description>Le texte numero {n}</description></item>"
    )
    parsed = parse_feed(feed("rss", entries), url=URL)
    assert [(i.guid, i.url, i.title) for i in parsed.items] == [
        ("https://s.example/a/1", "https://s.example/a/1", "Banque Acme article 1"),
        ("g2", "", "Banque Acme article 2"),
        ("https://s.example/a/3", "https://s.example/a/3", "Banque Acme article 3"),
    ]


def test_a_closing_tag_in_cdata_does_not_cut_the_entry() -> None:
    entries = [entry("rss")] * 3
    entries[0] = entry("rss", text="<![CDATA[Le texte </item><item> numero {n}]]>")
    entries[1] = entry("rss", text="Le texte<br> numero {n}")
    parsed = parse_feed(feed("rss", entries), url=URL)
    assert [i.url for i in parsed.items] == [f"https://s.example/a/{n}" for n in (1, 2, 3)]
    assert parsed.items[0].text == "Le texte numero 1"


def test_prefixed_atom_entries_are_cut_on_their_own_names() -> None:
    data = feed("atom", [entry("atom")] * 3).replace(b'xmlns="', b'xmlns:a="')
    data = data.replace(b"<", b"<a:").replace(b"<a:/", b"</a:").replace(b"<a:?xml", b"<?xml")
    data = data.replace(b"Le texte numero 1", b"Le texte<br> numero 1")
    parsed = parse_feed(data, url=URL)
    assert [i.title for i in parsed.items] == [f"Banque Acme article {n}" for n in (1, 2, 3)]


def test_a_windows_1252_feed_is_cut_in_its_own_encoding() -> None:
    entries = [entry("rss", title="Caf\u00e9 Acme article {n}")] * 3
    entries[0] = entry("rss", title="Caf\u00e9 Acme article {n}", text="Le texte<br> numero {n}")
    data = feed("rss", entries).replace(b"utf-8", b"windows-1252")
    data = data.decode().encode("cp1252")
    parsed = parse_feed(data, url=URL)
    assert [i.title for i in parsed.items] == [f"Caf\u00e9 Acme article {n}" for n in (1, 2, 3)]


# ------------------------------------------------------------------ hostile input
def test_billion_laughs_in_a_malformed_feed_is_still_refused() -> None:
    laughs = (
        '<!DOCTYPE rss [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;">'
        '<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;">]>'
    )
    entries = [entry("rss", title="&lol3;")] + [entry("rss", text="Le texte<br>")] * 2
    data = feed("rss", entries).replace(b"?><rss", b"?>" + laughs.encode() + b"<rss")
    with pytest.raises(PermanentError) as caught:
        parse_feed(data, url=URL)
    assert caught.value.code == "xml_entities"


def test_a_doctype_inside_an_entry_declares_nothing(tmp_path: Path) -> None:
    """A DTD placed in an entry is not in any piece's prolog: no entity is loaded or expanded."""
    secret = tmp_path / "secret.txt"
    secret.write_text("TOP-SECRET-VALUE")
    doctype = (
        f'<!DOCTYPE x [<!ENTITY xxe SYSTEM "file://{secret}">'
        '<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">]>'
    )
    entries = [entry("rss")] * 3
    entries[1] = (
        f"<item>{doctype}<title>Banque &xxe; &lol2; {{n}}</title>"
        "<link>https://s.example/a/{n}</link><description>&xxe;<br></description></item>"
    )
    parsed = parse_feed(feed("rss", entries), url=URL)
    assert [i.url for i in parsed.items] == [f"https://s.example/a/{n}" for n in (1, 2, 3)]
    read = " ".join(f"{i.title} {i.text}" for i in parsed.items)
    assert "TOP-SECRET" not in read
    assert "lollol" not in read


def test_deep_nesting_in_one_entry_stays_in_that_entry() -> None:
    entries = [entry("rss")] * 3
    entries[1] = entry("rss", text="<div>" * 5000 + "Le texte numero {n}")
    parsed = parse_feed(feed("rss", entries), url=URL)
    assert [i.url for i in parsed.items][0::2] == ["https://s.example/a/1", "https://s.example/a/3"]


def test_many_entries_with_one_broken_are_all_read() -> None:
    entries = [entry("rss")] * 20_000
    entries[10] = entry("rss", text="Le texte<br> numero {n}")
    parsed = parse_feed(feed("rss", entries), url=URL)
    assert len(parsed.items) == 20_000
    assert parsed.items[-1].url == "https://s.example/a/20000"


def test_an_unfinished_cdata_section_ends_the_reading_there() -> None:
    entries = [entry("rss")] * 4
    entries[1] = entry("rss", text="Le texte<br> numero {n}")
    entries[2] = entry("rss", text="<![CDATA[Le texte numero {n}")
    parsed = parse_feed(feed("rss", entries), url=URL)
    assert [i.url for i in parsed.items][:2] == ["https://s.example/a/1", "https://s.example/a/2"]
