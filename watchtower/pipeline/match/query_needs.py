"""What a query needs on every path to being true, for the config checker.

A rule whose query needs something its other settings rule out can never fire:
``brand:Acmé AND (arnaque OR escroquerie)`` in a rule limited to
``brands = ["Globex"]``, ``arnaque`` with ``exclude = ["arnaque"]``, or
``arnaque NOT arnaque``. :func:`needs` reads the tree (never an item): the
terms and ``brand:``/``source:`` values that every way of making the query true
requires, and the terms every way requires absent. It is a sound
under-approximation: what it names is needed, but a query may need more than it
finds (an ``OR`` of alternatives needs only what they share).
"""

from __future__ import annotations

from dataclasses import dataclass

from watchtower.pipeline.match.query_tree import And, Meta, Near, Node, Not, Or, Term

__all__ = ["Needs", "TermKey", "covers", "needs"]

#: A term as the matcher finds it (its field aside): words, last-word prefix,
#: inner prefixes, as :attr:`Term.key`.
TermKey = tuple[tuple[str, ...], bool, tuple[int, ...]]


@dataclass(frozen=True)
class Needs:
    """``present``: terms found on every way to true; ``absent``: terms absent on
    every way; ``meta``: the ``brand:``, ``source:``, ``lang:`` clauses true on every way."""

    present: frozenset[Term] = frozenset()
    absent: frozenset[Term] = frozenset()
    meta: frozenset[Meta] = frozenset()

    def __or__(self, other: Needs) -> Needs:
        """Both needs at once (an AND)."""
        return Needs(
            self.present | other.present, self.absent | other.absent, self.meta | other.meta
        )

    def __and__(self, other: Needs) -> Needs:
        """What either way needs (an OR): only what both share."""
        present = {t.key for t in other.present}
        absent = {t.key for t in other.absent}
        return Needs(
            frozenset(t for t in self.present if t.key in present),
            frozenset(t for t in self.absent if t.key in absent),
            self.meta & other.meta,
        )


def needs(root: Node) -> Needs:
    """What every way of making ``root`` true needs (see the module docstring)."""
    if isinstance(root, Term):
        return Needs(present=frozenset({root}))
    if isinstance(root, Meta):
        return Needs(meta=frozenset({root}))
    if isinstance(root, Not):
        # NOT of a term needs it absent; NOT of anything wider needs nothing sure.
        child = root.child
        return Needs(absent=frozenset({child})) if isinstance(child, Term) else Needs()
    if isinstance(root, Near):
        return needs(root.left) | needs(root.right)
    if isinstance(root, And):
        out = Needs()
        for child in root.children:
            out = out | needs(child)
        return out
    if isinstance(root, Or) and root.children:
        shared = needs(root.children[0])
        for child in root.children[1:]:
            shared = shared & needs(child)
        return shared
    return Needs()  # a rating, an empty group


def covers(exclusion: TermKey, term: TermKey) -> bool:
    """Whether every occurrence of ``term`` is also one of ``exclusion`` (both
    :attr:`Term.key`-shaped): the exclusion's words are a run of the term's,
    each whole word equal to the term's (which is no prefix), each prefix word
    the start of the term's word. ``faux conseiller`` covers
    ``"arnaque au faux conseiller"``; ``arnaq*`` covers ``arnaque``; ``arnaque``
    does not cover ``arnaque*`` (which also finds "arnaques")."""
    words, prefix, inner = exclusion
    t_words, t_prefix, t_inner = term
    last = len(t_words) - 1

    def t_is_prefix(i: int) -> bool:
        return (t_prefix and i == last) or i in t_inner

    def e_is_prefix(i: int) -> bool:
        return (prefix and i == len(words) - 1) or i in inner

    for offset in range(len(t_words) - len(words) + 1):
        if all(
            t_words[offset + i].startswith(word)
            if e_is_prefix(i)
            else t_words[offset + i] == word and not t_is_prefix(offset + i)
            for i, word in enumerate(words)
        ):
            return True
    return False
