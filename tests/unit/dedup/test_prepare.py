"""Item identity (``prepare``): URL key, content hash and near-duplicate words.

An item whose URL is the page it was found on (``Item.shared_url``: App Store
reviews, JSON-LD reviews without a ``url``) gets no URL key, a content hash
that includes its guid, and near-duplicate words from its own text only.
"""

from __future__ import annotations

from datetime import UTC, datetime

from watchtower.models import Item
from watchtower.pipeline.fingerprint import fingerprint
from watchtower.pipeline.neardup import NearDuplicateIndex
from watchtower.pipeline.normalise_items import prepare

APP = "https://itunes.apple.com/fr/review?id=1400000000&type=Purple%20Software"
PAGE = "https://avis.example.fr/banque-acme-lyon"
SUBJECT = "Banque Acme – agence Lyon Part-Dieu"


def review(guid: str, title: str, text: str, url: str = APP) -> Item:
    return Item(guid=guid, url=url, shared_url=True, title=title, text=text)


def test_an_article_is_keyed_by_its_url_and_its_words() -> None:
    a, b = prepare(
        [
            Item(guid="1", url="https://journal.fr/a?utm_source=x", title="Acme", text="Texte."),
            Item(guid="2", url="https://www.journal.fr/a", title="Acme", text="Texte."),
        ]
    )
    assert a.url_hash and a.url_hash == b.url_hash
    assert a.content_hash == b.content_hash == str(fingerprint("Acme", "Texte.").content_hash)


def test_a_shared_url_links_but_does_not_key() -> None:
    [p] = prepare([review("appstore:1", "Nul", "Acme Banque, nul.")])
    assert p.url_hash == ""
    assert p.canonical_url == APP  # still the notification's link


def test_same_words_in_two_reviews_are_two_contents_the_same_review_one() -> None:
    first, second = prepare(
        [review("appstore:1", "Nul", "Acme Banque, nul."), review("appstore:2", "Nul", "Nul.")]
    )
    other = prepare([review("appstore:2", "Nul", "Acme Banque, nul.")])[0]
    again = prepare([review("appstore:1", "NUL", "acme banque nul")])[0]  # normalised
    assert first.content_hash != other.content_hash  # same words, another review
    assert first.content_hash == again.content_hash  # the same review, from another source
    assert first.fingerprint.content_hash == int(first.content_hash)  # the stored blob agrees
    assert second.content_hash != first.content_hash


def test_an_edited_review_changes_its_content_hash() -> None:
    before = prepare([review("appstore:1", "Bof", "Acme Banque, lent.")])[0]
    after = prepare([review("appstore:1", "Bof", "Acme Banque, très lent.")])[0]
    assert before.content_hash != after.content_hash


def test_a_made_up_title_does_not_make_reviews_near_duplicates() -> None:
    """Titled with the business they review, two short reviews would share most words."""
    now = datetime(2026, 3, 4, tzinfo=UTC)
    karim, sophie = prepare(
        [
            review("r1", f"{SUBJECT} · ★★★★☆ 4/5 · Karim", "Accueil correct.", PAGE),
            review("r2", f"{SUBJECT} · ★☆☆☆☆ 1/5 · Sophie", "Très bien, rien à dire.", PAGE),
        ]
    )
    index = NearDuplicateIndex()
    index.add(1, karim.fingerprint, now)
    assert index.find(sophie.fingerprint, now=now) is None
    assert karim.fingerprint.words == fingerprint("", "Accueil correct.").words

    # The same titles on ordinary items would have matched: the words are the title's.
    unshared = [
        Item(guid=p.item.guid, title=p.item.title, text=p.item.text) for p in (karim, sophie)
    ]
    plain = prepare(unshared)
    index = NearDuplicateIndex()
    index.add(1, plain[0].fingerprint, now)
    assert index.find(plain[1].fingerprint, now=now) is not None


def test_copies_of_a_long_review_are_still_near_duplicates() -> None:
    text = (
        "Depuis la mise à jour de mars, l'application Acme Banque plante à chaque ouverture "
        "et le service client ne répond plus aux messages envoyés depuis l'espace personnel."
    )
    now = datetime(2026, 3, 4, tzinfo=UTC)
    a, b = prepare(
        [review("site-a:1", "Plante", text, PAGE), review("site-b:9", "", text + " (traduit)")]
    )
    index = NearDuplicateIndex()
    index.add(1, a.fingerprint, now)
    found = index.find(b.fingerprint, now=now)
    assert found is not None and found.doc_id == 1


def test_a_non_http_link_is_no_link_at_all() -> None:
    """``javascript:``/``data:`` links are dropped: not linked, not stored, not keyed."""
    [js, data] = prepare(
        [
            Item(guid="1", url="javascript:alert(document.cookie)", title="Acme", text="A."),
            Item(guid="2", url="data:text/html;base64,PHNjcmlwdD4=", title="Acme", text="B."),
        ]
    )
    for p in (js, data):
        assert p.canonical_url == p.item.url == p.url_hash == ""
        assert p.content_hash  # still a story, found by its words
