"""The prefilter: every pattern of a configuration in one Aho-Corasick automaton.

Keys are anchored on the word boundaries of :func:`~watchtower.pipeline.normalise.normalise`'s
``" w1 w2 … "`` form, so the scan reports whole words only and no boundary check
is needed afterwards:

* a term or phrase ``acme corp`` → ``" acme corp "``;
* a wildcard ``rembours*`` → ``" rembours"`` (a word prefix);
* a fuzzy term with ``fuzzy = 1`` → every string one edit away (deletion,
  insertion, substitution, transposition), as whole-word keys: the scan itself
  decides, there is no per-word distance computation at all;
* a fuzzy term with ``fuzzy = 2`` (too many variants to list) → its two halves
  within one edit, anchored at the word start and end (two edits leave one half
  within one edit); each such candidate is confirmed by one rapidfuzz
  Damerau-Levenshtein call on that word only.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import ahocorasick
from rapidfuzz.distance import DamerauLevenshtein

__all__ = ["FUZZY_MIN_LETTERS", "Automaton", "Pattern", "edits1"]

FUZZY_MIN_LETTERS = 6
_ALPHABET = "abcdefghijklmnopqrstuvwxyz0123456789"


@dataclass(frozen=True)
class Pattern:
    """One thing to find: consecutive words, the last maybe a prefix, maybe fuzzy."""

    words: tuple[str, ...]
    prefix: bool = False
    fuzzy: int = 0

    @property
    def term(self) -> str:
        return " ".join(self.words) + ("*" if self.prefix else "")

    @property
    def fuzzy_word(self) -> str | None:
        """The word fuzzy matching applies to: single words of six letters or more."""
        if self.fuzzy and not self.prefix and len(self.words) == 1:
            word = self.words[0]
            if sum(c.isalpha() for c in word) >= FUZZY_MIN_LETTERS:
                return word
        return None


def edits1(word: str) -> set[str]:
    """Every string one Damerau-Levenshtein edit from ``word`` (over a-z, 0-9)."""
    alphabet = set(_ALPHABET) | set(word)
    splits = [(word[:i], word[i:]) for i in range(len(word) + 1)]
    out = {a + b[1:] for a, b in splits if b}
    out |= {a + b[1] + b[0] + b[2:] for a, b in splits if len(b) > 1}
    out |= {a + c + b[1:] for a, b in splits if b for c in alphabet}
    out |= {a + c + b for a, b in splits for c in alphabet}
    out.discard("")
    return out


# A key's value: (key length, pattern ids found exactly, pattern ids to confirm).
_Value = tuple[int, list[int], list[int]]
Spans = dict[int, dict[int, int]]  # pattern id → {start: end} in the normalised text


class Automaton:
    """Patterns compiled once; :meth:`scan` finds them all in one pass."""

    def __init__(self, patterns: Iterable[Pattern], *, prefilter: bool = False) -> None:
        self.patterns: list[Pattern] = []
        self._ids: dict[Pattern, int] = {}
        self._keys: dict[str, _Value] = {}
        self._anchors: set[str] = set()
        for pattern in patterns:
            self.add(pattern)
        self._automaton = ahocorasick.Automaton()
        for key, value in self._keys.items():
            self._automaton.add_word(key, value)
        if self._keys:
            self._automaton.make_automaton()
        self._prefilter: ahocorasick.Automaton | None = None
        if prefilter and self._anchors:
            self._prefilter = ahocorasick.Automaton()
            for key in self._anchors:
                self._prefilter.add_word(key, None)
            self._prefilter.make_automaton()

    def maybe(self, quick: str) -> bool:
        """Whether :meth:`scan` may find something in the normalised text.

        ``quick`` is :func:`~watchtower.pipeline.normalise.normalise_quick` output
        (a cheaper superset of the normalised words). Each pattern contributes
        single-word keys (a phrase: its longest word), which occur in ``quick``
        whenever the pattern occurs in the normalised text; the scan stops at
        the first one.
        """
        if self._prefilter is None:
            return bool(self._keys)
        return next(self._prefilter.iter(quick), None) is not None

    def id(self, pattern: Pattern) -> int:
        """The id of a pattern given to the constructor."""
        return self._ids[pattern]

    def add(self, pattern: Pattern) -> int:
        if pattern in self._ids:
            return self._ids[pattern]
        pid = len(self.patterns)
        self.patterns.append(pattern)
        self._ids[pattern] = pid
        exact = " " + " ".join(pattern.words) + ("" if pattern.prefix else " ")
        self._key(exact, pid, confirm=False)
        if len(pattern.words) > 1:  # a phrase: its longest word is the rarest guess
            last = len(pattern.words) - 1
            index = max(range(last + 1), key=lambda i: len(pattern.words[i]))
            open_end = pattern.prefix and index == last
            self._anchors.add(f" {pattern.words[index]}" + ("" if open_end else " "))
        word = pattern.fuzzy_word
        if word is not None and pattern.fuzzy == 1:
            for variant in edits1(word):
                self._key(f" {variant} ", pid, confirm=False)
        elif word is not None:
            half = len(word) // 2
            for variant in edits1(word[:half]) | {word[:half]}:
                self._key(f" {variant}", pid, confirm=True)
            for variant in edits1(word[half:]) | {word[half:]}:
                self._key(f"{variant} ", pid, confirm=True)
        return pid

    def _key(self, key: str, pid: int, *, confirm: bool) -> None:
        if key.count(" ") <= 2:  # one word (or part of one): also a prefilter key
            self._anchors.add(key)
        value = self._keys.setdefault(key, (len(key), [], []))
        ids = value[2] if confirm else value[1]
        if pid not in ids:
            ids.append(pid)

    def scan(self, text: str) -> Spans:
        """Pattern id → ``{start: end}`` of each whole-word occurrence in ``text``.

        ``text`` is :func:`normalise` output; a span starts at the space before
        its first word and ends after the space that follows its last one.
        """
        found: Spans = {}
        if not self._keys:
            return found
        for last, (length, exact, confirm) in self._automaton.iter(text):
            start = last + 1 - length
            if exact:
                # A prefix key ends inside a word: the span runs to the word's end.
                end = last + 1 if text[last] == " " else text.find(" ", last) + 1
                for pid in exact:
                    found.setdefault(pid, {})[start] = end
            if confirm:
                self._confirm(text, start, last + 1, confirm, found)
        return found

    def _confirm(self, text: str, start: int, end: int, pids: list[int], found: Spans) -> None:
        inside = start + 1 if text[start] == " " else start
        word_start = text.rfind(" ", 0, inside) + 1
        word_end = text.find(" ", end - 1 if text[end - 1] == " " else end)
        word = text[word_start:word_end]
        for pid in pids:
            pattern = self.patterns[pid]
            target = pattern.words[0]
            if DamerauLevenshtein.distance(word, target, score_cutoff=pattern.fuzzy) <= (
                pattern.fuzzy
            ):
                found.setdefault(pid, {})[word_start - 1] = word_end + 1
