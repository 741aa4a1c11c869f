"""The excerpt quotes the passage that matched: a long article's crisis
sentence, not its first lines (the real matcher finds the words, payload_for
builds the excerpt, run_batch queues it)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from watchtower.config import BrandConfig, Config, RuleConfig
from watchtower.models import Item, Match
from watchtower.pipeline.dedup import StoryIndex
from watchtower.pipeline.excerpt import EXCERPT_CHARS, LEAD_CHARS, excerpt
from watchtower.pipeline.match import Matcher
from watchtower.pipeline.normalise_items import prepare
from watchtower.pipeline.runner import RunContext, payload_for, run_batch
from watchtower.storage.db import Database
from watchtower.storage.tables import OutboxRow, SourceRow

NOW = datetime(2026, 11, 24, 9, 0, tzinfo=UTC)
ACME = BrandConfig(name="Acmé", terms=["Acmé"])
CRISE = RuleConfig(name="crise", query="fuite OR données", severity="critical")
#: About 1,500 characters on yoghurts, then the one sentence that matters.
YAOURTS = "Le marché des yaourts évolue. " + (
    "Les ventes de desserts lactés progressent dans les grandes surfaces du pays. " * 18
)
LEAK = "Acmé a subi une fuite de données."
ARTICLE = YAOURTS + LEAK


def shown(text: str, rules: list[RuleConfig], title: str = "Brève", source: str = "presse") -> str:
    """The excerpt of an item as the pipeline builds it, matched by the real matcher."""
    [p] = prepare([Item(guid="1", url="https://site.fr/a", title=title, text=text)])
    matches = Matcher([ACME], rules).match(p.item, source)
    assert matches, "the test item must match"
    severities = {r.name: r.severity for r in rules}
    return str(payload_for(p, source, matches, severities)["excerpt"])


def assert_cut_between_words(text: str, excerpt_: str) -> None:
    """A passage of ``text``, "…" where cut, no word cut in half, no longer than a start."""
    assert excerpt_.startswith("…")
    body = excerpt_[1:].removesuffix("…")
    begin = text.index(body)
    assert text[begin - 1].isspace() and not body[0].isspace()
    end = begin + len(body)
    assert end == len(text) or not text[end].isalnum() or text[end - 1] in ".,;:"
    assert len(excerpt_) <= EXCERPT_CHARS + 1


def test_the_crisis_sentence_at_the_end_of_a_long_article_is_quoted() -> None:
    # The reviewer's case: the start ("Le marché des yaourts évolue.") says nothing.
    assert len(ARTICLE) > 1400
    got = shown(ARTICLE, [CRISE])
    assert got.endswith(LEAK)  # the passage, up to the end of the text: no trailing "…"
    assert "Le marché des yaourts" not in got
    assert_cut_between_words(ARTICLE, got)


def test_the_window_starts_about_a_hundred_characters_before_the_word() -> None:
    text = ARTICLE + " " + YAOURTS  # the crisis sentence in the middle
    got = shown(text, [CRISE])
    assert LEAK in got and got.endswith("…")
    assert_cut_between_words(text, got)
    before = got.index("fuite") - 1  # characters shown before the word
    assert LEAD_CHARS - 20 <= before <= LEAD_CHARS


def test_the_rules_words_are_preferred_to_the_brand_named_at_the_start() -> None:
    # "Acmé" is in the first lines, "fuite" much later: the reader wants the crisis words.
    text = "Acmé publie ses résultats. " + YAOURTS + "Une fuite de données touche ses clients."
    got = shown(text, [CRISE])
    assert "Une fuite de données touche ses clients." in got
    assert not got.startswith("Acmé publie")


def test_the_brand_is_quoted_when_no_rule_word_matched() -> None:
    text = YAOURTS + "Acmé lance un yaourt à la fraise. " + YAOURTS
    got = shown(text, [])
    assert "Acmé lance un yaourt à la fraise." in got
    assert_cut_between_words(text, got)


def test_the_highest_severity_mention_chooses_the_passage() -> None:
    partenariat = RuleConfig(name="veille", query="partenariat", severity="info")
    text = (
        YAOURTS
        + "Acmé signe un partenariat avec Zeta. "
        + YAOURTS
        + "Acmé a subi une fuite de données. "
        + YAOURTS
    )
    got = shown(text, [partenariat, CRISE])
    assert "Acmé a subi une fuite de données." in got and "partenariat" not in got
    # The other way round, the partnership is what matters most.
    calm = CRISE.model_copy(update={"severity": "info"})
    loud = partenariat.model_copy(update={"severity": "warning"})
    got = shown(text, [calm, loud])
    assert "Acmé signe un partenariat avec Zeta." in got and "fuite" not in got


@pytest.mark.parametrize(
    ("title", "text"),
    [
        # Matched only in the title: the text's start, as before.
        ("Acmé : fuite de données", YAOURTS),
        # The words are in the first lines already.
        ("Brève", "Acmé a subi une fuite de données. " + YAOURTS),
    ],
)
def test_the_start_is_kept_when_it_shows_the_match(title: str, text: str) -> None:
    got = shown(text, [CRISE], title=title)
    assert got == excerpt(text)  # the start, cut between words
    assert text.startswith(got.removesuffix("…"))


def test_a_short_text_is_whole() -> None:
    assert shown(LEAK, [CRISE]) == LEAK


@pytest.mark.parametrize("at", range(0, len(YAOURTS), 97))
def test_every_position_shows_the_word_within_the_length(at: int) -> None:
    # Wherever the crisis word falls (start, middle, end, inside a long text),
    # it is in the excerpt, the excerpt is a passage cut between words, never longer.
    at = YAOURTS.find(" ", at) + 1  # between two words (YAOURTS ends with a space)
    text = YAOURTS[:at] + LEAK + " " + YAOURTS[at:]
    got = shown(text, [CRISE])
    assert "fuite" in got
    if got.startswith("…"):
        assert_cut_between_words(text, got)
    else:
        assert text.startswith(got.removesuffix("…"))
    assert len(got) <= EXCERPT_CHARS + 1


def test_a_brand_implied_by_its_source_keeps_the_start() -> None:
    # A brand's own review page names no word: nothing to point at.
    implied = Match("Acmé", None, ())
    assert excerpt(ARTICLE, [implied]) == excerpt(ARTICLE)


@pytest.fixture
def db(database_url: str) -> Iterator[Database]:
    database = Database(database_url)
    database.upgrade()
    with database.session() as session:
        session.add(
            SourceRow(
                name="presse", kind="rss", url="https://presse.fr/", cursor={}, next_check_at=NOW
            )
        )
    yield database
    database.dispose()


def test_the_queued_notification_quotes_the_crisis_sentence(db: Database) -> None:
    config = Config(brands=[ACME], rules=[CRISE.model_copy(update={"notify": ["console:"]})])
    item = Item(guid="1", url="https://presse.fr/yaourts", title="Les yaourts", text=ARTICLE)
    with db.writing() as session:
        source_id = session.scalar(select(SourceRow.id).where(SourceRow.name == "presse"))
        assert source_id is not None
        ctx = RunContext(config, Matcher(config.brands, config.rules), StoryIndex(), session, NOW)
        assert run_batch(ctx, source_id, "presse", [item]).queued == 1
    with db.session() as session:
        [row] = session.scalars(select(OutboxRow)).all()
        assert row.payload["excerpt"].endswith(LEAK)
        assert row.payload["excerpt"].startswith("…")
        assert row.payload["terms"] == ["Acmé", "fuite", "données"]
