"""An :class:`Item` holds only text a database stores, whatever an adapter gives it.

A NUL is dropped (PostgreSQL's text columns refuse it), a lone surrogate
becomes U+FFFD (no UTF-8 encoder takes it), in every str field and in
``extra``'s keys and values; text without either is left as it is. Error
texts that quote a server go through :func:`printable` (a source's
``last_error``, its stored warning): it replaces a lone surrogate too.
"""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from pydantic import ValidationError

from watchtower import sanitise
from watchtower.models import Item
from watchtower.redact import redact_text
from watchtower.sanitise import printable

FIELDS = ("guid", "url", "title", "text", "author", "lang")
BAD = {"nul": ("a\x00b", "ab"), "high": ("a\ud800b", "a\ufffdb"), "low": ("a\udfffb", "a\ufffdb")}


def encodable(item: Item) -> None:
    """Raise when a field of ``item`` cannot be stored."""
    for value in (*item.model_dump(mode="json").values(), *item.extra, *item.extra.values()):
        if isinstance(value, str):
            assert "\x00" not in value
            value.encode("utf-8")


@pytest.mark.parametrize("field", FIELDS)
@pytest.mark.parametrize("case", BAD)
def test_every_str_field_is_made_storable(field: str, case: str) -> None:
    given, stored = BAD[case]
    values = {"guid": "g", field: given}
    item = Item(**values)
    assert getattr(item, field) == stored
    encodable(item)


@pytest.mark.parametrize("case", BAD)
def test_extra_keys_and_values_are_made_storable(case: str) -> None:
    given, stored = BAD[case]
    item = Item(guid="g", extra={given: "v", "k": given})
    assert item.extra == {stored: "v", "k": stored}
    encodable(item)


def test_model_validate_cleans_as_the_constructor_does() -> None:
    item = Item.model_validate({"guid": "g\x00", "title": "t\ud800", "author": "\udce9"})
    assert (item.guid, item.title, item.author) == ("g", "t\ufffd", "\ufffd")


def test_several_bad_characters_at_once() -> None:
    item = Item(
        guid="g",
        title="\x00Acmé\ud800\x00",
        text="\udce9" * 3,
        author="x\x00\udfff",
        extra={"v": "\x00\ud800"},
    )
    assert item.title == "Acmé\ufffd"
    assert item.text == "\ufffd" * 3
    assert item.author == "x\ufffd"
    assert item.extra == {"v": "\ufffd"}


def test_clean_text_and_other_errors_are_untouched() -> None:
    text = "Banque Acmé 😀 — \U0001f1eb\U0001f1f7\t\n\r\x01"
    published = datetime(2026, 11, 24, tzinfo=UTC)
    item = Item(guid="g", title=text, text=text, author=text, published=published)
    assert item.title == item.text == item.author == text
    with pytest.raises(ValidationError):
        Item(guid="\x00")  # nothing left: still no guid
    with pytest.raises(ValidationError):
        Item(guid="g", title="\ud800" + "x" * 10_000)  # storable, still too long
    with pytest.raises(ValidationError):
        Item(guid="g", extra={"k": 5})


def test_storable() -> None:
    assert sanitise.storable("") == ""
    assert sanitise.storable("plain") == "plain"
    assert sanitise.storable("\x00\x00") == ""
    assert sanitise.storable("é\ud83d\ude00") == "é\ufffd\ufffd"  # two lone ones, not a pair
    assert sanitise.storable("é😀") == "é😀"


def test_printable_replaces_lone_surrogates() -> None:
    assert printable("refus\ud800 \x00fin") == "refus\ufffd  fin"
    assert printable("a\udfffb", keep="") == "a\ufffdb"
    assert redact_text("AADSTS9000\ud800: bad") == "AADSTS9000\ufffd: bad"
