"""Filling a catalogue of texts (code → {language: template}) in a language:
the source errors' (:mod:`watchtower.source_errors_text`), the delivery errors'
(:mod:`watchtower.notify.delivery_errors_text`), the database notices'.

Numbers follow the language ("2,5 s", "10 000 000 octets", grouped with a
no-break space), and a French template gets its no-break spaces before
``: ; ! ?`` (:func:`~watchtower.typography.french_spacing`); the values filled
in (an address, a server's answer) are shown as they are.
"""

from __future__ import annotations

import string
from collections.abc import Mapping
from typing import Any

from watchtower.typography import NBSP, french_spacing

__all__ = ["catalogue_text"]


class _Formatter(string.Formatter):
    """``str.format`` with the language's number marks: "2,5" and "10 000 000" in
    French, the thousands grouped by a no-break space (U+00A0), as the digests
    group theirs."""

    def __init__(self, language: str) -> None:
        self.language = language

    def format_field(self, value: Any, format_spec: str) -> str:
        text = str(super().format_field(value, format_spec))
        if self.language == "fr" and isinstance(value, int | float) and not isinstance(value, bool):
            text = text.replace(",", NBSP).replace(".", ",")
        return text


def catalogue_text(
    catalogue: Mapping[str, Mapping[str, str]],
    code: str,
    params: Mapping[str, Any],
    language: str = "en",
) -> str:
    """The sentence for ``code`` of ``catalogue`` (code → {language: template}) in
    ``language``, English when it has none, numbers as the language writes them;
    also the delivery errors' (:mod:`watchtower.notify.delivery_errors_text`)."""
    templates = catalogue[code]
    if language in templates:  # spaced before it is filled: the values stay as they are
        template = french_spacing(templates[language], language)
    else:
        template = templates["en"]
    return str(_Formatter(language).vformat(template, (), dict(params)))
