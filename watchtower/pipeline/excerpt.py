"""The excerpt a notification quotes: the passage of the item's text that matched.

A reader must tell a crisis from a passing mention without opening the page:
the last sentence of a long article ("Acmé a subi une fuite de données") is
what the excerpt shows, not its first lines. The passage is chosen from the
mention that matters most (the highest severity; the payload is built once per
item, for every target), at the earliest of its rule's words in the text (the
crisis words), else of its brand's. A text shorter than the excerpt, a match
only in the title, or words already in the first lines keep the start.

It runs only for items that matched, on spans the matcher already found: no
new search of the text.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from watchtower.models import Hit, Match, Severity

__all__ = ["EXCERPT_CHARS", "LEAD_CHARS", "excerpt"]

#: The longest excerpt, in characters, before its ellipses.
EXCERPT_CHARS = 300
#: About how much of the text before the matched word a later passage shows.
LEAD_CHARS = 100
#: Hits that name the brand, not a rule's word (see ``match/engine.py``).
_BRAND_CLAUSES = frozenset({"brand", "source"})


def excerpt(
    text: str, matches: Sequence[Match] = (), severities: Mapping[str, str] | None = None
) -> str:
    """At most :data:`EXCERPT_CHARS` characters of ``text`` (plus "…" where
    cut), cut between words, around the words ``matches`` found.

    ``severities`` maps a rule's name to its severity (a mention of a rule it
    does not name, or of no rule, is ``info``)."""
    if len(text) <= EXCERPT_CHARS:
        return text
    head = _cut(text)
    anchor = _anchor(matches, severities or {})
    if anchor is None or anchor.end <= len(head) - 1:  # seen in the first lines already
        return head
    # About LEAD_CHARS before the word; more near the end of the text, so that
    # the excerpt is full (the last sentence shows what leads to it).
    begin = max(0, min(anchor.start - LEAD_CHARS, len(text) - EXCERPT_CHARS + 1))
    begin = _word_start(text, begin, anchor.start)
    if begin == 0:
        return head
    rest = text[begin:]
    # One character less than a start: the leading "…" keeps the total the same.
    body = rest if len(rest) <= EXCERPT_CHARS - 1 else _cut(rest, EXCERPT_CHARS - 1)
    return "…" + body


def _anchor(matches: Sequence[Match], severities: Mapping[str, str]) -> Hit | None:
    """The hit the excerpt shows: in the text (not the title), among the
    highest-severity mentions, the earliest of a rule's words, else of a brand's."""
    found = [m for m in matches if any(h.field == "text" and h.surface for h in m.hits)]
    if not found:
        return None

    def severity(m: Match) -> Severity:
        name = severities.get(m.rule, "info") if m.rule else "info"
        return Severity.__members__.get(name, Severity.info)

    top = max(map(severity, found))
    hits = [
        h
        for m in found
        if severity(m) == top
        for h in m.hits
        if h.field == "text" and h.surface and h.end > h.start
    ]
    words = [h for h in hits if h.clause not in _BRAND_CLAUSES] or hits
    return min(words, key=lambda h: h.start, default=None)


def _word_start(text: str, begin: int, anchor: int) -> int:
    """The first word that starts at or after ``begin`` (``anchor`` at the
    latest: a 100-letter word before it is left out)."""
    if begin == 0 or text[begin - 1].isspace():
        return begin
    for at in range(begin, anchor):
        if text[at].isspace():
            begin = at + 1
            while begin < anchor and text[begin].isspace():
                begin += 1
            return begin
    return anchor


def _cut(text: str, chars: int = EXCERPT_CHARS) -> str:
    """The first ``chars`` characters of ``text``, cut between words, with "…"."""
    cut = text[: chars + 1]
    space = cut.rfind(" ", chars // 2)  # a 200-letter "word" is cut anyway
    return (cut[:space] if space > 0 else cut[:chars]).rstrip(" ,;:") + "…"
