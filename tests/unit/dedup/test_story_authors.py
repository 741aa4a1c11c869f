"""Two members' posts on one forum are two stories, not one.

"A site publishes a story once" holds for a newspaper, not for a forum or a
review page: there, each item is its author's own words. Two items of one site
by two different, known authors are never one story, however alike (nor by
the same text); the same author's cross-post may still join (at 0.9, as any
two items of one site); items of different sites, and items without an
author, keep the near-duplicate rules (a syndicated dispatch is signed
differently on each site). The author of a stored item is read from the
``items`` table, so a restarted or another replica's index agrees.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from sqlalchemy import func, select

from watchtower.config import Config
from watchtower.models import Item
from watchtower.pipeline import sites
from watchtower.pipeline.dedup import StoryIndex
from watchtower.pipeline.fingerprint import fingerprint
from watchtower.pipeline.match import Matcher
from watchtower.pipeline.neardup import NearDuplicateIndex
from watchtower.pipeline.runner import RunContext, run_batch
from watchtower.pipeline.sites import author_key, site_key
from watchtower.storage.db import Database
from watchtower.storage.tables import ItemRow, SourceRow, StoryRow

NOW = datetime(2026, 11, 24, 20, 0, tzinfo=UTC)
FORUM = "https://forum.example.fr/viewtopic.php?t={topic}&p={post}#p{post}"
COMPLAINT = (
    "Banque Acmé, encore une panne de l'appli ce soir, impossible de me connecter à mon "
    "compte ni de faire le moindre virement, {end}"
)
ENDS = ["vraiment pénible", "franchement lamentable", "ras le bol", "quelle honte", "bravo"]
DISPATCH = (
    "Des centaines de clients de la Banque Acmé dénoncent des prélèvements effectués deux "
    "fois sur leur compte courant depuis la migration informatique de la semaine dernière."
)


@pytest.fixture
def db(database_url: str) -> Iterator[Database]:
    database = Database(database_url)
    database.upgrade()
    with database.session() as session:
        for name in ("forum", "forum-topic", "presse"):
            session.add(
                SourceRow(
                    name=name, kind="rss", url=f"https://{name}/", cursor={}, next_check_at=NOW
                )
            )
    yield database
    database.dispose()


def post(n: int, author: str | None, *, end: str | None = None, topic: int = 0) -> Item:
    """Member ``author``'s complaint, post ``n`` of topic ``topic`` (``n`` by default)."""
    return Item(
        guid=f"p{n}",
        url=FORUM.format(topic=topic or n, post=n),
        title=f"Re: Panne de l'appli Acmé ({topic or n})",
        text=COMPLAINT.format(end=end if end is not None else ENDS[n % len(ENDS)]),
        author=author,
    )


def batch(db: Database, stories: StoryIndex, source: str, *items: Item) -> None:
    with db.writing() as session:
        source_id = session.scalar(select(SourceRow.id).where(SourceRow.name == source))
        assert source_id is not None
        run_batch(
            RunContext(Config(), Matcher([], []), stories, session, NOW),
            source_id,
            source,
            list(items),
        )


def story_of(db: Database) -> dict[str, int]:
    """Each stored item's story, by guid."""
    with db.session() as session:
        return {
            guid: story for guid, story in session.execute(select(ItemRow.guid, ItemRow.story_id))
        }


def story_count(db: Database) -> int:
    with db.session() as session:
        return int(session.scalar(select(func.count()).select_from(StoryRow)) or 0)


# ------------------------------------------------------------------- the key
def test_an_author_is_the_same_however_a_feed_spells_it() -> None:
    assert author_key("client1") == author_key("Client1") == author_key(" @client1 ")
    assert author_key("Hélène Dupont") == author_key("helene  dupont")
    assert author_key("client1") != author_key("client2")
    assert author_key(None) == author_key("") == author_key(" @ ") == 0


# ------------------------------------------------------- the near-duplicate index
def test_the_index_never_takes_another_members_post_on_the_same_site_for_a_copy() -> None:
    index = NearDuplicateIndex()
    first = fingerprint("Re: Panne", COMPLAINT.format(end="vraiment pénible"))
    index.add(1, first, NOW, story=1, site=site_key(FORUM), author=author_key("client1"))
    again = fingerprint("Re: Panne", COMPLAINT.format(end="vraiment pénible !"))
    forum, other_site = site_key(FORUM), site_key("https://autre-forum.example/t/1")

    assert index.find(again, site=forum, author=author_key("client2")) is None
    # Its author's cross-post, an item of no known author, another site: as before.
    assert index.find(again, site=forum, author=author_key("Client1")) is not None
    assert index.find(again, site=forum) is not None
    assert index.find(again, site=other_site, author=author_key("client2")) is not None


def test_from_rows_and_prune_keep_each_items_author() -> None:
    fp = fingerprint("Re: Panne", COMPLAINT.format(end="vraiment pénible"))
    forum = site_key(FORUM)
    rows = [
        (1, fp.to_bytes(), NOW.timestamp() - 10 * 86400, 1, forum, author_key("ancien")),
        (2, fp.to_bytes(), NOW, 2, forum, author_key("client1")),
    ]
    index = NearDuplicateIndex.from_rows(rows)
    assert index.prune(NOW.timestamp() - 86400) == 1
    assert index.find(fp, site=forum, author=author_key("client2")) is None
    found = index.find(fp, site=forum, author=author_key("client1"))
    assert found is not None and found.doc_id == 2


# ------------------------------------------------------------- story assignment
def test_near_identical_complaints_by_different_members_are_each_their_own_story(
    db: Database,
) -> None:
    """The outage evening: 36 members, the same few words, one forum."""
    stories = StoryIndex()
    batch(db, stories, "forum", *(post(n, f"client{n}") for n in range(1, 25)))
    batch(db, stories, "forum", *(post(n, f"client{n}") for n in range(25, 37)))
    assert len(set(story_of(db).values())) == 36


def test_the_same_text_by_two_members_is_two_stories(db: Database) -> None:
    """Same title and text (the same content hash), two posts of one topic."""
    stories = StoryIndex()
    same = ENDS[1]
    batch(db, stories, "forum", post(1, "client1", topic=7, end=same))
    batch(db, stories, "forum", post(2, "client2", topic=7, end=same))
    batch(db, stories, "forum", post(3, "client3", topic=7, end=same))
    batch(db, stories, "forum-topic", post(4, "client4", topic=7, end=same))
    assert len(set(story_of(db).values())) == 4


def test_a_members_cross_post_is_one_story(db: Database) -> None:
    """The same member, the same complaint in two topics: one person to answer once."""
    stories = StoryIndex()
    batch(db, stories, "forum", post(1, "client1", end="ras le bol"))
    batch(db, stories, "forum", post(2, "client1", end="ras le bol", topic=1))  # same text
    batch(db, stories, "forum", post(3, "Client1", end="ras le bol", topic=9))
    assert len(set(story_of(db).values())) == 1


def test_the_same_post_through_two_feeds_is_one_story(db: Database) -> None:
    """The board's feed and a topic's feed list the same post (its address)."""
    stories = StoryIndex()
    batch(db, stories, "forum", post(1, "client1"))
    batch(db, stories, "forum-topic", post(1, "client1"), post(1, None))
    assert story_count(db) == 1


def test_items_without_an_author_keep_the_same_site_rule(db: Database) -> None:
    stories = StoryIndex()
    batch(db, stories, "forum", post(1, None, end="ras le bol"))
    batch(
        db, stories, "forum", post(2, "client2", end="ras le bol"), post(3, None, end="ras le bol")
    )
    assert len(set(story_of(db).values())) == 1


def test_a_dispatch_signed_differently_on_each_site_is_one_story(db: Database) -> None:
    stories = StoryIndex()
    copies = [
        Item(guid=f"d{i}", url=f"https://www.site{i}.example/eco/acme", title="Acmé",
             text=DISPATCH, author=author)
        for i, author in enumerate(["AFP", "Le Monde avec AFP", "Jean Dupont", None])
    ]  # fmt: skip
    batch(db, stories, "presse", *copies[:2])
    batch(db, stories, "presse", *copies[2:])
    assert story_count(db) == 1


def test_a_restarted_or_other_replicas_index_reads_the_authors_from_the_items(
    db: Database,
) -> None:
    """The author of a stored item comes back from the database: at a rebuild
    (``load``) and at the catch-up before each batch."""
    same = "ras le bol"  # one text: only the authors tell the posts apart
    batch(db, StoryIndex(), "forum", post(1, "client1", end=same))
    restarted = StoryIndex()
    with db.session() as session:
        restarted.load(session, NOW)
    other = StoryIndex()  # another replica: sees post 2 only through its catch-up
    with db.session() as session:
        other.load(session, NOW)
    batch(db, restarted, "forum", post(2, "client2", end=same), post(3, "client1", end=same))
    batch(db, other, "forum", post(4, "client4", end=same), post(5, "client2", end=same))

    stories = story_of(db)
    assert stories["p3"] == stories["p1"]  # client1's own cross-post
    assert stories["p5"] == stories["p2"]
    assert len({stories["p1"], stories["p2"], stories["p4"]}) == 3


# ------------------------------------------- a news site's republication, re-signed
# A news site republishing its article under a new URL signs it again: "Le Monde"
# then "Le Monde avec AFP", or a reporter added. One byline, not two members.
ARTICLE = "https://www.lemonde.example/economie/article/2026/11/24/{slug}.html"
HEADLINE = "Banque Acmé : des prélèvements en double après la migration informatique"


def article(n: int, author: str | None, *, text: str = DISPATCH) -> Item:
    return Item(
        guid=f"a{n}",
        url=ARTICLE.format(slug=f"acme-prelevements-{n}"),
        title=HEADLINE,
        text=text,
        author=author,
    )


@pytest.mark.parametrize(
    ("first", "second", "one"),
    [
        ("Le Monde", "Le Monde avec AFP", True),
        ("AFP", "Le Monde avec AFP", True),
        ("Le Monde", "Marie Dupont, Le Monde", True),
        ("Le Monde avec AFP", "Le Monde", True),
        ("Le Monde", "Le Monde (AFP)", True),
        ("Le Monde", "Le Monde - Marie Dupont", True),
        ("Par Marie Dupont", "marie  dupont", True),
        ("Marie Dupont et Jean Martin", "Jean Martin", True),
        ("Le Monde", "Marie Dupont", False),  # a byline replaced: two authors
        ("Marie Dupont", "Jean Martin", False),
        ("Le Monde avec AFP", "Le Figaro avec AFP", False),
        ("membre1", "membre7", False),
        ("marie", "marie_dupont", False),  # a member name is one contributor
        ("Jean", "Jean Dupont", False),
        ("jean-pierre", "jean", False),
        (None, "Le Monde", False),
        ("", "", False),
    ],
)
def test_one_byline_is_one_bylines_contributors_among_the_others(
    first: str | None, second: str | None, one: bool
) -> None:
    assert sites.one_byline(first, second) is one
    assert sites.one_byline(second, first) is one


def test_a_site_republishing_its_article_with_the_agency_added_is_one_story(
    db: Database,
) -> None:
    """Same title and text at a new URL, signed "Le Monde avec AFP" (the same content)."""
    stories = StoryIndex()
    batch(db, stories, "presse", article(1, "Le Monde"))
    batch(db, stories, "presse", article(2, "Le Monde avec AFP"))
    # In one batch too, and with a reporter's name added to the byline.
    batch(db, stories, "presse", article(3, "Marie Dupont, Le Monde"), article(4, "AFP"))
    assert story_count(db) == 1


def test_a_republished_and_edited_article_signed_again_is_one_story(db: Database) -> None:
    """A near-copy (a word changed), the byline with a reporter added: the
    near-duplicates join it too, and a restarted index reads the stored byline."""
    stories = StoryIndex()
    batch(db, stories, "presse", article(1, "Le Monde"))
    restarted = StoryIndex()
    with db.session() as session:
        restarted.load(session, NOW)
    edited = DISPATCH.replace("semaine dernière", "semaine passée")
    batch(db, restarted, "presse", article(2, "Le Monde - Marie Dupont", text=edited))
    assert story_count(db) == 1


def test_two_journalists_near_identical_articles_on_one_site_stay_two_stories(
    db: Database,
) -> None:
    """Bylines that share no contributor are two authors, as on a forum."""
    stories = StoryIndex()
    batch(db, stories, "presse", article(1, "Marie Dupont"))
    batch(db, stories, "presse", article(2, "Jean Martin"))
    edited = DISPATCH.replace("semaine dernière", "semaine passée")
    batch(db, stories, "presse", article(3, "Le Monde"), article(4, "Paul Durand", text=edited))
    assert story_count(db) == 4  # "Le Monde" is neither Marie Dupont nor Jean Martin


def test_members_whose_names_share_a_word_are_still_two_stories(db: Database) -> None:
    stories = StoryIndex()
    same = ENDS[1]
    batch(db, stories, "forum", post(1, "marie", topic=7, end=same))
    batch(db, stories, "forum", post(2, "marie_dupont", topic=7, end=same))
    batch(db, stories, "forum", post(3, "Jean", end=same), post(4, "Jean Dupont", end=same))
    assert len(set(story_of(db).values())) == 4


def test_the_index_asks_about_bylines_only_for_another_authors_winning_candidate() -> None:
    index = NearDuplicateIndex()
    site = site_key(ARTICLE)
    first = fingerprint(HEADLINE, DISPATCH)
    index.add(1, first, NOW, story=1, site=site, author=author_key("Le Monde"))
    asked: list[int] = []

    def related(doc_id: int) -> bool:
        asked.append(doc_id)
        return doc_id == 1

    found = index.find(first, site=site, author=author_key("Le Monde avec AFP"), related=related)
    assert found is not None and found.doc_id == 1 and asked == [1]
    # Without the callback, as before: another author of the site is never a copy.
    assert index.find(first, site=site, author=author_key("Le Monde avec AFP")) is None
    # The same author, another site: no byline to read.
    index.find(first, site=site, author=author_key("le monde"), related=related)
    index.find(first, site=site_key("https://autre.example/a"), author=7, related=related)
    assert asked == [1]
