"""Make untrusted text safe to show: no terminal controls, no bidi overrides.

Feed titles, review texts and the error messages that quote a remote server
(a ``Content-Encoding``, an SMTP answer) reach terminals, logs, Slack and
e-mail. A terminal acts on control characters — C0 (``ESC [ 8 m`` hides what
follows), DEL and C1 (``U+009B`` CSI, ``U+009D`` OSC: hyperlinks, window
titles, the clipboard) — and bidi controls (``U+202E``) display text in
another order than it is read (``evil.example`` shown as something else).

:func:`printable` removes them all: every character of Unicode category
``Cc`` becomes a space (a carriage return or a vertical tab separated words),
except those in ``keep`` (``\\n`` and ``\\t`` where the text needs its lines),
and the invisible bidi formatting characters of category ``Cf`` are dropped.
Other ``Cf`` characters (zero-width joiners in emoji, soft hyphens) stay.
The Unicode line and paragraph separators (U+2028, U+2029), which
``str.splitlines``, JavaScript and many log viewers take for line breaks, are
line breaks: ``\\n`` where the text keeps its lines, else a space, so a feed's
title cannot start a forged line in a log or ``watchtower status``.
A lone UTF-16 surrogate (JSON ``"\\ud800"``, undecodable bytes Python read with
``surrogateescape``) becomes U+FFFD: no terminal, log file nor database can
encode it to UTF-8.

:func:`storable` makes text fit a database: a NUL character (JSON may write
``"\\u0000"``, an e-mail may hold one) is refused by PostgreSQL's text columns,
and a lone UTF-16 surrogate (JSON ``"\\ud800"``, an e-mail header's undecodable
bytes) cannot be encoded to UTF-8 by any driver. One such character in one
item failed its source at every poll and lost every item fetched with it.
"""

from __future__ import annotations

import re
from functools import lru_cache

__all__ = ["BIDI_CONTROLS", "LINE_SEPARATORS", "printable", "storable"]

#: Embeddings, overrides and isolates (U+202A–U+202E, U+2066–U+2069) and the
#: directional marks (LRM, RLM, ALM): every Cf character that reorders text.
BIDI_CONTROLS = frozenset(
    "\u202a\u202b\u202c\u202d\u202e"  # LRE RLE PDF LRO RLO
    "\u2066\u2067\u2068\u2069"  # LRI RLI FSI PDI
    "\u200e\u200f\u061c"  # LRM RLM ALM
)
#: Line (U+2028) and paragraph (U+2029) separators: categories Zl and Zp.
LINE_SEPARATORS = frozenset("\u2028\u2029")
# Category Cc is exactly C0, DEL and C1; stable across Unicode versions.
_CONTROLS = frozenset(map(chr, [*range(0x20), *range(0x7F, 0xA0)]))


@lru_cache(maxsize=8)
def _table(keep: str) -> dict[int, str | None]:
    table: dict[int, str | None] = {ord(c): " " for c in _CONTROLS if c not in keep}
    table.update((ord(c), None) for c in BIDI_CONTROLS)
    table.update((ord(c), "\n" if "\n" in keep else " ") for c in LINE_SEPARATORS)
    table.update((code, "\ufffd") for code in range(0xD800, 0xE000))
    return table


def printable(text: str, keep: str = "\n\t") -> str:
    """``text`` without control characters (but those in ``keep``), bidi controls
    nor line separators (``\\n`` if ``keep`` has it, else a space), and with
    U+FFFD for each lone surrogate."""
    return text.translate(_table(keep))


# A str pattern may name lone surrogates: Python strs hold them, UTF-8 cannot.
_SURROGATES = re.compile("[\ud800-\udfff]")


def storable(text: str) -> str:
    """``text`` as a database stores it: NUL dropped, each lone surrogate U+FFFD
    (the replacement character, as a decoder shows bytes it cannot read)."""
    if "\x00" in text:
        text = text.replace("\x00", "")
    if text.isascii():
        return text
    return _SURROGATES.sub("\ufffd", text)
