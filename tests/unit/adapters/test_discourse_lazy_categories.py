"""Categories a large forum leaves out of ``/site.json`` (Discourse's
``lazy_load_categories_groups``) are looked up by themselves (``/c/{id}/show.json``)
instead of having their topics skipped; the lookups are bounded per poll, kept in
the cursor, and a category that cannot be told for now leaves its topics waiting
rather than lost. On the real wire: ``tests.servers.discourse.StaffForum``."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from tests.servers.discourse import StaffForum
from tests.servers.http import FeedServer, Resource
from tests.unit.adapters.test_discourse_staff_cursor import NOW, PUBLIC, Reader, topic_reads
from watchtower.adapters._discourse_categories import LOOKUPS, Categories

SUPPORT, MODERATION = 5, 6
OLD = NOW - timedelta(days=30)


@pytest.fixture
def forum(feeds: FeedServer, monkeypatch: pytest.MonkeyPatch) -> StaffForum:
    monkeypatch.setenv("WT_TEST_FORUM_KEY", "m0d-key")
    forum = StaffForum(feeds)
    forum.category(PUBLIC, "General")  # in the account's sidebar: listed
    forum.category(SUPPORT, "Support", lazy=True)
    forum.category(MODERATION, "Moderation", restricted=True, lazy=True)
    return forum


def first_check(forum: StaffForum) -> Reader:
    """A reader past its first check (the forum's history recorded)."""
    forum.post(1, PUBLIC, OLD, "membre", "<p>Bienvenue</p>")
    reader = Reader(forum)
    reader.poll()  # its items are the pipeline's backlog, not news
    return reader


def later(reader: Reader, minutes: int) -> datetime:
    reader.now += timedelta(minutes=minutes)
    return reader.now


def refuse(forum: StaffForum, category: int, status: int, retry_after: str = "") -> None:
    """``/c/{id}/show.json`` answers ``status`` (until the next ``publish``)."""
    path = f"{forum.prefix}/c/{category}/show.json"
    headers = {"Retry-After": retry_after} if retry_after else {}
    forum.feeds.resources[path] = Resource(
        b'{"errors": ["The requested URL or resource could not be found."]}',
        "application/json; charset=utf-8",
        status,
        headers,
    )


def test_categories_left_out_of_site_json_are_looked_up_once(
    forum: StaffForum, feeds: FeedServer
) -> None:
    reader = first_check(forum)
    at = later(reader, 1)
    forum.post(10, SUPPORT, at, "client", "<p>Acmé, ma carte est bloquée</p>")
    forum.post(11, MODERATION, at, "modo", "<p>Acmé : bannir ce membre</p>")
    later(reader, 10)
    result = reader.poll()
    assert [i.text for i in result.items] == ["Acmé, ma carte est bloquée"]
    assert topic_reads(feeds, 11) == []  # the staff topic is not even read
    assert sorted(forum.lookups()) == [SUPPORT, MODERATION]
    assert result.warnings == []
    saved = reader.state.cursor["categories"]
    assert saved["public"] == [PUBLIC, SUPPORT] and saved["restricted"] == [MODERATION]

    at = later(reader, 1)
    forum.post(10, SUPPORT, at, "client2", "<p>Acmé, pareil</p>")
    forum.post(11, MODERATION, at, "modo2", "<p>Acmé : fait</p>")
    later(reader, 10)
    assert [i.text for i in reader.poll().items] == ["Acmé, pareil"]
    assert len(forum.lookups()) == 2  # kept: not asked again within the hour


def test_a_lazy_subcategory_is_as_restricted_as_its_parents(forum: StaffForum) -> None:
    forum.category(8, "Equipe", restricted=True, lazy=True)
    forum.category(9, "Annonces internes", parent=8, lazy=True)  # public by itself only
    forum.category(13, "Cartes", parent=SUPPORT, lazy=True)
    reader = first_check(forum)
    at = later(reader, 1)
    forum.post(20, 9, at, "drh", "<p>Acmé : réorganisation du service</p>")
    forum.post(21, 13, at, "client", "<p>Acmé, carte avalée</p>")
    later(reader, 10)
    assert [i.text for i in reader.poll().items] == ["Acmé, carte avalée"]
    assert sorted(forum.lookups()) == [SUPPORT, 8, 9, 13]  # the parents too


def test_a_category_the_forum_will_not_show_is_skipped_saying_why(forum: StaffForum) -> None:
    reader = first_check(forum)
    forum.post(10, SUPPORT, later(reader, 1), "client", "<p>Acmé ?</p>")
    refuse(forum, SUPPORT, 404)
    later(reader, 10)
    result = reader.poll()
    assert result.items == []
    assert any(
        "category 5 could not be looked up" in w and "(404)" in w for w in result.warnings
    ), result.warnings
    assert any("(topics 10)" in w and "skipped" in w for w in result.warnings)

    forum.post(10, SUPPORT, later(reader, 1), "client", "<p>Acmé ??</p>")
    refuse(forum, SUPPORT, 404)
    later(reader, 10)
    assert reader.poll().items == [] and forum.lookups() == [SUPPORT]  # not asked again
    forum.publish()  # shown again
    forum.post(10, SUPPORT, later(reader, 50), "client", "<p>Acmé, enfin</p>")
    later(reader, 1)
    assert [i.text for i in reader.poll().items] == ["Acmé, enfin"]  # asked an hour later
    assert forum.lookups() == [SUPPORT, SUPPORT]


def test_lookups_are_bounded_and_the_topics_left_wait_for_the_next_check(
    forum: StaffForum,
) -> None:
    many = range(30, 30 + LOOKUPS + 2)
    for cid in many:
        forum.category(cid, f"Produit{cid}", lazy=True)
    reader = first_check(forum)
    at = later(reader, 1)
    for cid in many:
        forum.post(cid, cid, at, "client", f"<p>Acmé, sujet {cid}</p>")
    later(reader, 10)
    first = reader.poll()
    assert len(forum.lookups()) == LOOKUPS
    assert len(first.items) == LOOKUPS
    assert any("wait for the next check" in w for w in first.warnings), first.warnings
    later(reader, 10)
    second = reader.poll()  # the listing has not changed (304): the waiting topics
    assert len(forum.lookups()) == LOOKUPS + 2
    texts = sorted(i.text for r in (first, second) for i in r.items)
    assert texts == sorted(f"Acmé, sujet {cid}" for cid in many)  # none lost
    assert not any("categor" in w for w in second.warnings), second.warnings
    assert reader.state.cursor["pending"] == []


def test_a_rate_limited_lookup_does_not_fail_the_check_and_loses_nothing(
    forum: StaffForum,
) -> None:
    reader = first_check(forum)
    at = later(reader, 1)
    forum.post(10, SUPPORT, at, "client", "<p>Acmé, ma carte est bloquée</p>")
    forum.post(1, PUBLIC, at, "membre", "<p>Acmé, question</p>")
    refuse(forum, SUPPORT, 429, "60")
    later(reader, 10)
    result = reader.poll()  # no exception: the source is not failing
    assert [i.text for i in result.items] == ["Acmé, question"]
    assert any("category 5 could not be looked up" in w and "429" in w for w in result.warnings)
    forum.publish()  # the forum answers again
    later(reader, 10)
    assert [i.text for i in reader.poll().items] == ["Acmé, ma carte est bloquée"]


def test_a_looked_up_category_made_restricted_is_noticed_within_the_hour(
    forum: StaffForum,
) -> None:
    reader = first_check(forum)
    forum.post(10, SUPPORT, later(reader, 1), "client", "<p>Acmé, bonjour</p>")
    later(reader, 10)
    assert len(reader.poll().items) == 1
    forum.restrict(SUPPORT)  # "Support" becomes staff-only
    forum.post(10, SUPPORT, later(reader, 60), "modo", "<p>Acmé : dossier interne</p>")
    later(reader, 1)
    assert reader.poll().items == []  # 61 minutes after the lookup: asked again
    assert forum.lookups() == [SUPPORT, SUPPORT]


def test_the_lookups_are_kept_in_the_cursor() -> None:
    now = datetime(2026, 3, 4, 20, 0, tzinfo=UTC)
    known = Categories(now, {1: False, 5: False, 6: True}, now.isoformat())
    known.looked_up = {5: now.isoformat(), 6: now.isoformat()}
    known.unreadable = {7: now.isoformat()}
    saved = known.saved()
    later = Categories.restored(saved, now + timedelta(minutes=30))
    assert (later.restricted, later.looked_up, later.unreadable) == (
        known.restricted,
        known.looked_up,
        known.unreadable,
    )
    # An hour on, a category the forum would not show is asked again.
    assert Categories.restored(saved, now + timedelta(hours=1)).unreadable == {}
    assert Categories.restored({"looked_up": {"x": 1, "5": now.isoformat()}}, now).looked_up == {}
