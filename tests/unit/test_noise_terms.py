"""What ``watchtower noise`` reads in the marked mentions: phrases as the matcher
reads them (case, accents, elisions), without function words at their ends, and
suggestions written as a query or a config reads them."""

from __future__ import annotations

import pytest

from watchtower.feedback import checks_passed, not_relevant
from watchtower.models import Item
from watchtower.noise_terms import Mention, over_represented, phrases, query_excluding
from watchtower.pipeline.match import parse_query


def mention(title: str, marked: bool) -> Mention:
    return Mention(0, "presse", Item(guid=title, title=title), ("Orange",), (), marked)


@pytest.mark.parametrize(
    ("title", "present", "absent"),
    [
        ("Un JUS D'ORANGE pressé", {("jus", "orange"): "jus d'orange"}, [("un",), ("un", "jus")]),
        ("Le jus d’Orange", {("jus", "orange"): "jus d’orange"}, [("le",), ("le", "jus")]),
        ("jus, orange", {("jus",): "jus"}, [("jus", "orange")]),  # not across punctuation
        ("#JusDOrange du jour", {("jusdorange",): "jusdorange"}, [("orange", "jusdorange")]),
    ],
)
def test_phrases(
    title: str, present: dict[tuple[str, ...], str], absent: list[tuple[str, ...]]
) -> None:
    found = phrases(Item(guid="x", title=title))
    for words, written in present.items():
        assert found.get(words) == written
    for words in absent:
        assert words not in found


def test_over_represented_counts_mentions_and_ignores_accents_and_case() -> None:
    ranked = over_represented(
        [
            mention("Jus d'orange PRESSÉ", True),
            mention("jus d’orange pressé", True),
            mention("Un jus d'Orange", True),
            mention("Orange pressée par ses clients", False),
        ]
    )
    top = {p.text: (p.marked, p.others) for p in ranked}
    assert top["jus d'orange"] == (3, 0)
    assert top["jus"] == (3, 0)
    assert "orange" not in top  # in every mention: not over-represented


@pytest.mark.parametrize(
    ("terms", "expected"),
    [
        (["jus"], "(panne OR jus) AND NOT (jus)"),
        (["jus d'orange", "or"], '(panne OR jus) AND NOT ("jus d\'orange" OR "or")'),
    ],
)
def test_query_excluding_is_a_valid_query(terms: list[str], expected: str) -> None:
    query = query_excluding("panne OR jus", terms)
    assert query == expected
    parse_query(query)


def test_not_relevant_reactions() -> None:
    assert not_relevant([{"name": "white_check_mark", "users": ["U1"]}]) is None
    assert not_relevant([{"name": "thumbsdown", "users": ["U2"]}]) == ("thumbsdown", "U2")
    assert not_relevant([{"name": "-1::skin-tone-4", "users": ["U3"]}]) == ("-1", "U3")


def test_a_late_read_counts_for_every_age_it_passed() -> None:
    from datetime import timedelta

    assert [checks_passed(timedelta(hours=h)) for h in (0, 1, 7, 30)] == [0, 1, 2, 3]
