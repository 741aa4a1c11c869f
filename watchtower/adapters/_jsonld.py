"""schema.org JSON-LD as pages carry it: ``application/ld+json`` blocks read
leniently, and walked node by node.

JSON-LD in the wild is often not JSON. Forgiven, as search engines forgive
them: ``//`` and ``/* */`` comments, trailing commas, raw newlines and tabs
inside strings (templates pasting a review's text as typed), a byte-order
mark, a ``<![CDATA[ … ]]>`` wrapper, the whole block HTML-escaped
(``{&quot;@type&quot;: …``), several values one after the other, a
``type`` attribute with parameters (``application/ld+json; charset=utf-8``),
and ``\\'`` inside strings (PHP's ``addslashes``: ``"C\\'est"`` is "C'est").
A block that still cannot be read is skipped; the page's other blocks are not.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from html import unescape
from typing import Any

from selectolax.lexbor import LexborHTMLParser

from watchtower.sanitise import storable

__all__ = ["jsonld_blocks", "loads_lenient", "types", "walk", "without_nul"]

# Comments outside strings, and trailing commas: the usual ways JSON-LD breaks JSON.
# Strings (group 1) and unclosed comments (group 2) are kept as they are; an
# unclosed string or comment runs to the end, so that the scan from each of many
# unclosed ones ("\"\"\… or /*a/*a…) does not go to the end again (quadratic).
_JSON_JUNK = re.compile(
    r'("(?:[^"\\]|\\.)*+(?:"|\\?\Z))|//[^\n]*|/\*.*?\*/|(/\*.*)|,(\s*[}\]])', re.DOTALL
)


# One escape inside a string literal: its backslash and the character after it,
# so that \\' is read as an escaped backslash, then a quote.
_ESCAPE = re.compile(r"\\(.)", re.DOTALL)

_CDATA = re.compile(r"\A\s*<!\[CDATA\[(.*)\]\]>\s*\Z", re.DOTALL)
# Control characters are allowed inside strings (strict=False): a raw newline
# in a review's text must not lose every review of the block.
_DECODER = json.JSONDecoder(strict=False)
_GAP = re.compile(r"[\s;]*")
# What comes before a type's name: a vocabulary's IRI, or a compact IRI's prefix.
_TYPE_PREFIX = re.compile(r"\A.*[/#:]")
# A NUL or a surrogate written as an escape: json makes of a lone one a str that
# no database stores, nor (a surrogate) UTF-8 encodes, as a review's guid digest does.
_UNSTORABLE_ESCAPE = re.compile(r"\\u(?:0000|[dD][89a-fA-F])")


def loads_lenient(text: str) -> Any:
    """``json.loads`` that forgives what pages do to JSON-LD (see the module's
    docstring); several values one after the other are returned as a list."""
    text = text.removeprefix("\ufeff")
    if cdata := _CDATA.match(text):
        text = cdata[1]
    try:
        return _loads(text)
    except ValueError:
        # Escaped by a template that took the JSON for text: unescaping valid
        # JSON would break its strings' own "&quot;", so only when it failed.
        if "&quot;" not in text and "&#34;" not in text:
            raise
        return _loads(unescape(text))


def _loads(text: str) -> Any:
    try:
        return _DECODER.decode(text)
    except ValueError:
        return _values(_JSON_JUNK.sub(_without_junk, text))


def _without_junk(found: re.Match[str]) -> str:
    """What :data:`_JSON_JUNK` found, as JSON: a string kept (its ``\\'`` made
    ``'``), an unclosed comment kept, a comment dropped, a trailing comma dropped."""
    string = found.group(1)
    if string is not None:
        return _ESCAPE.sub(_quote_unescaped, string) if "\\'" in string else string
    return found.group(2) or found.group(3) or ""


def _quote_unescaped(escape: re.Match[str]) -> str:
    """``\\'`` (no JSON escape: PHP's ``addslashes`` writes it) is ``'``;
    every other escape is left to the JSON decoder."""
    return "'" if escape.group(1) == "'" else escape.group()


def _values(text: str) -> Any:
    """One JSON value, or several separated by blanks or ``;`` (as a list)."""
    values: list[Any] = []
    end = 0
    while (end := _GAP.match(text, end).end()) < len(text):  # type: ignore[union-attr]
        value, end = _DECODER.raw_decode(text, end)
        values.append(value)
    if not values:
        raise ValueError("no JSON value")
    return values[0] if len(values) == 1 else values


def jsonld_blocks(page: str | LexborHTMLParser) -> list[Any]:
    """Every ``application/ld+json`` block of a page (its HTML, or the page
    already parsed) that can be read (others skipped: not JSON, or nested too
    deeply for the parser)."""
    tree = LexborHTMLParser(page) if isinstance(page, str) else page
    blocks = []
    for node in tree.css("script[type]"):
        kind = (node.attributes.get("type") or "").split(";", 1)[0].strip().lower()
        if kind != "application/ld+json":
            continue
        text = node.text(deep=True)
        try:
            value = loads_lenient(text)
            blocks.append(without_nul(value) if _UNSTORABLE_ESCAPE.search(text) else value)
        except (ValueError, RecursionError):
            continue
    return blocks


def walk(
    value: Any, parent: dict[str, Any] | None = None
) -> Iterator[tuple[dict[str, Any], dict[str, Any] | None]]:
    """Every object under ``value`` (arrays, ``@graph``…), with the object holding it."""
    if isinstance(value, list):
        for element in value:
            yield from walk(element, parent)
    elif isinstance(value, dict):
        yield value, parent
        for key, child in value.items():
            if isinstance(child, dict | list) and key != "@context":
                yield from walk(child, value)


def types(node: dict[str, Any]) -> set[str]:
    """A node's ``@type`` names (one, or a list), without a vocabulary's IRI or
    prefix: "https://schema.org/Review", "http://schema.org/Review" and
    "schema:Review" are "Review"."""
    kind = node.get("@type")
    kinds = kind if isinstance(kind, list) else [kind]
    return {_TYPE_PREFIX.sub("", str(k).strip()) for k in kinds if k}


def without_nul(value: Any) -> Any:
    """``value`` with the NUL characters of its strings dropped, and each lone
    surrogate replaced by U+FFFD (:func:`watchtower.sanitise.storable`).

    JSON may write one (``"\\u0000"``, ``"\\ud800"``); PostgreSQL refuses a NUL
    in a text column, no UTF-8 encoder takes a lone surrogate, so one review
    carrying it failed its source at every poll, losing the page's other
    reviews with it.
    """
    if isinstance(value, str):
        return storable(value)
    if isinstance(value, list):
        return [without_nul(v) for v in value]
    if isinstance(value, dict):
        return {without_nul(k): without_nul(v) for k, v in value.items()}
    return value
