"""Two different stories of one site whose titles are one word apart must not
pair a Google News headline with the other story's article (review, session 12).

``Headlines.find`` pairs an article with a headline of its site whose title is
one content word apart (an edited title). The words compared are the
fingerprint's content words, without stop words, so a negation ("ne … pas",
"sans") disappears, and a changed place or company name counts as an edit:
the article of the second story then joins the first story's alert and is
never announced.
"""

from __future__ import annotations

import pytest

from watchtower.pipeline.headlines import Headline, Headlines

SITE = "lemonde.fr"


@pytest.mark.parametrize(
    ("headline", "article"),
    [
        # A negation: the stop words "ne" and "pas" are not compared at all.
        ("Acmé va fermer son usine historique de Lille selon les syndicats",
         "Acmé ne va pas fermer son usine historique de Lille selon les syndicats"),
        ("Acmé va fermer son usine historique de Lille avec les syndicats",
         "Acmé va fermer son usine historique de Lille sans les syndicats"),
        # Another city: a second strike, not an edit of the first title.
        ("Grève chez Acmé : les salariés de Lyon votent la reconduction",
         "Grève chez Acmé : les salariés de Paris votent la reconduction"),
        # Another company bought: another deal.
        ("Acmé rachète Globex : les salariés inquiets pour leur emploi",
         "Acmé rachète Initech : les salariés inquiets pour leur emploi"),
    ],
)  # fmt: skip
def test_an_article_of_another_story_one_word_apart_finds_no_headline(
    headline: str, article: str
) -> None:
    headlines = Headlines()
    headlines.add(SITE, headline, Headline(item_id=1, story_id=10, ts=100))

    assert headlines.find(SITE, article, 0) is None


def test_an_edited_title_still_pairs() -> None:
    # Guard: an ordinary edit (one common word changed) keeps pairing.
    headlines = Headlines()
    title = "Panne géante chez Acmé : des milliers de clients privés de leurs comptes"
    headlines.add(SITE, title, Headline(item_id=1, story_id=10, ts=100))

    edited = title.replace("géante", "massive")
    assert headlines.find(SITE, edited, 0) == Headline(item_id=1, story_id=10, ts=100)
