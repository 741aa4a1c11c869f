"""Brand exclusions over typo hits, and which exclusion stopped which hit.

Exclusions are matched as written, yet must cover every spelling a fuzzy
term catches, or "Mutualiss Corporation" leaks past ``exclude = ["Mutualis
Corporation"]``: :func:`typo_exclusions` spells each typo hit as its term in
one copy of the text and scans that copy once. :class:`Stopped` pairs a brand
hit with the exclusion that stopped it, for ``watchtower test-rule``.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections.abc import Sequence
from dataclasses import dataclass
from itertools import accumulate

from watchtower.models import Hit
from watchtower.pipeline.match.automaton import Automaton, Spans
from watchtower.pipeline.match.case import same_case
from watchtower.pipeline.match.evaluate import MAX_HITS, ItemContext

__all__ = ["EXCLUSION", "Stopped", "TypoExclusions", "stopped_hits", "typo_exclusions"]

#: ``Hit.clause`` of a brand exclusion found in a trace (brand terms: ``"brand"``).
EXCLUSION = "brand exclusion"

#: ``(term pattern id, hit start)`` → ``(exclusion pattern id, start, end)``,
#: all offsets in the normalised text the hit was found in.
TypoExclusions = dict[tuple[int, int], tuple[int, int, int]]


@dataclass(frozen=True)
class Stopped:
    """A brand hit an exclusion stopped; ``typo``: the hit is a typo of the term,
    and the exclusion was matched with it spelt as the term."""

    exclusion: Hit
    hit: Hit
    typo: bool = False


def typo_exclusions(
    automaton: Automaton, terms: Sequence[int], exclude: Sequence[int], found: Spans, text: str
) -> TypoExclusions:
    """The typo hits (``Mutualiss`` for ``Mutualis``) of ``terms`` that lie in one of
    the exclusions ``exclude`` once spelt as the term, and that exclusion's span.

    Every typo hit is spelt right in one copy of ``text``, scanned once: a scan
    per hit made a text full of them cost its length squared (a 1 MB post,
    minutes). Only items with typo hits pay for the second scan. Each
    replacement swaps one word for one word, so an exclusion's span in the copy
    maps back to ``text`` by the length differences of the words before it.
    """
    patterns = automaton.patterns
    typos = sorted(
        (start, end, pid, word)
        for pid in terms
        if (word := patterns[pid].fuzzy_word) is not None
        for start, end in found.get(pid, {}).items()
        if text[start + 1 : end - 1] != word
    )
    if not typos:
        return {}
    pieces: list[str] = []
    spans: list[tuple[int, int, int, int]] = []  # (pid, start, new start, new end)
    word_ends: list[int] = []  # in the copy, each replaced word's end…
    shifts: list[int] = [0]  # …and the length lost by the copy up to it
    at = size = 0
    for start, end, pid, word in typos:
        if start < at - 1:  # two terms' hits on one word: the first is spelt right
            continue
        # Hits span their word's spaces: the next word's hit starts on the
        # space the one before ended with, written once.
        lead = " " if start >= at else ""
        pieces.append(text[at:start] + lead + word + " ")
        size += max(start - at, 0) + len(lead)
        spans.append((pid, start, size, size + len(word)))
        size += len(word) + 1
        word_ends.append(size - 1)
        shifts.append(shifts[-1] + (end - start - 2) - len(word))
        at = end
    pieces.append(text[at:])
    scanned = automaton.scan("".join(pieces))
    excluded = sorted((s, e, pid) for pid in exclude for s, e in scanned.get(pid, {}).items())
    if not excluded:
        return {}
    starts = [s for s, _, _ in excluded]
    # The furthest end among the exclusions starting up to each one, and which it is.
    reach = list(accumulate(((e, k) for k, (_, e, _) in enumerate(excluded)), max))

    def back(position: int) -> int:
        """A word boundary's offset in the copy → its offset in ``text``."""
        return position + shifts[bisect_right(word_ends, position)]

    out: TypoExclusions = {}
    for pid, start, word_start, word_end in spans:
        i = bisect_left(starts, word_end) - 1
        if i >= 0 and reach[i][0] > word_start:
            s, e, exclusion = excluded[reach[i][1]]
            out[(pid, start)] = (exclusion, back(s), back(e))
    return out


def _overlap(a: Hit, b: Hit) -> bool:
    return a.field == b.field and a.start < b.end and b.start < a.end


def stopped_hits(
    automaton: Automaton,
    ctx: ItemContext,
    terms: Sequence[int],
    exclude: Sequence[int],
    cased: dict[int, tuple[str, ...]],
) -> tuple[tuple[Hit, ...], tuple[Stopped, ...]]:
    """A brand's exclusions found in the item, and each brand hit one stopped, with
    which (for ``test-rule``; the matcher's own path only drops the hits).

    ``terms``, ``exclude``: the brand's pattern ids; ``cased``: its ``match_case``
    terms (a hit in the wrong case is no hit, stopped or not). A typo hit is
    paired with the exclusion that covers it once spelt as the term; another
    hit with an exclusion it overlaps in the original text, as the matcher decides.
    """
    found = automaton.scan(ctx.text)
    patterns = automaton.patterns

    def hit(pid: int, start: int, end: int, clause: str) -> Hit:
        return ctx.hit(patterns[pid].term, start, end, len(patterns[pid].words), clause)

    exact = [hit(pid, s, e, EXCLUSION) for pid in exclude for s, e in found.get(pid, {}).items()]
    shown = dict.fromkeys(exact[:MAX_HITS])
    typos = typo_exclusions(automaton, terms, exclude, found, ctx.text)
    stopped: list[Stopped] = []
    for pid in (*terms, *cased):
        for start, end in list(found.get(pid, {}).items())[:MAX_HITS]:
            term_hit = hit(pid, start, end, "brand")
            if pid in cased and not any(same_case(w, term_hit.surface) for w in cased[pid]):
                continue
            if (pid, start) in typos:
                exclusion = hit(*typos[(pid, start)], EXCLUSION)
                stopped.append(Stopped(exclusion, term_hit, typo=True))
            else:
                exclusion = next((x for x in exact if _overlap(x, term_hit)), term_hit)
                if exclusion is term_hit:
                    continue
                stopped.append(Stopped(exclusion, term_hit))
            shown[exclusion] = None
    return tuple(shown), tuple(stopped)
