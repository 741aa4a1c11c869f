"""Fingerprints: exact content hash, word codes, blob round-trip, similarity."""

from __future__ import annotations

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from watchtower.pipeline.fingerprint import (
    MAX_WORDS,
    STOPWORDS,
    Fingerprint,
    fingerprint,
    similarity,
    word_code,
)
from watchtower.pipeline.normalise import normalise

TEXT = (
    "Le fabricant lyonnais Acme a annoncé mardi le rappel de 12 000 trottinettes "
    "électriques du modèle Urban X, vendues en France et en Belgique depuis janvier."
)


def test_content_hash_ignores_case_accents_punctuation_and_spacing() -> None:
    a = fingerprint("Acme rappelle", TEXT)
    b = fingerprint("ACME  rappelle !", TEXT.upper().replace("É", "E").replace(",", " ,"))
    assert a.content_hash == b.content_hash
    assert a.words == b.words


def test_content_hash_changes_with_a_word_and_with_title_text_split() -> None:
    base = fingerprint("Acme rappelle", TEXT)
    assert fingerprint("Acme rappelle", TEXT.replace("mardi", "lundi")).content_hash != (
        base.content_hash
    )
    assert fingerprint("Acme", "rappelle " + TEXT).content_hash != base.content_hash


def test_words_drop_stopwords_and_are_capped() -> None:
    fp = fingerprint("", "le la de the of acme")
    assert fp.words == chr(word_code("acme"))
    long = fingerprint("", " ".join(f"mot{i}" for i in range(500)))
    assert len(long.words) == MAX_WORDS


def plain_words(title: str, text: str, max_words: int) -> str:
    """The definition of ``Fingerprint.words``, one word at a time: the title's
    words, then the text's, without the title again when the text starts with it.
    Hashtags and @handles stay whole (``tags=False``): their parts help matching,
    not identity."""
    title_words = normalise(title, tags=False).split()
    text_words = normalise(text, tags=False).split()
    if title_words and text_words[: len(title_words)] == title_words:
        text_words = text_words[len(title_words) :]
    codes = [
        chr(word_code(word))
        for word in (*title_words, *text_words)
        if len(word) >= 2 and word not in STOPWORDS
    ]
    return "".join(codes[:max_words])


def test_a_text_repeating_its_title_counts_the_title_once() -> None:
    headline = "Banque Acmé : panne géante"
    once = fingerprint(headline, "")
    assert fingerprint(headline, headline).words == once.words
    assert fingerprint(headline, f"{headline} - Ouest-France").words == (
        fingerprint(f"{headline} - Ouest-France", "").words
    )
    # whole words only: "Acm" is not the start of "Acmé recrute"
    assert fingerprint("Acm", "Acmé recrute").words == fingerprint("", "acm acme recrute").words
    # the exact hash still covers both (an edit of the text is an edit)
    assert fingerprint(headline, headline).content_hash != once.content_hash


WORDS = st.sampled_from(["le", "de", "l'acme", "a", "x", "été", "banque", "mot", "the", "service"])


@given(
    st.lists(WORDS, max_size=8).map(" ".join),
    st.lists(WORDS | st.text(max_size=6), max_size=700).map(" ".join),
    st.sampled_from([1, 5, MAX_WORDS]),
)
@example("", "@00A", 1)  # a handle whose parts are not words of the fingerprint
@example("#BoycottAcme", "", 5)
def test_words_match_their_word_by_word_definition(title: str, text: str, limit: int) -> None:
    # The fast path maps words to characters through a cache, in chunks: long runs of
    # stop-words before the content words must not change what is kept.
    assert fingerprint(title, text, max_words=limit).words == plain_words(title, text, limit)


def test_content_words_after_a_long_run_of_stopwords_are_kept() -> None:
    fp = fingerprint("", "le " * 1_000 + "acme banque")
    assert fp.words == chr(word_code("acme")) + chr(word_code("banque"))


def test_word_codes_are_stable_and_never_surrogates() -> None:
    assert word_code("acme") == word_code("acme")
    codes = {word_code(f"w{i}") for i in range(20_000)}
    assert all(not 0xD800 <= c <= 0xDFFF for c in codes)


@given(st.text(max_size=300), st.text(max_size=2000))
def test_blob_round_trip(title: str, text: str) -> None:
    fp = fingerprint(title, text)
    blob = fp.to_bytes()
    assert Fingerprint.from_bytes(blob) == fp
    assert len(blob) <= 9 + 2 * MAX_WORDS


@pytest.mark.parametrize("blob", [b"", b"\x02" + bytes(8), b"\x01" + bytes(9)])
def test_from_bytes_rejects_other_versions(blob: bytes) -> None:
    with pytest.raises(ValueError):
        Fingerprint.from_bytes(blob)


def test_similarity_is_containment() -> None:
    words = fingerprint("", TEXT).words
    assert similarity(words, words) == 1.0
    assert similarity(words[:6], words) == 1.0  # truncation
    assert similarity("xyz" + words + "uvw", words) == 1.0  # boilerplate around
    assert similarity(words, "") == 0.0
    assert 0.8 < similarity(words[:5] + "q" + words[6:], words) < 1.0


def test_hashtag_parts_do_not_change_an_item_identity() -> None:
    """Matching splits #BoycottAcme into its parts; the fingerprint keeps the tag as
    written, so an item stored before that rule is not seen as edited."""
    tagged = fingerprint("Service client", "Trois semaines sans réponse #BoycottAcme @AcmeSupport")
    assert tagged.words == fingerprint("Service client", "Trois semaines sans réponse").words + (
        fingerprint("", "boycottacme acmesupport").words
    )
    assert (
        tagged.content_hash
        == fingerprint(
            "Service client", "Trois semaines sans réponse #boycottacme @acmesupport"
        ).content_hash
    )
