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
"""

from __future__ import annotations

from functools import lru_cache

__all__ = ["BIDI_CONTROLS", "LINE_SEPARATORS", "printable"]

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
    return table


def printable(text: str, keep: str = "\n\t") -> str:
    """``text`` without control characters (but those in ``keep``), bidi controls
    nor line separators (``\\n`` if ``keep`` has it, else a space)."""
    return text.translate(_table(keep))
