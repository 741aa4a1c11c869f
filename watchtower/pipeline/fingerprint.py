"""Content fingerprints: an exact hash and a compact word sequence per item.

Two things are computed once per item and stored on its row:

* ``content_hash``: a signed 64-bit hash of the normalised words of title and
  text. Equal hashes mean the same content, whatever the GUID or date says, so
  unstable feeds (GUIDs that change on every fetch, re-dated items) never
  re-notify, and an edited forum post is recognised by a *changed* hash under
  the same (source, guid).
* ``words``: the first :data:`MAX_WORDS` *content* words (stop-words dropped)
  of title + text, each as one 16-bit code stored as one character of a
  ``str``. Near-duplicate detection (:mod:`watchtower.pipeline.neardup`)
  samples its lookup keys from these codes and confirms a candidate with
  rapidfuzz's LCS on the two strings, so a truncated copy, a repost with small
  edits or a copy with a paragraph of boilerplate still lines up.

Dropping stop-words matters for precision: two different articles about the
same brand share *le, de, the, of* in order, which would inflate their common
subsequence; content words rarely line up by chance.
"""

from __future__ import annotations

import hashlib
import zlib
from dataclasses import dataclass

from rapidfuzz.distance import LCSseq

from watchtower.pipeline.normalise import normalise

__all__ = ["MAX_WORDS", "STOPWORDS", "Fingerprint", "fingerprint", "similarity", "word_code"]

#: Format of :meth:`Fingerprint.to_bytes`; bump it when codes or hashing change
#: so stored rows can be told apart from fresh ones.
FINGERPRINT_VERSION = 1
#: Content words kept per item: enough to cover the lead of an article, small
#: enough for ≤ 200 bytes per item in memory.
MAX_WORDS = 96

# 16-bit codes skip the surrogate block so a code sequence is a valid str that
# round-trips through UTF-16 and that rapidfuzz compares character by character.
_CODE_SPACE = 0x10000 - 0x800
_SURROGATE_START = 0xD800

_STOPWORDS_TEXT = """
    le la les un une des du de au aux et ou mais donc or ni car que qui quoi dont ce cet
    cette ces se sa son ses leur leurs lui elle il ils elles nous vous je tu on en ne pas
    plus moins tres par pour sur sous dans avec sans chez entre vers contre depuis pendant
    avant apres est sont etait etaient ete etre avoir ont avait avaient fait faire comme
    aussi ainsi tout tous toute toutes meme autre autres cela ca ceci si mon ma mes ton ta
    tes notre nos votre vos qu c s n j m t y l d a selon lors alors encore deja bien peu
    ici sera seront va vont peut peuvent doit
    the an and or but of to in on at by for with from as is are was were be been being it
    its this that these those he she they we you i his her their our your not no so if
    than then there here which who whom what when where why how all any each more most
    other some such only own same too very can will just do does did has have had would
    should could may might must into over under about after before between through
    during up down out off again also says said
"""
STOPWORDS: frozenset[str] = frozenset(_STOPWORDS_TEXT.split())


@dataclass(frozen=True, slots=True)
class Fingerprint:
    """What dedup stores for one item.

    ``content_hash`` is exact-content equality (a ``BIGINT`` column);
    ``words`` is the near-duplicate signature, one character per content word.
    """

    content_hash: int
    words: str

    def to_bytes(self) -> bytes:
        """The versioned blob for the database: 1 + 8 + 2 × len(words) bytes."""
        return (
            bytes((FINGERPRINT_VERSION,))
            + self.content_hash.to_bytes(8, "big", signed=True)
            + self.words.encode("utf-16-le")
        )

    @classmethod
    def from_bytes(cls, blob: bytes) -> Fingerprint:
        """Read a blob written by :meth:`to_bytes`; ``ValueError`` on another version."""
        if len(blob) < 9 or blob[0] != FINGERPRINT_VERSION or (len(blob) - 9) % 2:
            raise ValueError(f"not a version {FINGERPRINT_VERSION} fingerprint")
        content_hash = int.from_bytes(blob[1:9], "big", signed=True)
        return cls(content_hash, blob[9:].decode("utf-16-le"))


def word_code(word: str) -> int:
    """The stable 16-bit code (a non-surrogate code point) of a folded word.

    CRC-32 rather than ``hash()``: codes are persisted, and ``hash()`` is salted
    per process.
    """
    code = zlib.crc32(word.encode("utf-8")) % _CODE_SPACE
    return code + 0x800 if code >= _SURROGATE_START else code


# Words recur from item to item, so each word's character (its code, or "" for a
# word that is skipped) is kept in a dict: a lookup is cheaper than hashing the word
# again, and ``map`` over the dict runs the whole item in C. It stops growing at the
# cap (~10 MB); words past it are computed each time.
_CODE_CACHE_SIZE = 100_000


class _CodeChars(dict[str, str]):
    def __missing__(self, word: str) -> str:
        char = "" if len(word) < 2 or word in STOPWORDS else chr(word_code(word))
        if len(self) < _CODE_CACHE_SIZE:
            self[word] = char
        return char


_CODE_CHARS = _CodeChars()


def fingerprint(title: str, text: str, *, max_words: int = MAX_WORDS) -> Fingerprint:
    """Fingerprint an item from its title and plain text."""
    # Hashtag parts (#BoycottAcme → boycott acme) help matching, not identity:
    # without them the words (and the hash of an item stored before) stay as written.
    norm_title, norm_text = normalise(title, tags=False), normalise(text, tags=False)
    digest = hashlib.blake2b(f"{norm_title}\x1e{norm_text}".encode(), digest_size=8)
    content_hash = int.from_bytes(digest.digest(), "big", signed=True)
    # A headline-only item often repeats its title as its text (Google News
    # RSS; an html list page without a text selector): counted twice, four
    # words would pass for eight and two headlines sharing a few look alike.
    # (Both are padded with spaces, so the prefix is made of whole words.)
    if norm_title != " " and norm_text.startswith(norm_title):
        norm_text = norm_text[len(norm_title) :]
    words = norm_title.split() + norm_text.split()
    char_of = _CODE_CHARS.__getitem__
    # Each word gives one character or none, so the first max_words characters are
    # the first max_words content words. Chunks bound the work on a very long text.
    step = 2 * max_words
    codes = "".join(map(char_of, words[:step]))
    start = step
    while len(codes) < max_words and start < len(words):
        codes += "".join(map(char_of, words[start : start + step]))
        start += step
    return Fingerprint(content_hash, codes[:max_words])


def similarity(a: str, b: str) -> float:
    """Containment of the shorter word sequence in the longer, in ``[0, 1]``.

    The longest common subsequence over the shorter length: a truncated copy
    scores 1.0, inserted boilerplate costs nothing, each edited word costs
    ``1/len``. Takes :attr:`Fingerprint.words`.
    """
    shorter = min(len(a), len(b))
    if not shorter:
        return 0.0
    return LCSseq.similarity(a, b) / shorter
