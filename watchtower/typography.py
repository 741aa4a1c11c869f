"""French typography for notification text, in one function.

French puts a space before ``: ; ! ?`` and inside « », and groups thousands
with a space ("10 000"). A plain space there lets Slack or a mail client start
a line with the colon, or split a number in two; watchtower writes a no-break
space (U+00A0) in all these places, in every French notification.

This module imports nothing from watchtower: :mod:`watchtower.source_errors_text`
(imported by :mod:`watchtower.errors`) and :mod:`watchtower.notify._text` both
use it.
"""

from __future__ import annotations

import functools
import re

__all__ = ["NBSP", "french_spacing"]

#: The no-break space of French notification text (punctuation and thousands).
NBSP = "\u00a0"

_BEFORE = re.compile(r" ([:;!?»])")


@functools.lru_cache(maxsize=2048)
def _spaced(text: str) -> str:
    return _BEFORE.sub(NBSP + r"\1", text).replace("« ", "«" + NBSP)


def french_spacing(text: str, language: str) -> str:
    """``text`` with a no-break space (U+00A0) instead of the plain one before
    ``: ; ! ? »`` and after ``«`` in French; as it is in another language.

    Apply it to a template, or to text watchtower wrote, never to a value
    filled in: a feed's title "Prix : en hausse" or a URL's "?" stays as it came.
    """
    return _spaced(text) if language == "fr" else text
