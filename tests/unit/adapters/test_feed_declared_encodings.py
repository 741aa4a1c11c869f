"""Feeds that declare ISO-8859-1 (or latin-1, US-ASCII) are read as windows-1252.

French CMSs declare ``encoding="ISO-8859-1"`` and write ’ € œ « » “ ” – in
0x80–0x9F (Windows-1252), as browsers, feedparser and this project's own
HTML and e-mail decoding (``decode_html``: the WHATWG table) read them.
libxml2 decoded the declared label strictly: "L’Acmé" became "L\\x92Acmé" and
"manœuvre" "man\\x9cuvre" (two words for the matcher), and under US-ASCII
the title stopped at the first accent.
"""

from __future__ import annotations

import pytest

from watchtower.adapters._feed import parse_feed
from watchtower.adapters._xml import read_xml
from watchtower.errors import PermanentError

TITLE = "L’Acmé : « manœuvre » à 5 € – “scandale” chez Œnologie"
URL = "https://forum.example.fr/feed.php"


def _feed(title: str, label: str, codec: str, items: int = 1) -> bytes:
    entries = "".join(
        f"<item><title>{title}</title><link>https://forum.example.fr/t/{n}</link>"
        f"<description>{title}</description></item>"
        for n in range(items)
    )
    return (
        f'<?xml version="1.0" encoding="{label}"?>'
        f'<rss version="2.0"><channel><title>Forum conso</title>{entries}</channel></rss>'
    ).encode(codec)


@pytest.mark.parametrize(
    "label",
    ["ISO-8859-1", "iso-8859-1", "latin1", "Latin-1", "US-ASCII", "ascii", "windows-1252", "l1"],
)
def test_windows_1252_bytes_under_a_label_meaning_windows_1252(label: str) -> None:
    feed = parse_feed(_feed(TITLE, label, "cp1252"), url=URL)
    [item] = feed.items
    assert (item.title, item.text) == (TITLE, TITLE)
    assert feed.warnings == []  # the label is read as browsers read it: not an error


@pytest.mark.parametrize("label", ["ISO-8859-1", "US-ASCII", "windows-1252"])
def test_utf8_bytes_under_such_a_label_are_utf8(label: str) -> None:
    # A template's stale declaration over UTF-8 text: windows-1252 text is never
    # valid UTF-8 once it holds an accent, so valid UTF-8 is what the bytes are.
    [item] = parse_feed(_feed(TITLE, label, "utf-8"), url=URL).items
    assert item.title == TITLE


def test_other_declared_encodings_are_still_libxml2s() -> None:
    # ISO-8859-15 writes € at 0xA4 (where ISO-8859-1 has ¤): not a windows-1252 label.
    data = (
        '<?xml version="1.0" encoding="ISO-8859-15"?><rss version="2.0"><channel>'
        "<item><title>5 € chez Acmé</title><link>https://ex.fr/1</link></item></channel></rss>"
    ).encode("iso-8859-15")
    [item] = parse_feed(data, url=URL).items
    assert item.title == "5 € chez Acmé"


def test_the_undefined_windows_1252_bytes_do_not_lose_the_rest() -> None:
    # 0x81 has no character in windows-1252: browsers give U+0081 and read the
    # rest of the document as windows-1252 all the same.
    data = _feed("L’Acmé", "ISO-8859-1", "cp1252").replace("L’".encode("cp1252"), b"\x81L\x92")
    [item] = parse_feed(data, url=URL).items
    assert item.title == "\x81L’Acmé"


def test_entities_declared_under_a_latin1_label_are_still_refused() -> None:
    bomb = (
        b'<?xml version="1.0" encoding="ISO-8859-1"?>'
        b'<!DOCTYPE rss [<!ENTITY a "\x92\x92\x92\x92"><!ENTITY b "&a;&a;&a;&a;&a;">]>'
        b'<rss version="2.0"><channel><item><title>&b;</title></item></channel></rss>'
    )
    with pytest.raises(PermanentError) as caught:
        read_xml(bomb)
    assert caught.value.code == "xml_entities"


def test_a_malformed_latin1_feed_keeps_its_characters_in_recovered_entries() -> None:
    # The recovery of entries after a broken one re-parses pieces of the bytes
    # libxml2 was given: they are UTF-8 now, and say so.
    good = _feed(TITLE, "ISO-8859-1", "cp1252", items=3)
    broken = good.replace(b"</title>", b"</titl>", 1)
    feed = parse_feed(broken, url=URL)
    assert [i.url for i in feed.items][-2:] == [
        "https://forum.example.fr/t/1",
        "https://forum.example.fr/t/2",
    ]
    assert all(i.text == TITLE for i in feed.items[-2:])
