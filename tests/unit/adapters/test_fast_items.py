"""The feed parser builds Items without re-validating them: prove that changes nothing.

``_feed_items.item`` assembles an :class:`Item` the way pydantic's ``model_construct``
does, because the parser already enforces every constraint of the model. These
tests hold it to that: each item it returns equals ``Item.model_validate`` of
its own values (corpus, fuzzed feeds, every limit), and the limits the parser
applies are the model's own.
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape

import annotated_types
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from watchtower.adapters import _feed_items
from watchtower.adapters._feed import parse_feed
from watchtower.models import Item

CORPUS = Path(__file__).resolve().parents[2] / "corpus"
_FEEDS = sorted(CORPUS.glob("*/*.xml"))


def _values(item: Item) -> dict[str, Any]:
    return {name: getattr(item, name) for name in item.model_fields_set}


def assert_same_as_validated(item: Item) -> None:
    """``item`` is exactly what validating its own values would have produced."""
    validated = Item(**_values(item))
    assert item == validated
    assert Item.model_validate(item.model_dump()) == item
    assert vars(item) == vars(validated)
    assert list(vars(item)) == list(Item.model_fields)  # same field order (repr, dump)
    assert item.model_fields_set == validated.model_fields_set
    assert item.__pydantic_extra__ == validated.__pydantic_extra__
    assert item.__pydantic_private__ == validated.__pydantic_private__
    for name in ("guid", "url", "title", "text"):
        assert type(getattr(item, name)) is str, name
    assert item.published is None or item.published.tzinfo is not None
    with pytest.raises(ValueError, match="frozen"):
        item.title = "changed"  # type: ignore[misc]


def _max_len(field: str) -> int | None:
    for meta in Item.model_fields[field].metadata:
        if isinstance(meta, annotated_types.MaxLen):
            return int(meta.max_length)
    return None


def test_the_parser_limits_are_the_model_limits() -> None:
    assert _max_len("guid") == _feed_items._MAX_GUID
    assert _max_len("url") == _feed_items._MAX_URL
    assert _max_len("title") == _feed_items.MAX_TITLE
    assert _max_len("text") == _feed_items.MAX_TEXT
    min_guid = [
        m for m in Item.model_fields["guid"].metadata if isinstance(m, annotated_types.MinLen)
    ]
    assert [m.min_length for m in min_guid] == [1]
    # Every field the parser sets, plus rating (left to its default), and nothing else.
    assert set(Item.model_fields) == set(_feed_items._FIELDS_SET) | {"rating"}


@pytest.mark.parametrize("path", _FEEDS, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_corpus_items_equal_their_validated_selves(path: Path) -> None:
    items = parse_feed(path.read_bytes(), url="https://example.org/feed").items
    assert items
    for item in items:
        assert_same_as_validated(item)


def _rss(entries: list[dict[str, str]]) -> bytes:
    parts = [
        '<rss version="2.0" xmlns:dc="http://purl.org/dc/elements/1.1/"><channel><title>t</title>'
    ]
    for entry in entries:
        parts.append("<item>")
        for tag, value in entry.items():
            parts.append(f"<{tag}>{escape(value)}</{tag}>")
        parts.append("</item>")
    parts.append("</channel></rss>")
    return "".join(parts).encode()


def test_each_limit_is_enforced_before_construction() -> None:
    long_guid, long_link = "g" * 5000, "https://ex.org/" + "l" * 9000
    doc = _rss(
        [
            {
                "guid": long_guid,
                "link": long_link,
                "title": "T" * 20_000,
                "description": "<p>" + "x" * 1_200_000 + "</p>",
                "dc:creator": "A" * 800,
                "pubDate": "Wed, 06 Apr 2022 21:07:47",  # no zone: UTC, never naive
            },
            {"guid": "   ", "title": "no usable guid nor link"},  # blank guid: hashed
        ]
    )
    first, second = parse_feed(doc).items
    assert first.guid == long_guid[:2048]
    assert first.url == long_link[:8192]
    assert len(first.title) == 10_000 and len(first.text) == 1_000_000
    assert first.author == "A" * 500
    assert first.published is not None and first.published.tzinfo is not None
    expected = hashlib.sha1(b"no usable guid nor link\n").hexdigest()
    assert second.guid == f"sha1:{expected}"
    for item in (first, second):
        assert_same_as_validated(item)


def test_atom_limits_and_blank_ids() -> None:
    doc = (
        '<feed xmlns="http://www.w3.org/2005/Atom"><entry><id>' + "i" * 3000 + "</id>"
        '<title type="html">' + escape("<b>" + "t" * 12_000 + "</b>") + "</title>"
        '<link href="' + "p" * 9000 + '"/><updated>2024-03-01T08:00:00</updated></entry>'
        "<entry><id> </id><title>only a title</title></entry></feed>"
    ).encode()
    first, second = parse_feed(doc, url="https://ex.org/feed").items
    assert len(first.guid) == 2048 and len(first.url) == 8192 and len(first.title) == 10_000
    assert second.guid.startswith("sha1:")
    for item in (first, second):
        assert_same_as_validated(item)


_TEXT = st.text(
    st.characters(blacklist_categories=("Cs",), blacklist_characters="\0"), max_size=40
).map(lambda s: "".join(c for c in s if c in "\t\n\r" or ord(c) >= 0x20))
_FIELD = st.sampled_from(
    ["title", "link", "guid", "description", "pubDate", "dc:creator", "author"]
)


@given(
    st.lists(
        st.dictionaries(_FIELD, _TEXT | st.sampled_from(["<b>x</b>", "&amp;", "", " "])), max_size=6
    )
)
@settings(max_examples=200, deadline=None)
def test_fuzzed_rss_items_equal_their_validated_selves(entries: list[dict[str, str]]) -> None:
    for item in parse_feed(_rss(entries), url="https://ex.org/a/feed").items:
        assert_same_as_validated(item)
