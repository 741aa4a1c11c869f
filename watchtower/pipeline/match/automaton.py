"""The prefilter: every pattern of a configuration in one Aho-Corasick automaton.

Keys are anchored on the word boundaries of :func:`~watchtower.pipeline.normalise.normalise`'s
``" w1 w2 … "`` form, so the scan reports whole words only and no boundary check
is needed afterwards:

* a term or phrase ``acme corp`` → ``" acme corp "``;
* a wildcard ``rembours*`` → ``" rembours"`` (a word prefix);
* a phrase with a ``*`` before its last word (``"carte* bloqu*"``,
  ``"service* client"``) cannot be one key: it is keyed on its most selective
  word (the longest; a whole word wins over a prefix of the same length), as
  ``" client "`` or ``" carte"``, and each candidate is confirmed word by word
  around that word (:meth:`Automaton._confirm_phrase`), each word of the phrase
  against its own word of the text;
* a phrase whose first word is the article ``le`` (``les``), from a brand's
  ``terms`` or ``exclude`` → also with ``au``/``du`` (``aux``/``des``) in its
  place, the contracted forms French writes after ``à`` and ``de`` ("un article
  du Figaro"), as keys of the same pattern;
* a fuzzy term with ``fuzzy = 1`` → every string one edit away (deletion,
  insertion, substitution, transposition), as whole-word keys: the scan itself
  decides, there is no per-word distance computation at all;
* a fuzzy term with ``fuzzy = 2`` (too many variants to list) → its two halves
  within one edit, anchored at the word start and end (two edits leave one half
  within one edit); each such candidate is confirmed by one rapidfuzz
  Damerau-Levenshtein call on that word only.

A typo variant that is itself an everyday word, a common first name or a
well-known place (:func:`~watchtower.common_words.ordinary_words`: ``orage``
and ``grange`` for ``Orange``, ``Renaud`` for ``Renault``, ``Thames`` for
``Thales``) is not kept: it is another word, not a
typo. :func:`everyday_typos` names them, for ``watchtower check``. A brand with
``allow_everyday_words = true`` wants every such word as a mention: its
patterns (:attr:`Pattern.keep_words`) keep those variants.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import ahocorasick
from rapidfuzz import process
from rapidfuzz.distance import DamerauLevenshtein

from watchtower.pipeline.match.query_tree import starred

__all__ = ["CONTRACTIONS", "FUZZY_MIN_LETTERS", "Automaton", "Pattern", "edits1", "everyday_typos"]

FUZZY_MIN_LETTERS = 6
_ALPHABET = "abcdefghijklmnopqrstuvwxyz0123456789"
#: A leading article → the words French contracts it into after "à" and "de".
CONTRACTIONS = {"le": ("au", "du"), "les": ("aux", "des")}


@dataclass(frozen=True)
class Pattern:
    """One thing to find: consecutive words, the last maybe a prefix, maybe fuzzy.

    ``inner_prefixes``: indices of the other words that are prefixes too
    (``(0,)`` for ``"carte* bloqu*"``); ``contractions``: a first word ``le``
    or ``les`` also matches its :data:`CONTRACTIONS` (brand terms and exclusions;
    a query says what it means); ``keep_words``: fuzzy typo variants that are
    :func:`~watchtower.common_words.ordinary_words` are kept too
    (``allow_everyday_words``).
    """

    words: tuple[str, ...]
    prefix: bool = False
    fuzzy: int = 0
    inner_prefixes: tuple[int, ...] = ()
    contractions: bool = False
    keep_words: bool = False

    @property
    def term(self) -> str:
        """The words as matched, each prefix with its ``*``: ``carte* bloqu*``."""
        if not self.inner_prefixes:
            return " ".join(self.words) + ("*" if self.prefix else "")
        return starred(self.words, self.prefix, self.inner_prefixes)

    def is_prefix(self, index: int) -> bool:
        """Whether word ``index`` is matched as a prefix."""
        if index == len(self.words) - 1 and self.prefix:
            return True
        return index in self.inner_prefixes

    @property
    def contracted(self) -> tuple[str, ...]:
        """The words the first one also matches as (``du`` for ``le figaro``), or ``()``."""
        if not self.contractions or len(self.words) < 2 or self.is_prefix(0):
            return ()
        return CONTRACTIONS.get(self.words[0], ())

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


def everyday_typos(word: str, fuzzy: int) -> list[str]:
    """The everyday words and common first names within ``fuzzy`` edits of ``word``
    (one normalised word), other than ``word`` itself: what ``fuzzy`` would take
    for typos and the matcher leaves out. Alphabetical."""
    from watchtower.common_words import ordinary_words

    ordinary = ordinary_words()
    if fuzzy <= 1:
        return sorted(v for v in edits1(word) & ordinary if v != word)
    near = process.extract(
        word, ordinary, scorer=DamerauLevenshtein.distance, score_cutoff=fuzzy, limit=None
    )
    return sorted(other for other, _, _ in near if other != word)


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
        # The words a typo variant may not be; loaded with the first fuzzy term.
        self._ordinary: frozenset[str] = frozenset()
        # A phrase with inner prefixes → the index of the word it is keyed on.
        self._keyed_on: dict[int, int] = {}
        #: ``id(obj)`` → (obj, pattern id): the ids of query terms, asked once per
        #: term and item by rule evaluation (a rule pack's vocabulary is hundreds
        #: of terms); the object is kept so that a reused ``id()`` is never trusted.
        self.memo: dict[int, tuple[object, int]] = {}
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
        single-word keys (a phrase: its longest word; a phrase with inner
        prefixes: the word it is keyed on), which occur in ``quick`` whenever
        the pattern occurs in the normalised text; the scan stops at the first one.
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
        if pattern.inner_prefixes:
            self._add_starred_phrase(pattern, pid)
            return pid
        end = "" if pattern.prefix else " "
        for first in (pattern.words[0], *pattern.contracted):
            self._key(" " + " ".join((first, *pattern.words[1:])) + end, pid, confirm=False)
        if len(pattern.words) > 1:  # a phrase: its longest word is the rarest guess
            last = len(pattern.words) - 1
            # Not a contracted article: "du figaro" has no "le" to find.
            lowest = 1 if pattern.contracted else 0
            index = max(range(lowest, last + 1), key=lambda i: len(pattern.words[i]))
            open_end = pattern.prefix and index == last
            self._anchors.add(f" {pattern.words[index]}" + ("" if open_end else " "))
        word = pattern.fuzzy_word
        if word is not None and not pattern.keep_words and not self._ordinary:
            from watchtower.common_words import ordinary_words

            self._ordinary = ordinary_words()
        if word is not None and pattern.fuzzy == 1:
            for variant in edits1(word):
                if variant == word or pattern.keep_words or variant not in self._ordinary:
                    self._key(f" {variant} ", pid, confirm=False)
        elif word is not None:
            half = len(word) // 2
            for variant in edits1(word[:half]) | {word[:half]}:
                self._key(f" {variant}", pid, confirm=True)
            for variant in edits1(word[half:]) | {word[half:]}:
                self._key(f"{variant} ", pid, confirm=True)
        return pid

    def _add_starred_phrase(self, pattern: Pattern, pid: int) -> None:
        """Key a phrase with inner prefixes on one word; the scan confirms the rest.

        The longest word is the rarest guess; a whole word wins a tie, since a
        prefix also matches every longer word. ``" de "`` in ``"frais* de dossier*"``
        would be confirmed at every "de" of the text; ``" dossier"`` seldom.
        The key is a single word, so it is also the prefilter's anchor: it occurs
        in the text whenever the phrase does.
        """
        index = max(
            range(1 if pattern.contracted else 0, len(pattern.words)),
            key=lambda i: (len(pattern.words[i]), not pattern.is_prefix(i), -i),
        )
        self._keyed_on[pid] = index
        word = pattern.words[index]
        self._key(f" {word}" if pattern.is_prefix(index) else f" {word} ", pid, confirm=True)

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
        word: str | None = None
        word_start = word_end = 0
        for pid in pids:
            pattern = self.patterns[pid]
            if pattern.inner_prefixes:  # keyed on a whole word or a word's start
                self._confirm_phrase(text, start + 1, pid, found)
                continue
            if word is None:  # fuzzy: the word around the key, computed once
                inside = start + 1 if text[start] == " " else start
                word_start = text.rfind(" ", 0, inside) + 1
                word_end = text.find(" ", end - 1 if text[end - 1] == " " else end)
                word = text[word_start:word_end]
            target = pattern.words[0]
            if word != target and not pattern.keep_words and word in self._ordinary:
                continue  # "renaud" is a name, not a typo of "renault"
            if DamerauLevenshtein.distance(word, target, score_cutoff=pattern.fuzzy) <= (
                pattern.fuzzy
            ):
                found.setdefault(pid, {})[word_start - 1] = word_end + 1

    def _confirm_phrase(self, text: str, anchor: int, pid: int, found: Spans) -> None:
        """Record the phrase ``pid`` in ``found`` if it is around the word at ``anchor``.

        The key matched that word. The phrase's words before the key are
        compared with the text's words before ``anchor``, right to left, and
        those after it left to right: each word of the phrase with one word of
        the text, a prefix by its start, another word whole.
        """
        pattern = self.patterns[pid]
        index = self._keyed_on[pid]
        first = anchor  # start of the phrase's first word found so far
        for i in range(index - 1, -1, -1):
            if first < 2:  # the text's first word: nothing before it
                return
            before = text.rfind(" ", 0, first - 1) + 1
            if not self._word_fits(pattern, i, text, before, first - 1):
                return
            first = before
        last_end = text.find(" ", anchor)  # the space after the phrase's last word so far
        for i in range(index + 1, len(pattern.words)):
            after = text.find(" ", last_end + 1)
            if after < 0 or not self._word_fits(pattern, i, text, last_end + 1, after):
                return
            last_end = after
        found.setdefault(pid, {})[first - 1] = last_end + 1

    @staticmethod
    def _word_fits(pattern: Pattern, index: int, text: str, start: int, end: int) -> bool:
        """Whether ``text[start:end]`` (one word) is what word ``index`` of ``pattern`` wants."""
        word = pattern.words[index]
        if pattern.is_prefix(index):
            return text.startswith(word, start, end)
        if index == 0 and pattern.contracted:
            return text[start:end] in (word, *pattern.contracted)
        return end - start == len(word) and text.startswith(word, start)
