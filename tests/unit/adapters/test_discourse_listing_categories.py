"""A forum that loads categories lazily tells the account, in ``/latest.json``
itself, the categories of the topics listed and their parents
(``topic_list.categories``, Discourse's ``TopicListSerializer`` with
``CategoryBadgeSerializer`` rows: ``read_restricted``, ``parent_category_id``).
They spare the ``/c/{id}/show.json`` lookups and tell a category made
staff-only at the next listing; what they do not settle is looked up as before.
On the real wire: ``tests.servers.discourse.StaffForum``."""

from __future__ import annotations

from datetime import timedelta

import pytest

from tests.servers.discourse import StaffForum
from tests.servers.http import FeedServer
from tests.unit.adapters.test_discourse_lazy_categories import MODERATION, SUPPORT, later
from tests.unit.adapters.test_discourse_staff_cursor import NOW, PUBLIC, Reader, topic_reads
from watchtower.adapters._discourse_category_flags import listing_flags

OLD = NOW - timedelta(days=30)


@pytest.fixture
def forum(feeds: FeedServer, monkeypatch: pytest.MonkeyPatch) -> StaffForum:
    monkeypatch.setenv("WT_TEST_FORUM_KEY", "m0d-key")
    forum = StaffForum(feeds)
    forum.listing_categories = True  # the account is in lazy_load_categories_groups
    forum.category(PUBLIC, "General")
    forum.category(SUPPORT, "Support", lazy=True)
    forum.category(MODERATION, "Moderation", restricted=True, lazy=True)
    return forum


def checked(forum: StaffForum) -> Reader:
    forum.post(1, PUBLIC, OLD, "membre", "<p>Bienvenue</p>")
    reader = Reader(forum)
    reader.poll()
    return reader


def test_the_listings_categories_spare_the_lookups(forum: StaffForum, feeds: FeedServer) -> None:
    reader = checked(forum)
    at = later(reader, 1)
    forum.post(10, SUPPORT, at, "client", "<p>Acmé, ma carte est bloquée</p>")
    forum.post(11, MODERATION, at, "modo", "<p>Acmé : bannir ce membre</p>")
    later(reader, 10)
    result = reader.poll()
    assert [i.text for i in result.items] == ["Acmé, ma carte est bloquée"]
    assert topic_reads(feeds, 11) == []  # the staff topic is not even read
    assert forum.lookups() == [] and result.warnings == []
    saved = reader.state.cursor["categories"]
    assert saved["public"] == [PUBLIC, SUPPORT] and saved["restricted"] == [MODERATION]
    # An hour and more on, still told by each listing: no lookup either.
    forum.post(10, SUPPORT, later(reader, 90), "client2", "<p>Acmé, pareil</p>")
    later(reader, 1)
    assert [i.text for i in reader.poll().items] == ["Acmé, pareil"]
    assert forum.lookups() == []


def test_a_category_made_staff_only_is_noticed_at_the_next_listing(forum: StaffForum) -> None:
    reader = checked(forum)
    forum.post(10, SUPPORT, later(reader, 1), "client", "<p>Acmé, bonjour</p>")
    later(reader, 10)
    assert len(reader.poll().items) == 1
    forum.restrict(SUPPORT)  # "Support" becomes staff-only
    forum.post(10, SUPPORT, later(reader, 5), "modo", "<p>Acmé : dossier interne</p>")
    later(reader, 1)
    assert reader.poll().items == []  # six minutes on, not an hour


def test_a_subcategory_is_as_restricted_as_its_listed_parent(forum: StaffForum) -> None:
    forum.category(8, "Equipe", restricted=True, lazy=True)
    forum.category(9, "Annonces internes", parent=8, lazy=True)  # public by itself only
    forum.category(13, "Cartes", parent=SUPPORT, lazy=True)
    reader = checked(forum)
    at = later(reader, 1)
    forum.post(20, 9, at, "drh", "<p>Acmé : réorganisation du service</p>")
    forum.post(21, 13, at, "client", "<p>Acmé, carte avalée</p>")
    later(reader, 10)
    assert [i.text for i in reader.poll().items] == ["Acmé, carte avalée"]
    assert forum.lookups() == []


def test_a_grandparent_the_listing_leaves_out_is_looked_up(forum: StaffForum) -> None:
    # Discourse sends one level of parents: "Equipe" (staff) is not in the listing.
    forum.category(8, "Equipe", restricted=True, lazy=True)
    forum.category(9, "Projets", parent=8, lazy=True)
    forum.category(12, "Acme", parent=9, lazy=True)
    reader = checked(forum)
    forum.post(30, 12, later(reader, 1), "drh", "<p>Acmé : plan social</p>")
    later(reader, 10)
    result = reader.poll()
    assert result.items == []  # restricted through its grandparent
    assert 8 in forum.lookups()


def test_rows_that_do_not_say_read_restricted_are_not_taken() -> None:
    # An older CategoryBadgeSerializer: id, name, color, slug, parent_category_id.
    old = {"topic_list": {"topics": [], "categories": [{"id": 5, "name": "Support"}]}}
    assert listing_flags(old, {}) == {}
    rows = [
        {"id": 5, "read_restricted": False},
        {"id": 9, "read_restricted": False, "parent_category_id": 8},  # 8 not listed
        {"id": 10, "read_restricted": False, "parent_category_id": 1},  # 1 known public
        {"id": 11, "read_restricted": True, "parent_category_id": 8},
        {"id": 12, "read_restricted": "false"},
        {"id": 20, "read_restricted": False, "parent_category_id": 21},
        {"id": 21, "read_restricted": False, "parent_category_id": 20},  # a loop
    ]
    flags = listing_flags({"topic_list": {"categories": rows}}, {1: False})
    assert flags == {5: False, 10: False, 11: True, 20: True, 21: True}


def test_without_the_listings_categories_they_are_looked_up_as_before(
    forum: StaffForum,
) -> None:
    """Guard: an account whose categories are not loaded lazily gets no
    ``topic_list.categories``; the lookups do the work."""
    forum.listing_categories = False
    forum.publish()
    reader = checked(forum)
    forum.post(10, SUPPORT, later(reader, 1), "client", "<p>Acmé, ma carte</p>")
    later(reader, 10)
    assert [i.text for i in reader.poll().items] == ["Acmé, ma carte"]
    assert forum.lookups() == [SUPPORT]
