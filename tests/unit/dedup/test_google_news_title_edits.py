"""A headline whose title Google cut ("…") or the site edited, and its article:
the title rules (``pipeline/headlines.py``), the table of stored headlines an
article looks in (``Headlines``) and the index scan a headline looks in
(``NearDuplicateIndex.opening_like``).

The end-to-end cases are in ``tests/e2e/test_google_news_title_edits.py``.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from watchtower.pipeline.fingerprint import fingerprint
from watchtower.pipeline.headlines import (
    Headline,
    Headlines,
    Title,
    cut_pairs,
    headline_key,
    near_titles,
)
from watchtower.pipeline.neardup import NearDuplicateIndex
from watchtower.pipeline.sites import site_key

RECALL = "Acmé rappelle 10 000 voitures après une série d'incidents sur l'autoroute A7"
PANNE = "Panne géante chez Acmé : des milliers de clients privés de leurs comptes"
NAVETTES = "Grève chez Acmé : trafic des navettes très perturbé jeudi en Île-de-France"
KEPT = "Acmé rappelle 10 000 voitures après une série d'incidents sur"
LEAD = "Depuis ce mercredi matin, les clients d'Acmé ne peuvent plus se connecter."
NOW = datetime(2026, 3, 4, 10, tzinfo=UTC)
TS = int(NOW.timestamp())
LEMONDE = site_key("https://www.lemonde.fr/")


@pytest.mark.parametrize(
    ("headline", "kept"),
    [
        ("Acmé rappelle 10 000 voitures après une série d'incidents sur …", KEPT),
        ("Acmé rappelle 10 000 voitures après une série d'incidents sur...", KEPT),
        ("Acmé rappelle 10 000 voitures après une série d'incidents sur l'auto…", KEPT),
        ("Grève chez Acmé : la direction …", ""),  # too few words kept
        (RECALL, ""),  # not cut
    ],
)  # fmt: skip
def test_a_cut_headline_keeps_its_whole_words(headline: str, kept: str) -> None:
    assert Title.of(headline).kept == (fingerprint(kept, "").words if kept else "")


@pytest.mark.parametrize(
    ("headline", "title", "pairs"),
    [
        ("Acmé rappelle 10 000 voitures après une série d'incidents sur …", RECALL, True),
        ("Acmé rappelle 10 000 voitures après une série d'incidents …", RECALL, True),
        ("Acmé rappelle 10 000 voitures après une série d'incidents sur …",
         RECALL.replace("Acmé", "Acme"), True),  # accents do not count
        ("Acmé rappelle 10 000 camions après une série d'incidents sur …", RECALL, False),
        ("Acmé rappelle 10 000 voitures …", RECALL, False),  # four words kept
        # Six words kept, under half of the title: another story of the site.
        ("Grève chez Acmé : les syndicats appellent les salariés …",
         "Grève chez Acmé : les syndicats appellent les salariés de Lyon, Lille, Nantes, "
         "Rennes, Brest et Toulouse à cesser le travail", False),
    ],
)  # fmt: skip
def test_a_cut_headline_pairs_with_the_title_it_starts(
    headline: str, title: str, pairs: bool
) -> None:
    assert cut_pairs(Title.of(headline).kept, Title.of(title).codes) is pairs


@pytest.mark.parametrize(
    ("title", "other", "near"),
    [
        (PANNE, PANNE.replace("géante", "massive"), True),  # a word changed
        (PANNE, PANNE.replace("des milliers", "des centaines de milliers"), True),  # added
        (PANNE, PANNE.replace("géante ", ""), True),  # dropped
        (PANNE, "VIDÉO. " + PANNE, True),
        (PANNE, PANNE.replace("géante", "massive").replace("clients", "usagers"), False),
        (PANNE, PANNE.replace("milliers", "centaines").replace("comptes", "cartes"), False),
        (NAVETTES, NAVETTES.replace("jeudi", "vendredi"), False),  # the next of a series
        (NAVETTES, NAVETTES.replace("jeudi", "5 mars"), False),
        (RECALL, RECALL.replace("10 000", "12 000"), False),  # a number
        (RECALL, RECALL.replace("A7", "A9"), False),
        ("Acmé : panne géante des comptes clients",
         "Acmé : panne massive des comptes clients", False),  # five words: one in five
        (PANNE + " …", PANNE, False),  # a cut title is no edit
    ],
)  # fmt: skip
def test_an_edited_title_is_one_word_apart(title: str, other: str, near: bool) -> None:
    assert near_titles(Title.of(title), Title.of(other)) is near
    assert near_titles(Title.of(other), Title.of(title)) is near


@pytest.mark.parametrize(
    ("title", "other", "one"),
    [
        (PANNE, PANNE + " | Le Parisien", True),
        (PANNE, PANNE + " | leparisien.fr", True),
        (PANNE, PANNE + " | Les clients racontent leur journée sans banque", False),
        ("Acmé | Le Parisien", "Acmé", False),  # too short either way
    ],
)  # fmt: skip
def test_a_sites_name_after_the_title_does_not_count(title: str, other: str, one: bool) -> None:
    assert (headline_key(title) == headline_key(other) != "") is one


def headlines(*entries: tuple[str, int, int]) -> Headlines:
    """Stored headlines of lemonde.fr: ``(title, item id, story)``, fetched at ``TS``."""
    table = Headlines()
    for title, item_id, story in entries:
        table.add("lemonde.fr", title, Headline(item_id, story, TS))
    return table


CUT = "Acmé rappelle 10 000 voitures après une série d'incidents sur …"


@pytest.mark.parametrize(
    ("article", "story"),
    [
        (RECALL, 1),
        (PANNE.replace("géante", "massive"), 2),
        (PANNE + " | Le Monde", 2),
        (PANNE.replace("géante", "massive") + " | Le Monde", 2),
        (PANNE.replace("milliers", "centaines").replace("comptes", "cartes"), None),
        ("Acmé rappelle 10 000 camions après une série d'incidents sur l'autoroute A7", None),
    ],
)  # fmt: skip
def test_an_article_finds_its_cut_or_edited_headline(article: str, story: int | None) -> None:
    table = headlines((CUT, 10, 1), (PANNE, 11, 2))
    found = table.find("lemonde.fr", article, TS)
    assert (found.story_id if found else None) == story
    assert table.find("lefigaro.fr", article, TS) is None  # another site's article
    assert table.find("lemonde.fr", article, TS + 1) is None  # out of the window


def test_an_article_starting_two_stories_cut_headlines_pairs_with_neither() -> None:
    cut = "Acmé rappelle 10 000 voitures après une série …"
    assert headlines((CUT, 10, 1), (cut, 11, 2)).find("lemonde.fr", RECALL, TS) is None
    assert headlines((CUT, 10, 1), (cut, 11, 1)).find("lemonde.fr", RECALL, TS) is not None


def test_the_very_title_wins_over_an_edited_one() -> None:
    table = headlines((PANNE.replace("géante", "massive"), 10, 1), (PANNE, 11, 2))
    assert table.find("lemonde.fr", PANNE, TS) == Headline(11, 2, TS)


def test_pruned_headlines_are_forgotten() -> None:
    table = headlines((CUT, 10, 1), (PANNE, 11, 2))
    table.add("lefigaro.fr", PANNE, Headline(12, 3, TS + 100))
    table.prune(TS + 1)
    assert table.find("lemonde.fr", RECALL, 0) is None
    assert table.find("lemonde.fr", PANNE.replace("géante", "massive"), 0) is None
    assert table.sites == {"lefigaro.fr"}
    assert (table.site_of(10), table.site_of(12)) == ("", "lefigaro.fr")


def test_the_site_scan_finds_an_article_whose_title_is_one_word_apart() -> None:
    """``opening_like`` reads the site's items (title then lead), whatever their
    sampled keys; the title check is the caller's."""
    index = NearDuplicateIndex()
    index.add(1, fingerprint(PANNE.replace("géante", "massive"), LEAD), NOW, site=LEMONDE)
    index.add(2, fingerprint("VIDÉO. " + PANNE, LEAD), NOW, site=LEMONDE)
    two_words = PANNE.replace("géante", "massive").replace("clients", "usagers")
    index.add(3, fingerprint(two_words, LEAD), NOW, site=LEMONDE)
    index.add(4, fingerprint(PANNE, LEAD), NOW, site=site_key("https://www.lefigaro.fr/"))
    index.add(5, fingerprint(PANNE.replace("Panne", "Coupure"), LEAD), NOW, site=LEMONDE)
    words = Title.of(PANNE).codes
    assert index.opening_like(words, site=LEMONDE, now=NOW) == [1, 2, 5]
    assert index.opening_like(words, site=LEMONDE, now=NOW + timedelta(days=8)) == []
    assert index.opening_like(words, site=0) == []
    assert NearDuplicateIndex().opening_like(words, site=LEMONDE) == []


@pytest.mark.parametrize(
    "title",
    [PANNE, RECALL, NAVETTES, "L'État et Acmé : « accord trouvé » sur les frais — enfin ?", ""],
)
def test_a_titles_codes_are_its_fingerprints_words(title: str) -> None:
    """The index holds fingerprint words: a title read otherwise would find nothing."""
    assert Title.of(title).codes == fingerprint(title, "").words
    assert len(Title.of(title).words) == len(Title.of(title).codes)
