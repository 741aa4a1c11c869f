"""A busy evening on Banque Acmé's own Discourse community, as its community manager
lives it.

The forum lives in a subfolder (``https://…/community``) and is served on the
real wire by the local feed server: ``/latest.json`` (30 topics a page,
``more_topics_url``), ``/t/{id}/posts.json`` (the first 20 posts) and
``/t/{id}/posts.json?post_number=N&asc=true`` (the 20 posts after N). Before, the
adapter asked ``post_number=N+1`` without ``asc``, which Discourse answers with
the posts *before* N+1: no reply was ever announced.

Between two checks 40 topics get a reply (more than a page of ``/latest.json``,
more than the 10 topics one check reads); each reply naming the brand must reach
Slack once, with its author, the topic's title and its permalink, within minutes
(the poller's rounds, 30 s apart), not one ``every`` per 10 topics. A staff
whisper and a withdrawn post are never announced, and a reply that only quotes a
complaint is no mention.

Real parts on loopback: the feed server, the fake Slack, SQLite; the clock is
simulated so that rounds are 30 s apart.
"""

from __future__ import annotations

import io
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.alerting_helpers import Clock
from tests.servers.http import FeedServer, Resource
from tests.servers.slack import FakeSlack
from watchtower.app import App
from watchtower.config import load_config

pytestmark = pytest.mark.timeout(120)

FIXTURES = Path(__file__).parents[1] / "fixtures" / "discourse_cm"
PAGE, CHUNK = 30, 20
OLD = datetime(2026, 2, 1, 9, 0, tzinfo=UTC)
PROBLEMS = [
    "refuse mon code depuis ce matin",
    "affiche une erreur au virement",
    "ne montre plus mes comptes",
    "me déconnecte sans arrêt",
    "bloque ma carte au paiement",
    "n'envoie plus le SMS de validation",
]
WHERE = [
    "à Lyon",
    "sur mon iPhone depuis la mise à jour",
    "pour la troisième fois cette semaine alors que tout marchait lundi",
    "chez ma mère",
    "et le conseiller ne répond pas au téléphone",
    "pendant mes vacances en Espagne, impossible de payer l'hôtel",
    "depuis hier",
]


def stamp(when: datetime) -> str:
    return when.strftime("%Y-%m-%dT%H:%M:%S.000Z")


class Community:
    """A Discourse forum under ``/community`` whose answers follow the real API."""

    def __init__(self, feeds: FeedServer) -> None:
        self.feeds = feeds
        self.topics: dict[int, dict[str, Any]] = {}
        self.posts: dict[int, list[dict[str, Any]]] = {}

    def post(self, tid: int, at: datetime, username: str, cooked: str, **fields: Any) -> None:
        posts = self.posts.setdefault(tid, [])
        number = len(posts) + 1
        title = f"Sujet {tid}"
        topic = self.topics.setdefault(
            tid,
            {"id": tid, "slug": f"sujet-{tid}", "title": title, "fancy_title": title,
             "archetype": "regular", "created_at": stamp(at)},
        )  # fmt: skip
        topic.update(highest_post_number=number, posts_count=number, bumped_at=stamp(at))
        posts.append(
            {"id": tid * 100 + number, "post_number": number, "topic_id": tid,
             "topic_slug": topic["slug"], "username": username, "name": username.title(),
             "created_at": stamp(at), "updated_at": stamp(at), "post_type": 1,
             "hidden": False, "deleted_at": None, "user_deleted": False, "version": 1,
             "post_url": f"/t/{topic['slug']}/{tid}/{number}", "cooked": cooked,
             **fields}
        )  # fmt: skip
        self.publish()

    def publish(self) -> None:
        res = self.feeds.resources
        ordered = sorted(self.topics.values(), key=lambda t: str(t["bumped_at"]), reverse=True)
        for page in range(len(ordered) // PAGE + 1):
            listing: dict[str, Any] = {"topics": ordered[page * PAGE : (page + 1) * PAGE]}
            if len(ordered) > (page + 1) * PAGE:
                listing["more_topics_url"] = f"/community/latest?page={page + 1}"
            path = "/community/latest.json" + (f"?page={page}" if page else "")
            res[path] = json_resource({"topic_list": listing})
        for tid, posts in self.posts.items():
            res[f"/community/t/{tid}/posts.json"] = json_resource(chunk(tid, posts[:CHUNK]))
            for after in range(1, len(posts) + 1):
                res[f"/community/t/{tid}/posts.json?post_number={after}&asc=true"] = json_resource(
                    chunk(tid, posts[after : after + CHUNK])
                )


def chunk(tid: int, posts: list[dict[str, Any]]) -> dict[str, Any]:
    return {"post_stream": {"posts": posts}, "id": tid}


def json_resource(payload: dict[str, Any]) -> Resource:
    return Resource(json.dumps(payload).encode(), "application/json; charset=utf-8")


def config(database_url: str, feeds: FeedServer, slack: str) -> str:
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
preset = "discourse"
base_url = "{feeds.url("/community")}"
allow_private = true
every = "10m"
"""


def test_a_busy_evening_on_the_community_reaches_slack_once_each(
    tmp_path: Path, feeds: FeedServer, slack: FakeSlack, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SLACK_BOT_TOKEN", slack.token)
    forum = Community(feeds)
    for tid in range(1, 41):  # the community's history: no alert
        forum.post(tid, OLD + timedelta(hours=tid), "membre", f"<p>Question {tid}</p>")
    path = tmp_path / "watchtower.toml"
    path.write_text(config(f"sqlite:///{tmp_path / 'wt.db'}", feeds, slack.api_url), "utf-8")
    clock = Clock(now=datetime(2026, 3, 4, 20, 0, tzinfo=UTC))
    app = App(load_config(path), clock=clock, console=io.StringIO())
    try:
        app.start()
        assert app.poller.poll().sources == 1
        app.outbox.drain()
        assert slack.posts() == []

        # 20:00–20:10: 40 topics get a reply; 36 name the brand.
        evening = clock.now + timedelta(minutes=1)
        brand = (FIXTURES / "reply_with_brand.html").read_text("utf-8")
        for tid in range(1, 37):
            problem = f"{PROBLEMS[tid % 6]}, {WHERE[tid // 6]}"  # 36 customers, 36 stories
            cooked = brand.replace("{problem}", problem)
            forum.post(tid, evening + timedelta(seconds=tid), f"client{tid}", cooked)
        quoting = (FIXTURES / "reply_quoting_a_complaint.html").read_text("utf-8")
        forum.post(37, evening, "julie", quoting.replace("{topic}", "37"))
        forum.post(38, evening, "conseiller", "<p>Banque Acmé : note interne</p>", post_type=4)
        forum.post(
            39, evening, "parti", "<p>(message retiré par son auteur)</p>", user_deleted=True
        )
        forum.post(40, evening, "membre", "<p>Banque Acmé : caché</p>", hidden=True)

        clock.advance(minutes=11)
        rounds = [app.poller.poll()]
        while rounds[-1].sources and len(rounds) < 12:
            clock.advance(seconds=30)  # the poller's next round
            rounds.append(app.poller.poll())
        # 38 topics to read, 10 a check: four checks 30 s apart, not 40 minutes.
        assert [r.sources for r in rounds] == [1, 1, 1, 1, 0]
        assert [r.failed for r in rounds] == [0] * 5
        app.outbox.drain()

        posts = slack.posts()
        texts = [json.dumps(p, ensure_ascii=False) for p in posts]
        assert len(posts) == 36, texts
        for tid in range(1, 37):
            [text] = [t for t in texts if f"/community/t/sujet-{tid}/{tid}/2" in t]
            assert f"client{tid}" in text
            assert f"Re: Sujet {tid}" in text
            assert ":rage:" in text  # the emoji, not nothing
        everything = "\n".join(texts)
        assert "note interne" not in everything  # the whisper
        assert "caché" not in everything and "retiré" not in everything
        assert "julie" not in everything  # her reply only quotes a complaint

        clock.advance(minutes=11)  # a quiet check later: nothing again
        app.poller.poll()
        app.outbox.drain()
        assert len(slack.posts()) == 36
    finally:
        app.close()
