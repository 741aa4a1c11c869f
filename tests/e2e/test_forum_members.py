"""An outage evening on a consumer forum: 36 members, 36 messages, one spike alert.

What a community manager met: on a phpBB board, 36 members posted short,
nearly identical complaints ("Banque Acmé, encore une panne de l'appli…").
Dedup took them for one story ("a site publishes a story once" lets two items
of one site join at 0.9): after the first, each was an "Aussi vu sur
forum-conso.example" reply without its author, and "Vu sur 1 site". Each
member's post is their own words and needs its own answer: two items of one
site by two authors are never one story. That many people complain at once is
the spike alert's job (it counts items, not stories), and it still fires.

A member's cross-post of the same complaint joins their first message, and a
dispatch copied on three sites, signed differently on each, is still one
story with "Aussi vu sur" replies (bylines across sites say nothing).

Real parts on loopback: the feed server, the fake Slack, SQLite; simulated clock.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from typing import Any
from xml.sax.saxutils import escape

from sqlalchemy import select

from tests.e2e.alerting_helpers import Clock
from tests.french import nb
from tests.servers.http import FeedServer, Resource
from tests.servers.slack import FakeSlack
from watchtower.app import App
from watchtower.storage.tables import ItemRow

BOARD = "/forum"
TOPICS = [
    "Re: Panne de l'appli Banque Acmé ce soir ?",
    "Re: Panne de l'appli Banque Acmé ce soir",
    "Re: Panne de l'appli Banque Acmé ce soir !",
]
COMPLAINT = (
    "Banque Acmé, encore une panne de l'appli ce soir : impossible de me connecter, "
    "impossible de consulter mes comptes ou de faire un virement, et le service client ne "
    "répond pas au téléphone. {end}"
)
ENDS = ["Vraiment pénible.", "Lamentable.", "Ras le bol.", "Quelle honte.", "Encore !", ""]
SPIKES = """
[spikes]
min_count = 10
notify = ["slack:#crise"]
"""


def entry(board: str, post: int, topic: int, author: str, title: str, text: str) -> str:
    link = escape(f"{board}/viewtopic.php?t={topic}&p={post}#p{post}")
    profile = escape(f"{board}/memberlist.php?mode=viewprofile&u={post}")
    body = (
        f'{escape(text)}<p>Statistics: Posted by <a href="{profile}">{escape(author)}</a>'
        " — Wed Mar 04, 2026 8:00 pm</p><hr />"
    )
    return (
        f"<entry><author><name><![CDATA[{author}]]></name></author>"
        "<updated>2026-03-07T20:00:00+01:00</updated>"
        "<published>2026-03-07T20:00:00+01:00</published>"
        f'<id>{link}</id><link href="{link}"/>'
        f'<title type="html"><![CDATA[{title}]]></title>'
        f'<content type="html" xml:base="{link}"><![CDATA[{body}]]></content></entry>'
    )


def board_feed(board: str, entries: list[str]) -> Resource:
    body = (
        '<?xml version="1.0" encoding="UTF-8"?>'
        '<feed xmlns="http://www.w3.org/2005/Atom" xml:lang="fr">'
        f'<title>Forum conso</title><link href="{board}/index.php" />'
        f"<updated>2026-03-07T20:00:00+01:00</updated><id>{board}/feed.php</id>"
        + "".join(entries)
        + "</feed>"
    )
    return Resource(body.encode(), "application/atom+xml")


def poll(app: App, clock: Clock) -> None:
    app.poller.poll(all_sources=True)
    for _ in range(3):
        app.outbox.drain()
        clock.advance(minutes=1)


def shown(message: dict[str, Any]) -> str:
    return json.dumps(message, ensure_ascii=False)


def test_thirty_six_members_complaining_alike_get_36_messages_and_one_spike_alert(
    app_for: Callable[[str], App], feeds: FeedServer, slack: FakeSlack, clock: Clock
) -> None:
    board = feeds.url(BOARD)
    first = entry(board, 1, 1, "moderateur", "Bienvenue", "Bienvenue sur le forum conso.")
    feeds.resources[f"{BOARD}/feed.php"] = board_feed(board, [first])
    source = f'\n[[sources]]\nname = "forum-conso"\npreset = "phpbb"\nbase_url = "{board}"\n'
    app = app_for(source + "allow_private = true\n" + SPIKES)
    poll(app, clock)  # watchtower listens from now on: the spike detector's history
    assert slack.posts() == []

    clock.advance(days=3, hours=10)  # Saturday evening: the application breaks down
    members = [f"membre{n}" for n in range(1, 37)]
    posts = [
        entry(board, 100 + n, 10 + n, member, TOPICS[n % 3], COMPLAINT.format(end=ENDS[n % 6]))
        for n, member in enumerate(members)
    ]
    feeds.resources[f"{BOARD}/feed.php"] = board_feed(board, [*reversed(posts), first])
    poll(app, clock)
    # Minutes later membre7 posts the same complaint in another topic, and again in
    # a third one with a word more.
    posts.append(entry(board, 200, 99, "membre7", TOPICS[6 % 3], COMPLAINT.format(end=ENDS[0])))
    again = COMPLAINT.format(end=ENDS[0] + " Merci.")
    posts.append(entry(board, 201, 98, "membre7", TOPICS[6 % 3], again))
    feeds.resources[f"{BOARD}/feed.php"] = board_feed(board, [*reversed(posts), first])
    clock.advance(minutes=10)
    poll(app, clock)
    app.alerting.tick()
    app.outbox.drain()

    messages = [m for m in slack.posts() if m["channel"] == "#veille"]
    assert len(messages) == 36, [shown(m)[:200] for m in messages]
    for n, member in enumerate(members):
        [mine] = [m for m in messages if f"p={100 + n}" in shown(m)]
        assert member in shown(mine)  # its author: the one to answer
        assert "Vu sur" not in shown(mine)
    # Cross-posts join their author's first message: the very same text at the same
    # place is a repost (no reply, as a site re-listing a page under a new URL);
    # an edited copy is a reply in its thread, with its link.
    replies = {m["ts"]: slack.replies(m["ts"]) for m in messages}
    [(top, [reply])] = [(ts, r) for ts, r in replies.items() if r]
    [membre7] = [m for m in messages if m["ts"] == top]
    assert "p=106" in shown(membre7) and "p=201" in shown(reply)

    [alert] = [m for m in slack.posts() if m["channel"] == "#crise"]
    assert nb("Pic de mentions : Acmé") in shown(alert)
    with app.db.session() as session:
        rows = session.execute(select(ItemRow.guid, ItemRow.story_id))
        story = {guid: story_id for guid, story_id in rows}
    assert len(set(story.values())) == 1 + 36  # the welcome post, then one story per member
    crossed = {s for guid, s in story.items() if re.search(r"p=(106|200|201)#", guid)}
    assert len(crossed) == 1  # membre7's three posts: one story


# ------------------------------------------- a syndicated copy is still a sighting
TITLE = "Panne géante chez Acmé : des milliers de clients privés de leurs comptes"
TEXT = (
    "Depuis ce mercredi matin, les clients d'Acmé ne peuvent plus se connecter à leur "
    "application ni payer par carte, et le service client est saturé."
)


def press(link: str, byline: str) -> Resource:
    body = (
        '<?xml version="1.0"?><rss version="2.0" '
        'xmlns:dc="http://purl.org/dc/elements/1.1/"><channel><title>x</title>'
        f"<item><title>{TITLE}</title><link>{link}</link><guid>{link}</guid>"
        f"<dc:creator>{byline}</dc:creator><description>{TEXT}</description></item>"
        "</channel></rss>"
    )
    return Resource(body.encode(), "application/rss+xml")


def test_a_dispatch_signed_differently_on_three_sites_is_one_story(
    app_for: Callable[[str], App], feeds: FeedServer, slack: FakeSlack, clock: Clock
) -> None:
    sites = {
        "lemonde": ("https://www.lemonde.example/eco/panne-acme", "Le Monde avec AFP"),
        "lefigaro": ("https://www.lefigaro.example/eco/panne-acme", "Le Figaro avec AFP"),
        "ouest": ("https://www.ouest.example/economie/acme-panne", "AFP"),
    }
    sources = ""
    for name, (link, byline) in sites.items():
        feeds.resources[f"/{name}"] = press(link, byline)
        sources += (
            f'\n[[sources]]\nname = "{name}"\nkind = "rss"\nurl = "{feeds.url("/" + name)}"\n'
            "allow_private = true\n"
        )
    app = app_for(sources)
    poll(app, clock)

    [top] = slack.posts()
    replies = sorted(r["text"].split("\u00a0: ")[0] for r in slack.replies(top["ts"]))
    assert len(replies) == 2 and all(r.startswith("Aussi vu sur") for r in replies)
    assert re.findall(r"Vu sur (\d+ \w+)", str(top.get("blocks")))[-1:] == ["3 sites"]


# ------------------------------------ a news site's republication, signed again
def site_feed(*articles: tuple[str, str, str]) -> Resource:
    """A news site's RSS feed of the dispatch at each ``(link, byline, text)``."""
    items = "".join(
        f"<item><title>{TITLE}</title><link>{link}</link><guid>{link}</guid>"
        f"<dc:creator>{escape(byline)}</dc:creator><description>{escape(text)}</description>"
        "</item>"
        for link, byline, text in articles
    )
    body = (
        '<?xml version="1.0"?><rss version="2.0" '
        'xmlns:dc="http://purl.org/dc/elements/1.1/"><channel><title>Le Monde</title>'
        f"{items}</channel></rss>"
    )
    return Resource(body.encode(), "application/rss+xml")


def test_a_site_republishing_its_article_signed_again_is_one_story(
    app_for: Callable[[str], App], feeds: FeedServer, slack: FakeSlack, clock: Clock
) -> None:
    """The site moves its article to a new address signed "Le Monde avec AFP",
    then updates it under a third one with a reporter's name added: one message
    (no second alert for "another author"); the update is told in its thread as
    the site's republication, and the site is counted once."""
    first = ("https://www.lemonde.example/eco/panne-acme", "Le Monde", TEXT)
    feeds.resources["/lemonde"] = site_feed(first)
    source = f'\n[[sources]]\nname = "lemonde"\nkind = "rss"\nurl = "{feeds.url("/lemonde")}"\n'
    app = app_for(source + "allow_private = true\n")
    poll(app, clock)
    moved = ("https://www.lemonde.example/economie/panne-acme-afp", "Le Monde avec AFP", TEXT)
    feeds.resources["/lemonde"] = site_feed(moved, first)
    poll(app, clock)
    updated = TEXT.replace("est saturé", "est débordé")
    third = ("https://www.lemonde.example/economie/panne-acme-maj", "Marie Dupont, Le Monde")
    feeds.resources["/lemonde"] = site_feed((*third, updated), moved, first)
    poll(app, clock)

    [top] = slack.posts()
    [reply] = slack.replies(top["ts"])  # the move (the same text) is a repost: no reply
    assert reply["text"].startswith(nb("Republié sur lemonde.example (nouvelle adresse) : "))
    assert "panne-acme-maj" in reply["text"]
    assert "Vu sur" not in str(top.get("blocks"))  # one site
    with app.db.session() as session:
        assert len(set(session.scalars(select(ItemRow.story_id)))) == 1


def test_two_journalists_of_one_site_with_near_identical_articles_are_two_alerts(
    app_for: Callable[[str], App], feeds: FeedServer, slack: FakeSlack, clock: Clock
) -> None:
    """Bylines without a contributor in common are two authors, as on a forum."""
    first = ("https://www.lemonde.example/eco/panne-acme", "Marie Dupont", TEXT)
    other = ("https://www.lemonde.example/eco/acme-panne", "Jean Martin", TEXT)
    feeds.resources["/lemonde"] = site_feed(other, first)
    source = f'\n[[sources]]\nname = "lemonde"\nkind = "rss"\nurl = "{feeds.url("/lemonde")}"\n'
    app = app_for(source + "allow_private = true\n")
    poll(app, clock)
    assert len(slack.posts()) == 2
