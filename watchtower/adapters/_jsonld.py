"""schema.org JSON-LD as pages carry it: ``application/ld+json`` blocks read
leniently (comments, trailing commas: JSON-LD in the wild is often not JSON),
and walked node by node."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any

from selectolax.lexbor import LexborHTMLParser

__all__ = ["jsonld_blocks", "loads_lenient", "types", "walk"]

# Comments outside strings, and trailing commas: the usual ways JSON-LD breaks JSON.
# Strings (group 1) and unclosed comments (group 2) are kept as they are; an
# unclosed string or comment runs to the end, so that the scan from each of many
# unclosed ones ("\"\"\… or /*a/*a…) does not go to the end again (quadratic).
_JSON_JUNK = re.compile(
    r'("(?:[^"\\]|\\.)*+(?:"|\\?\Z))|//[^\n]*|/\*.*?\*/|(/\*.*)|,(\s*[}\]])', re.DOTALL
)


def loads_lenient(text: str) -> Any:
    """``json.loads`` that forgives JavaScript comments and trailing commas."""
    try:
        return json.loads(text)
    except ValueError:
        cleaned = _JSON_JUNK.sub(lambda m: m.group(1) or m.group(2) or m.group(3) or "", text)
        return json.loads(cleaned)


def jsonld_blocks(html: str) -> list[Any]:
    """Every ``application/ld+json`` block of a page that can be read (others skipped:
    not JSON, or nested too deeply for the parser)."""
    blocks = []
    for node in LexborHTMLParser(html).css('script[type="application/ld+json"]'):
        try:
            blocks.append(loads_lenient(node.text(deep=True)))
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
    """A node's ``@type`` names, without a vocabulary's URL ("https://schema.org/Review")."""
    kind = node.get("@type")
    kinds = kind if isinstance(kind, list) else [kind]
    return {str(k).rsplit("/", 1)[-1] for k in kinds if k}
