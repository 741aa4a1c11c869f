"""The sources table follows the config; a renamed source keeps its row and state."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from watchtower.adapters.rss import RssSettings
from watchtower.storage.db import Database
from watchtower.storage.queries import LEASE, release_leases, sync_sources
from watchtower.storage.tables import SourceRow

NOW = datetime(2026, 3, 4, 10, 0, tzinfo=UTC)


@pytest.fixture
def db(migrated: Database) -> Database:
    return migrated


def _rss(name: str, url: str) -> RssSettings:
    return RssSettings(name=name, kind="rss", url=url)


def _rows(db: Database) -> dict[str, tuple[int, str | None, bool]]:
    with db.session() as session:
        return {r.name: (r.id, r.etag, r.enabled) for r in session.scalars(select(SourceRow))}


def test_a_renamed_source_keeps_its_row_and_validators(db: Database) -> None:
    feed, other = "https://a.fr/flux.xml", "https://b.fr/flux.xml"
    with db.session() as session:
        sync_sources(session, [_rss("forum", feed), _rss("presse", other)], NOW)
    with db.session() as session:
        for row in session.scalars(select(SourceRow)):
            row.etag = f'"{row.name}-v1"'
    before = _rows(db)

    with db.session() as session:
        sync_sources(session, [_rss("forum-conso", feed), _rss("presse", other)], NOW)

    after = _rows(db)
    assert after == {
        "forum-conso": (before["forum"][0], '"forum-v1"', True),  # same row, same state
        "presse": before["presse"],
    }


def test_a_new_source_and_a_removed_one_at_another_url_are_not_a_rename(db: Database) -> None:
    with db.session() as session:
        sync_sources(session, [_rss("forum", "https://a.fr/flux.xml")], NOW)
    with db.session() as session:
        sync_sources(session, [_rss("presse", "https://b.fr/flux.xml")], NOW)
    after = _rows(db)
    assert after["forum"][2] is False and after["presse"][2] is True
    assert after["forum"][0] != after["presse"][0]


def test_a_source_given_another_url_starts_over(db: Database) -> None:
    """Validators of the old feed would be wrong, and the new feed's first poll is
    a first poll: its history is recorded without notifications (``backlog``)."""
    with db.session() as session:
        sync_sources(session, [_rss("forum", "https://a.fr/flux.xml")], NOW)
    with db.session() as session:
        [row] = session.scalars(select(SourceRow))
        row.etag, row.last_success_at, row.cursor = '"v1"', NOW, {"page": 2}
    with db.session() as session:
        sync_sources(session, [_rss("forum", "https://a.fr/flux.xml")], NOW)
        [row] = session.scalars(select(SourceRow))
        assert (row.etag, row.last_success_at, row.cursor) == ('"v1"', NOW, {"page": 2})
    with db.session() as session:
        sync_sources(session, [_rss("forum", "https://b.fr/flux.xml")], NOW)
        [row] = session.scalars(select(SourceRow))
        assert (row.etag, row.last_success_at, row.cursor) == (None, None, {})


def _next_checks(db: Database) -> dict[str, datetime]:
    with db.session() as session:
        return {
            r.name: r.next_check_at.replace(tzinfo=r.next_check_at.tzinfo or UTC)
            for r in session.scalars(select(SourceRow))
        }


def test_a_shorter_every_moves_a_healthy_source_only(db: Database) -> None:
    names = ("sain", "en-panne", "en-cours")
    with db.session() as session:
        sync_sources(session, [_rss(n, f"https://{n}.fr/") for n in names], NOW)
    with db.session() as session:
        rows = {r.name: r for r in session.scalars(select(SourceRow))}
        rows["sain"].next_check_at = NOW + timedelta(hours=6)  # every = "6h"
        rows["en-panne"].next_check_at = NOW + timedelta(hours=5)  # backing off
        rows["en-panne"].consecutive_failures = 3
        rows["en-cours"].last_attempt_at = NOW  # claimed, being fetched
        rows["en-cours"].next_check_at = NOW + LEASE
    later = NOW + timedelta(minutes=1)
    shorter = [RssSettings(name=n, kind="rss", url=f"https://{n}.fr/", every="2m") for n in names]

    with db.session() as session:
        sync_sources(session, shorter, later)

    assert _next_checks(db) == {
        "sain": later + timedelta(minutes=2),
        "en-panne": NOW + timedelta(hours=5),  # its backoff and Retry-After stand
        "en-cours": NOW + LEASE,  # its lease stands until its outcome is recorded
    }


def test_leases_left_by_a_dead_process_are_released_and_no_other(db: Database) -> None:
    with db.session() as session:
        sync_sources(session, [_rss(n, f"https://{n}.fr/") for n in ("tue", "planifie")], NOW)
    with db.session() as session:
        rows = {r.name: r for r in session.scalars(select(SourceRow))}
        rows["tue"].last_attempt_at, rows["tue"].next_check_at = NOW, NOW + LEASE
        rows["planifie"].last_attempt_at = NOW
        rows["planifie"].next_check_at = NOW + timedelta(minutes=9)  # recorded outcome
    later = NOW + timedelta(minutes=1)

    with db.session() as session:
        assert release_leases(session, later) == 1

    assert _next_checks(db) == {"tue": later, "planifie": NOW + timedelta(minutes=9)}


def test_a_failing_source_whose_fetch_settings_changed_is_checked_now(db: Database) -> None:
    """The operator does what the error said (``allow_private = true``): the fix is
    tried at the next round, not after the backoff the old settings earned. A
    changed ``every`` alone keeps the backoff (and a Retry-After)."""
    names = ("corrige", "rythme")
    old = {n: _rss(n, f"https://{n}.fr/") for n in names}
    with db.session() as session:
        sync_sources(session, list(old.values()), NOW)
    with db.session() as session:
        for row in session.scalars(select(SourceRow)):
            row.next_check_at, row.consecutive_failures = NOW + timedelta(hours=5), 6
    later = NOW + timedelta(minutes=1)
    new = [
        RssSettings(name="corrige", kind="rss", url="https://corrige.fr/", allow_private=True),
        RssSettings(name="rythme", kind="rss", url="https://rythme.fr/", every="2m"),
    ]

    with db.session() as session:
        sync_sources(session, new, later, old)

    assert _next_checks(db) == {"corrige": later, "rythme": NOW + timedelta(hours=5)}
