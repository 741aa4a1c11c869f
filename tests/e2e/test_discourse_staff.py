"""A community manager reads the brand's Discourse forum with their own moderator's
API key: the topics of staff-only categories (a moderators' thread about banning a
member, HR matters) and of a restricted subcategory must never reach the Slack
channel the wider team reads, unless the source opts in (``include_restricted``).

Real parts on loopback: the forum (``tests.servers.discourse.StaffForum`` on the
feed server, ``/site.json`` as Discourse writes it), the fake Slack, SQLite; the
clock is simulated.
"""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from tests.e2e.alerting_helpers import Clock
from tests.servers.discourse import StaffForum
from tests.servers.http import FeedServer
from tests.servers.slack import FakeSlack
from watchtower.app import App
from watchtower.config import load_config

pytestmark = pytest.mark.timeout(120)

KEY = "m0d-staff-key-0123456789abcdef0123456789"
OLD = datetime(2026, 2, 1, 9, 0, tzinfo=UTC)
GENERAL, STAFF, HELP, MODERATION = 1, 2, 3, 4


def config(database_url: str, forum: StaffForum, slack: str, extra: str = "") -> str:
    return f"""
[watchtower]
database_url = "{database_url}"
poll_interval = "30s"

[slack]
default_channel = "#communaute"
api_url = "{slack}"
channel_interval = "0s"

[[brands]]
name = "Acmé"
terms = ["Acmé", "Banque Acmé"]

[[sources]]
name = "communaute"
kind = "discourse"
base_url = "{forum.url}"
allow_private = true
every = "10m"
api_key_env = "WT_TEST_FORUM_KEY"
api_username = "julie.cm"
{extra}
"""


class Run:
    """The daemon on a simulated clock, polling the forum and delivering to Slack."""

    def __init__(
        self, tmp_path: Path, forum: StaffForum, slack: FakeSlack, extra: str, database: str = ""
    ) -> None:
        path = tmp_path / "watchtower.toml"
        database = database or f"sqlite:///{tmp_path / 'wt.db'}"
        path.write_text(config(database, forum, slack.api_url, extra), "utf-8")
        self.clock = Clock(now=datetime(2026, 3, 4, 20, 0, tzinfo=UTC))
        self.app = App(load_config(path), clock=self.clock, console=io.StringIO())
        self.app.start()
        self.slack = slack

    def check(self) -> None:
        """One check of the forum (its ``every`` later), then delivery."""
        self.clock.advance(minutes=11)
        assert self.app.poller.poll().failed == 0
        self.app.outbox.drain()

    def slack_texts(self) -> str:
        return "\n".join(json.dumps(p, ensure_ascii=False) for p in self.slack.posts())


@pytest.fixture
def forum(feeds: FeedServer, monkeypatch: pytest.MonkeyPatch) -> StaffForum:
    monkeypatch.setenv("WT_TEST_FORUM_KEY", KEY)
    forum = StaffForum(feeds)
    forum.category(GENERAL, "General")
    forum.category(STAFF, "Staff", restricted=True)
    forum.category(HELP, "Aide")
    forum.category(MODERATION, "Moderation", restricted=True, parent=HELP)
    forum.post(1, GENERAL, OLD, "membre", "<p>Bienvenue</p>")  # history
    return forum


@pytest.fixture
def run_for(
    tmp_path: Path, forum: StaffForum, slack: FakeSlack, monkeypatch: pytest.MonkeyPatch
) -> Iterator[type[Run]]:
    monkeypatch.setenv("SLACK_BOT_TOKEN", slack.token)
    runs: list[Run] = []

    class Started(Run):
        def __init__(self, extra: str = "") -> None:
            super().__init__(tmp_path, forum, slack, extra)
            runs.append(self)

    yield Started
    for run in runs:
        run.app.close()


def an_evening(forum: StaffForum, at: datetime) -> None:
    """Four topics name the brand: two in public categories, two restricted."""
    forum.post(10, GENERAL, at, "client", "<p>Banque Acmé bloque ma carte</p>")
    forum.post(11, STAFF, at, "modo", "<p>Acmé : on bannit le membre toto, il insulte</p>")
    forum.post(12, HELP, at, "cliente", "<p>Appli Acmé en panne ?</p>")
    forum.post(13, MODERATION, at, "modo2", "<p>Acmé : signalement RH confidentiel</p>")


def test_staff_topics_never_reach_slack(run_for: type[Run], forum: StaffForum) -> None:
    run = run_for()
    run.check()  # the forum's history: no alert
    assert run.slack.posts() == []
    an_evening(forum, run.clock.now + timedelta(minutes=1))
    run.check()
    texts = run.slack_texts()
    assert len(run.slack.posts()) == 2, texts
    assert "/forum/t/sujet-10/10/1" in texts and "/forum/t/sujet-12/12/1" in texts
    assert "bannit" not in texts and "RH" not in texts  # staff, restricted subcategory
    assert "sujet-11" not in texts and "sujet-13" not in texts
    assert forum.keys_sent() == {KEY}
    # The categories are read once for both checks: at most once an hour.
    assert forum.site_reads() == 1
    run.clock.advance(minutes=61)
    forum.post(11, STAFF, run.clock.now, "modo", "<p>Acmé : c'est fait, banni.</p>")
    forum.post(10, GENERAL, run.clock.now, "conseiller", "<p>Banque Acmé vous répond</p>")
    run.check()
    assert forum.site_reads() == 2  # an hour later, read again
    texts = run.slack_texts()
    assert len(run.slack.posts()) == 3 and "vous répond" in texts and "banni" not in texts


def test_a_team_that_opts_in_gets_restricted_topics(run_for: type[Run], forum: StaffForum) -> None:
    run = run_for("include_restricted = true")
    run.check()
    an_evening(forum, run.clock.now + timedelta(minutes=1))
    run.check()
    texts = run.slack_texts()
    assert len(run.slack.posts()) == 4, texts
    assert "bannit" in texts and "RH" in texts
    assert forum.site_reads() == 0  # nothing to decide: no request for it


def test_a_restricted_category_created_after_the_first_check_is_skipped(
    run_for: type[Run], forum: StaffForum
) -> None:
    run = run_for()
    run.check()
    forum.category(6, "RH", restricted=True)
    at = run.clock.now + timedelta(minutes=1)
    forum.post(20, 6, at, "drh", "<p>Acmé : dossier disciplinaire de Paul</p>")
    forum.post(21, GENERAL, at, "client", "<p>Banque Acmé, merci !</p>")
    run.check()
    texts = run.slack_texts()
    assert "disciplinaire" not in texts and "merci" in texts
    assert forum.site_reads() == 2  # the unknown category: read again before deciding


def test_unreadable_categories_skip_unknown_ones_and_keep_the_known(
    run_for: type[Run], forum: StaffForum, caplog: pytest.LogCaptureFixture
) -> None:
    run = run_for()
    run.check()  # the categories are known from here
    forum.site_status = 500
    forum.category(7, "Annonces")  # a new category, public or not: it cannot be told
    at = run.clock.now + timedelta(minutes=1)
    forum.post(30, 7, at, "inconnu", "<p>Acmé : catégorie inconnue</p>")
    forum.post(31, GENERAL, at, "client", "<p>Banque Acmé, toujours là</p>")
    caplog.set_level(logging.WARNING)
    run.check()
    texts = run.slack_texts()
    assert "toujours là" in texts  # a known public category is still read
    assert "catégorie inconnue" not in texts
    warnings = [
        str(getattr(r, "wt_fields", {}).get("warning", r.__dict__))
        for r in caplog.records
        if r.getMessage() == "source warning"
    ]
    assert any("topics 30" in w and "not known to be public" in w for w in warnings), warnings
    assert any("categories could not be read" in w for w in warnings), warnings
