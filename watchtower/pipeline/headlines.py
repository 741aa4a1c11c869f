"""A Google News headline and the publisher's own article: one story by their title.

A Google News entry links through ``news.google.com`` and names its publisher
(:func:`~watchtower.pipeline.sites.publisher_site`); its text is only its
title again, with `` - Le Monde`` appended. Near-duplicates cannot pair it with
the article the site's own feed gave: a bare headline is no copy of an
article's text (its few words are seldom among the article's sampled keys, and
a title under ``min_words`` content words is never a near-duplicate). What
they share is the site and the title. So a headline and an item of its
publisher's site whose titles are one, within the dedup window, are one story
(``StoryBatch``): a repost, told by no reply. Their titles are one when

* their normalised words are the same (case, accents, punctuation and spacing
  do not count), once a trailing `` | Le Parisien`` (a site's name) is dropped;
* Google cut the headline (``…`` or ``...``): the article's title starts with
  the :data:`CUT_MIN_WORDS` content words or more the headline kept, and they
  are at least half of it (a prefix such as "Grève à la SNCF :" begins many
  titles of one site);
* or the site edited its title by one word (changed, added or dropped), both
  titles having :data:`NEAR_MIN_WORDS` content words or more, and that word is
  no number, day or month ("… perturbé jeudi" and "… perturbé vendredi" are
  two articles of a series) nor a name ("… de Lyon" and "… de Paris"), the
  two negated alike.

A cut or edited title pairs only when it finds one story: a headline whose
kept words start two stories' titles pairs with neither.

Only a headline pairs with an article this way, never two articles of one site
(whose same title may be a recurring one: "Communiqué de presse – Banque
Acmé"); titles under :data:`HEADLINE_MIN_WORDS` content words do not pair.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from rapidfuzz import process
from rapidfuzz.distance import Indel, LCSseq

from watchtower.pipeline.fingerprint import MAX_WORDS, STOPWORDS, word_code
from watchtower.pipeline.normalise import normalise

__all__ = [
    "CUT_MIN_WORDS",
    "HEADLINE_MIN_WORDS",
    "NEAR_MIN_WORDS",
    "Headline",
    "Headlines",
    "Title",
    "cut_pairs",
    "headline_key",
    "headline_title",
    "near_titles",
]

#: Content words a title needs to pair a headline with an article: shorter
#: titles recur on one site ("Communiqué de presse – Banque Acmé", 4 words).
HEADLINE_MIN_WORDS = 5
#: Content words a cut headline must keep to pair with the title they start.
CUT_MIN_WORDS = 6
#: Content words two titles one word apart need (one word in six edited at most).
NEAR_MIN_WORDS = 6

#: Words at most of a site's name after its title: "… | Le Parisien".
_SITE_NAME_WORDS = 4
# A word that tells one article of a series from the next: a number, a day, a month.
_SERIES_TEXT = """lundi mardi mercredi jeudi vendredi samedi dimanche janvier fevrier mars avril mai
    juin juillet aout septembre octobre novembre decembre monday tuesday wednesday thursday
    friday saturday sunday january february march april may june july august september
    october november december"""
_SERIES_WORDS = frozenset(_SERIES_TEXT.split())
# Words that turn a title into its opposite ("Acmé ne fermera pas …"); most are
# stop words, which the content words leave out. ("plus" is left out: "n'a plus"
# and "plus de" read the same once "n'" is gone.)
_NEGATIONS_TEXT = "ne pas non sans jamais aucun aucune rien ni not no never without nor none"
_NEGATIONS = frozenset(_NEGATIONS_TEXT.split())
# A word of a title, with what an elision glues to it ("l'Acmé").
_RAW_WORD = re.compile(r"[\w'’-]+")


@dataclass(frozen=True, slots=True)
class Headline:
    """A stored Google News headline: its item, story and fetch time (epoch seconds)."""

    item_id: int
    story_id: int
    ts: int


@dataclass(frozen=True, slots=True)
class Title:
    """What pairing reads of a title: its content words and their codes (as
    :attr:`Fingerprint.words <watchtower.pipeline.fingerprint.Fingerprint.words>`
    gives them), its identity (:func:`headline_key`), and for a cut headline
    the codes of the words it kept (``""``: not cut, or too few kept)."""

    words: tuple[str, ...]
    codes: str
    key: str = ""
    kept: str = ""
    #: Its negation words, in order (two titles that differ there are opposites).
    negations: tuple[str, ...] = ()
    #: Its words written with a capital after the first word: names of places,
    #: companies, people ("Lyon", "Globex"), which tell one story from another.
    names: frozenset[str] = field(default_factory=frozenset)

    @classmethod
    def of(cls, title: str) -> Title:
        """The title read once: normalised, and each content word coded."""
        text = title.rstrip()
        cut = text.endswith(("…", "..."))  # Google's cut
        if cut:
            text = text.removesuffix("…").removesuffix("...")
            if text == text.rstrip():  # "… d'incid…": the last word is cut too
                text = text.rsplit(None, 1)[0] if len(text.split()) > 1 else ""
        else:
            text = _core(text)
        norm = normalise(text, tags=False)
        # The words fingerprint() gives a code, in order (so words[i] is codes[i]).
        words = tuple(w for w in norm.split() if len(w) > 1 and w not in STOPWORDS)[:MAX_WORDS]
        codes = "".join(chr(word_code(w)) for w in words)
        if cut:
            return cls(words, codes, kept=codes if len(codes) >= CUT_MIN_WORDS else "")
        key = norm.strip() if len(codes) >= HEADLINE_MIN_WORDS else ""
        negations = tuple(w for w in norm.split() if w in _NEGATIONS)
        return cls(words, codes, key, negations=negations, names=_names(text))


def _names(text: str) -> frozenset[str]:
    """The normalised words of ``text`` written with a capital, its first word aside."""
    names: set[str] = set()
    for raw in _RAW_WORD.findall(text)[1:]:
        word = re.split(r"['’]", raw)[-1]  # "l'Acmé" -> "Acmé"
        if word[:1].isupper():
            names.update(normalise(word, tags=False).split())
    return frozenset(names)


def _core(title: str) -> str:
    """``title`` without a trailing site name: "… | Le Parisien"."""
    head, bar, tail = title.rpartition("|")
    if bar and head.strip() and 0 < len(tail.split()) <= _SITE_NAME_WORDS:
        return head.rstrip()
    return title


def headline_key(title: str) -> str:
    """The identity of a title (its normalised words: case, accents, punctuation
    and spacing do not count; a trailing `` | Le Parisien`` dropped); ``""``
    when it has under :data:`HEADLINE_MIN_WORDS` content words, or Google cut
    it (``…``)."""
    return Title.of(title).key


def headline_title(title: str, publisher: str | None) -> str:
    """A stored Google News title without the `` - Le Monde`` Google appends
    (``runner.shown_title``): the entry's publisher is the stored author when
    the entry names none, as Google News entries do."""
    if publisher and title.endswith(f" - {publisher}"):
        return title.removesuffix(f" - {publisher}").rstrip() or title
    return title


def cut_pairs(kept: str, codes: str) -> bool:
    """A cut headline's kept words (codes) start the title ``codes``, and are at
    least half of it."""
    return bool(kept) and codes.startswith(kept) and 2 * len(kept) >= len(codes)


def near_titles(a: Title, b: Title) -> bool:
    """Two whole titles one content word apart at most (changed, added or
    dropped), both of :data:`NEAR_MIN_WORDS` content words or more, the word
    being no number, day, month nor name (a word written with a capital: "Lyon"
    and "Paris" are two strikes), and the titles negated alike ("Acmé va
    fermer …" is not "Acmé ne va pas fermer …")."""
    shorter, longer = sorted((len(a.codes), len(b.codes)))
    if a.kept or b.kept or shorter < NEAR_MIN_WORDS or longer - shorter > 1:
        return False
    if a.negations != b.negations:
        return False
    if LCSseq.similarity(a.codes, b.codes, score_cutoff=longer - 1) < longer - 1:
        return False  # (a score under the cutoff comes back as 0)
    changed = [
        a.words[op.src_pos] if op.tag == "delete" else b.words[op.dest_pos]
        for op in Indel.editops(a.codes, b.codes)
    ]
    names = a.names | b.names
    return not any(w in _SERIES_WORDS or w in names or any(c.isdigit() for c in w) for w in changed)


class _Bucket:
    """A site's whole headlines of one length (in content words)."""

    def __init__(self) -> None:
        self.codes: list[str] = []  # for rapidfuzz, which compares them all in C
        self.entries: list[tuple[Title, Headline]] = []

    def add(self, shape: Title, headline: Headline) -> None:
        self.codes.append(shape.codes)
        self.entries.append((shape, headline))

    def near(self, shape: Title, oldest: int) -> list[Headline]:
        """The headlines one word apart from ``shape`` (:func:`near_titles`)."""
        # One word apart: a common subsequence of the longer length less one.
        least = max(len(shape.codes), len(self.codes[0])) - 1
        hits = process.extract(
            shape.codes, self.codes, scorer=LCSseq.similarity, score_cutoff=least, limit=None
        )
        found = []
        for _, _, at in sorted(hits, key=lambda hit: hit[2]):  # in the order added
            other, headline = self.entries[at]
            if headline.ts >= oldest and near_titles(shape, other):
                found.append(headline)
        return found

    def since(self, oldest: int) -> _Bucket:
        live = _Bucket()
        for shape, headline in self.entries:
            if headline.ts >= oldest:
                live.add(shape, headline)
        return live


class Headlines:
    """The window's stored Google News headlines, by their publisher's site, for
    an article of that site to find its own (:meth:`find`).

    An article of a site without headlines costs one set lookup; of a site with
    some, a dict lookup by title, one by its first two words (cut headlines),
    and a rapidfuzz comparison (LCS of the word codes) with each of the site's
    headlines whose length is one word apart at most (edited titles).
    """

    def __init__(self) -> None:
        self.sites: set[str] = set()
        self._exact: dict[tuple[str, str], Headline] = {}  # (site, key) -> the first
        self._cut: dict[tuple[str, str], list[tuple[str, Headline]]] = {}
        # (site, number of content words) -> whole titles of NEAR_MIN_WORDS or more
        self._near: dict[tuple[str, int], _Bucket] = {}
        self._ids: dict[int, tuple[str, int]] = {}  # item id -> (site, ts)

    def add(self, site: str, title: str, headline: Headline) -> None:
        """Remember a headline of ``site`` (``title`` without Google's suffix)."""
        if not site:
            return
        self._ids[headline.item_id] = (site, headline.ts)
        shape = Title.of(title)
        if shape.kept:
            self._cut.setdefault((site, shape.kept[:2]), []).append((shape.kept, headline))
            self.sites.add(site)
            return
        if shape.key:
            self._exact.setdefault((site, shape.key), headline)
            self.sites.add(site)
        if len(shape.codes) >= NEAR_MIN_WORDS:
            self._near.setdefault((site, len(shape.codes)), _Bucket()).add(shape, headline)

    def find(self, site: str, title: str, oldest: int) -> Headline | None:
        """The headline of ``site`` (fetched at ``oldest`` or later) that an article
        titled ``title`` pairs with: the first of its very title, else the one
        whose cut or edited title is its (``None`` when two stories would be)."""
        if site not in self.sites:
            return None
        shape = Title.of(title)
        if not shape.key:  # cut, or short: finds nothing
            return None
        exact = self._exact.get((site, shape.key))
        if exact is not None and exact.ts >= oldest:
            return exact
        found = [
            headline
            for kept, headline in self._cut.get((site, shape.codes[:2]), ())
            if headline.ts >= oldest and cut_pairs(kept, shape.codes)
        ]
        if len(shape.codes) >= NEAR_MIN_WORDS:
            for length in (len(shape.codes) - 1, len(shape.codes), len(shape.codes) + 1):
                bucket = self._near.get((site, length))
                if bucket is not None:
                    found += bucket.near(shape, oldest)
        return found[0] if len({h.story_id for h in found}) == 1 else None

    def site_of(self, item_id: int) -> str:
        """The publisher's site of a stored headline, ``""`` for another item."""
        return self._ids.get(item_id, ("", 0))[0]

    def prune(self, oldest: int) -> None:
        """Forget the headlines fetched before ``oldest``."""
        self._exact = {k: h for k, h in self._exact.items() if h.ts >= oldest}
        self._cut = {
            k: kept for k, v in self._cut.items() if (kept := [e for e in v if e[1].ts >= oldest])
        }
        self._near = {k: live for k, v in self._near.items() if (live := v.since(oldest)).codes}
        self.sites = (
            {s for s, _ in self._exact} | {s for s, _ in self._cut} | {s for s, _ in self._near}
        )
        self._ids = {i: h for i, h in self._ids.items() if h[1] >= oldest}
