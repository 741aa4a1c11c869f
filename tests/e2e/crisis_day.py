"""A crisis day for "Banque Acmé", served by the local feed server, minute by minute.

An outage story breaks at 08:00 (Paris): an AFP dispatch syndicated on 30 news
sites, 10 rewritten articles, three Google Alerts feeds pointing (through
Google redirect links) at the same articles, an angry phpBB thread, a
Discourse topic and 1-star App Store reviews. By 11:00 it is over. Three quiet
days before it give the spike detector its usual level.

:class:`CrisisWeb` holds what each source lists at a moment; ``publish(now)``
puts on the feed server what the sources show at ``now``.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from html import escape
from urllib.parse import quote

from tests.servers.http import FeedServer, Resource

#: Wednesday 4 March 2026, 08:00 in Paris (UTC+1).
BREAK = datetime(2026, 3, 4, 7, 0, tzinfo=UTC)
APP_LINK = "https://apps.apple.com/fr/app/banque-acme/id1400000000"

DISPATCH_TITLE = "Panne géante chez Banque Acmé : des milliers de clients privés de leurs comptes"
DISPATCH_TEXT = (
    "Depuis ce mercredi matin, les clients de Banque Acmé ne peuvent plus se connecter à "
    "leur application ni payer par carte. L'application est en panne et le service client "
    "est saturé. La banque évoque un incident informatique et promet un retour à la normale "
    "dans la journée. Sur les réseaux sociaux, la colère monte."
)
REWRITES = [
    (
        "Banque Acmé : pourquoi votre carte ne marche plus ce matin",
        "Paiements refusés, application muette : nous avons interrogé Banque Acmé sur "
        "l'origine de la panne générale qui touche ses clients depuis huit heures. "
        "Un prestataire informatique serait en cause selon nos informations exclusives.",
    ),
    (
        "Clients de Banque Acmé : vos droits en cas de panne",
        "Frais d'incident, paiements bloqués, virements en retard : que peut exiger un client "
        "de Banque Acmé après une panne générale ? Un avocat spécialisé en droit bancaire "
        "détaille les recours possibles et les délais à respecter.",
    ),
]

NEWS_SITES = [
    "lemonde.example",
    "lefigaro.example",
    "liberation.example",
    "ouest-france.example",
    "sudouest.example",
    "ladepeche.example",
    "lavoixdunord.example",
    "leprogres.example",
    "ledauphine.example",
    "lalsace.example",
    "dna.example",
    "estrepublicain.example",
    "midilibre.example",
    "laprovence.example",
    "nicematin.example",
    "lesechos.example",
    "latribune.example",
    "capital.example",
    "challenges.example",
    "bfmtv.example",
    "francetvinfo.example",
    "20minutes.example",
    "lepoint.example",
    "lexpress.example",
    "nouvelobs.example",
    "huffingtonpost.example",
    "boursorama.example",
    "zonebourse.example",
    "europe1.example",
    "rtl.example",
]
REWRITE_SITES = [
    ["leparisien.example", "actu.example", "linternaute.example", "cnews.example", "lci.example"],
    [
        "moneyvox.example",
        "quechoisir.example",
        "60millions.example",
        "dossierfamilial.example",
        "toutsurmesfinances.example",
    ],
]

FORUM_POSTS = [
    (
        "marc75",
        "Banque Acmé en panne ?!",
        "Impossible de me connecter à l'appli Banque Acmé "
        "depuis ce matin, ma carte est refusée partout. Quelqu'un a des infos ?",
    ),
    (
        "sophie_l",
        "Re: Banque Acmé en panne ?!",
        "Pareil, le service client est injoignable, "
        "ça sonne dans le vide. C'est une honte, je ne peux même pas payer mes courses.",
    ),
    (
        "jp.durand",
        "Re: Banque Acmé en panne ?!",
        "Inadmissible. Je vais porter plainte, trois "
        "heures sans accès à mon argent chez Banque Acmé, c'est lamentable.",
    ),
    (
        "nadia",
        "Re: Banque Acmé en panne ?!",
        "Chez moi le virement du loyer est parti deux fois "
        "pendant la panne. Banque Acmé ne répond pas, aucune réponse au téléphone.",
    ),
]
DISCOURSE_POSTS = [
    (
        "claire",
        "Chez Banque Acmé, l'appli plante et mes paiements sont refusés depuis 8 h, "
        "c'est un scandale pour une banque en ligne.",
    ),
    (
        "theo",
        "Même chose ici. Le support de Banque Acmé est injoignable, on nous laisse sans "
        "nouvelles depuis trois heures.",
    ),
    ("amel", "Retour à la normale pour moi vers 10 h 40, l'appli Banque Acmé refonctionne."),
]
REVIEWS = [
    (
        "Claire_B",
        "Inadmissible",
        "Appli Banque Acmé en panne toute la matinée, aucune information. Honteux.",
    ),
    (
        "tom.r",
        "Plus rien ne marche",
        "Impossible de payer avec ma carte Banque Acmé, service client injoignable, lamentable.",
    ),
    ("mimi", "Une étoile c'est trop", "Banque Acmé en panne générale, je change de banque."),
]


@dataclass
class Article:
    """One item, listed by a feed from ``at`` on."""

    at: datetime
    site: str
    slug: str
    title: str
    text: str

    @property
    def url(self) -> str:
        return f"https://www.{self.site}/economie/{self.slug}"


@dataclass
class CrisisWeb:
    """What every source lists, by publication time; served at ``publish(now)``."""

    feeds: FeedServer
    press: dict[str, list[Article]] = field(default_factory=dict)
    alerts: dict[str, list[Article]] = field(default_factory=dict)
    forum: list[tuple[datetime, str, str, str]] = field(default_factory=list)
    discourse: list[tuple[datetime, str, str]] = field(default_factory=list)
    reviews: list[tuple[datetime, str, str, str]] = field(default_factory=list)

    def build(self) -> CrisisWeb:
        # Three quiet days: one ordinary article a day (the spike's usual level).
        for day in (3, 2, 1):
            when = BREAK - timedelta(days=day) + timedelta(hours=2)
            self.press.setdefault("presse-eco", []).append(
                Article(
                    when,
                    "lesechos.example",
                    f"agence-{day}",
                    f"Banque Acmé ouvre sa {day}e agence de conseil patrimonial",
                    "Banque Acmé poursuit son développement en région et ouvre une nouvelle "
                    f"agence dédiée au conseil patrimonial, la {day}e cette année.",
                )
            )
        feeds_of_press = ["presse-nationale", "presse-regionale", "presse-eco", "agregateur"]
        # The dispatch: 30 sites from 08:05 to 08:40, in every press feed in turn.
        for i, site in enumerate(NEWS_SITES):
            at = BREAK + timedelta(minutes=3 + i * 75 // 60)
            self.press.setdefault(feeds_of_press[i % 4], []).append(
                Article(at, site, "panne-banque-acme", DISPATCH_TITLE, DISPATCH_TEXT)
            )
        for n, (title, text) in enumerate(REWRITES):
            for i, site in enumerate(REWRITE_SITES[n]):
                at = BREAK + timedelta(minutes=12 + 9 * n + 4 * i)
                self.press.setdefault(feeds_of_press[(i + n) % 4], []).append(
                    Article(at, site, f"acme-{n}", title, text)
                )
        # Three Google Alerts: the same articles, through Google's redirect links.
        every = sorted(
            (a for arts in self.press.values() for a in arts if a.at >= BREAK), key=lambda a: a.at
        )
        for k, name in enumerate(("alerte-banque-acme", "alerte-acme-panne", "alerte-acme")):
            self.alerts[name] = [a for j, a in enumerate(every) if j % 3 == k or j < 2]
        self.forum.append(
            (
                BREAK - timedelta(minutes=25),
                "lucie",
                "Frais de tenue de compte chez Banque Acmé",
                "Quelqu'un connaît les frais de tenue de compte de Banque Acmé pour 2026 ?",
            )
        )
        for i, (author, title, text) in enumerate(FORUM_POSTS):
            self.forum.append((BREAK + timedelta(minutes=6 + 11 * i), author, title, text))
        for i, (author, text) in enumerate(DISCOURSE_POSTS):
            self.discourse.append((BREAK + timedelta(minutes=20 + 60 * i), author, text))
        for i, (author, title, text) in enumerate(REVIEWS):
            self.reviews.append((BREAK + timedelta(minutes=25 + 15 * i), author, title, text))
        return self

    # -------------------------------------------------------------- serving
    def publish(self, now: datetime) -> None:
        """Put on the feed server what each source lists at ``now``."""
        for name, articles in self.press.items():
            shown = [a for a in articles if a.at <= now]
            self.feeds.resources[f"/{name}.rss"] = Resource(rss(name, shown), "application/rss+xml")
        for name, articles in self.alerts.items():
            shown = [a for a in articles if a.at <= now]
            self.feeds.resources[f"/{name}.xml"] = Resource(
                google_alerts(name, shown), "application/atom+xml"
            )
        self.feeds.resources["/forum/feed.php"] = Resource(
            phpbb([p for p in self.forum if p[0] <= now]), "application/atom+xml"
        )
        posts = [p for p in self.discourse if p[0] <= now]
        latest = {
            "topic_list": {
                "topics": [
                    {
                        "id": 42,
                        "slug": "panne-banque-acme",
                        "title": "Panne de l'appli Banque Acmé",
                        "highest_post_number": len(posts),
                        "last_posted_at": posts[-1][0].isoformat() if posts else None,
                    }
                ]
                if posts
                else []
            }
        }
        self.feeds.resources["/communaute/latest.json"] = Resource(
            json.dumps(latest).encode(), "application/json"
        )
        for start in range(len(posts) + 1):
            chunk = [
                {
                    "id": 4200 + n,
                    "post_number": n + 1,
                    "topic_id": 42,
                    "topic_slug": "panne-banque-acme",
                    "post_url": f"/t/panne-banque-acme/42/{n + 1}",
                    "cooked": f"<p>{escape(text)}</p>",
                    "username": author,
                    "created_at": at.isoformat(),
                }
                for n, (at, author, text) in enumerate(posts)
                if n >= start
            ]
            query = f"?post_number={start}&asc=true" if start else ""  # Discourse: posts after N
            self.feeds.resources[f"/communaute/t/42/posts.json{query}"] = Resource(
                json.dumps({"post_stream": {"posts": chunk}}).encode(), "application/json"
            )
        self.feeds.resources["/appstore/reviews.json"] = Resource(
            appstore([r for r in self.reviews if r[0] <= now]), "application/json"
        )


def rss(name: str, articles: list[Article]) -> bytes:
    items = "".join(
        f"<item><title>{escape(a.title)}</title><link>{escape(a.url)}</link>"
        f"<guid>{escape(a.url)}</guid><pubDate>{format_datetime(a.at)}</pubDate>"
        f"<description>{escape(a.text)}</description></item>"
        for a in reversed(articles)
    )
    return (
        f'<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel>'
        f"<title>{name}</title><link>https://{name}.example/</link>{items}</channel></rss>"
    ).encode()


def google_redirect(url: str) -> str:
    return f"https://www.google.com/url?rct=j&sa=t&url={quote(url, safe=':/')}&ct=ga&cd=X&usg=Y"


def google_alerts(name: str, articles: list[Article]) -> bytes:
    entries = "".join(
        f"<entry><id>tag:google.com,2013:googlealerts/feed:{name}:{a.site}:{a.slug}</id>"
        f'<title type="html">{escape(a.title.replace("Acmé", "<b>Acmé</b>"))}</title>'
        f'<link href="{escape(google_redirect(a.url))}"></link>'
        f"<published>{a.at.isoformat()}</published><updated>{a.at.isoformat()}</updated>"
        f'<content type="html">{escape(a.text[:160])}&amp;nbsp;...</content>'
        f"<author><name></name></author></entry>"
        for a in reversed(articles)
    )
    return (
        '<?xml version="1.0" encoding="utf-8"?><feed xmlns="http://www.w3.org/2005/Atom">'
        f"<id>tag:google.com,2005:alerts/{name}</id><title>Google Alert - {name}</title>"
        f"<updated>{BREAK.isoformat()}</updated>{entries}</feed>"
    ).encode()


def phpbb(posts: list[tuple[datetime, str, str, str]]) -> bytes:
    base = "https://forum-conso.example/forum"
    entries = "".join(
        f"<entry><author><name><![CDATA[{author}]]></name></author>"
        f"<updated>{at.isoformat()}</updated><published>{at.isoformat()}</published>"
        f"<id>{base}/viewtopic.php?t=900&amp;p={9000 + i}#p{9000 + i}</id>"
        f'<link href="{base}/viewtopic.php?t=900&amp;p={9000 + i}#p{9000 + i}"/>'
        f'<title type="html"><![CDATA[{title}]]></title>'
        f'<content type="html"><![CDATA[<p>{text}</p><p>Statistics: Posted by '
        f'<a href="{base}/memberlist.php?mode=viewprofile&amp;u={i + 2}">{author}</a> — '
        f"{at:%a %b %d, %Y %I:%M %p}</p><hr />]]></content></entry>"
        for i, (at, author, title, text) in reversed(list(enumerate(posts)))
    )
    return (
        '<?xml version="1.0" encoding="UTF-8"?><feed xmlns="http://www.w3.org/2005/Atom" '
        f'xml:lang="fr"><title>Forum conso</title><id>{base}/feed.php</id>'
        f"<updated>{BREAK.isoformat()}</updated>{entries}</feed>"
    ).encode()


def appstore(reviews: list[tuple[datetime, str, str, str]]) -> bytes:
    entries = [
        {
            "author": {"name": {"label": author}, "label": ""},
            "updated": {"label": at.isoformat()},
            "im:rating": {"label": "1"},
            "im:version": {"label": "7.4.0"},
            "id": {"label": f"1090000{i}"},
            "title": {"label": title},
            "content": {"label": text, "attributes": {"type": "text"}},
            "link": {"attributes": {"rel": "related", "href": APP_LINK}},
        }
        for i, (at, author, title, text) in reversed(list(enumerate(reviews)))
    ]
    return json.dumps({"feed": {"entry": entries}}).encode()


def config(database_url: str, feeds: FeedServer, slack_url: str, smtp_port: int, lang: str) -> str:
    """The team's watchtower.toml for the day, its notifications in ``lang``."""
    press = "".join(
        f"""
[[sources]]
name = "{name}"
kind = "rss"
url = "{feeds.url(f"/{name}.rss")}"
every = "5m"
allow_private = true
"""
        for name in ("presse-nationale", "presse-regionale", "presse-eco", "agregateur")
    )
    alerts = "".join(
        f"""
[[sources]]
name = "{name}"
kind = "google_alerts"
url = "{feeds.url(f"/{name}.xml")}"
every = "5m"
allow_private = true
"""
        for name in ("alerte-banque-acme", "alerte-acme-panne", "alerte-acme")
    )
    pack = "crisis-fr"  # the day's words are French, whatever language the team reads
    return f"""include = ["{pack}"]

[watchtower]
database_url = "{database_url}"
language = "{lang}"
timezone = "Europe/Paris"
default_notify = ["slack:#veille", "email:manager@acme.example"]
ops_notify = ["email:ops@acme.example"]

[slack]
default_channel = "#veille"
api_url = "{slack_url}"
channel_interval = "0s"

[email]
smtp_host = "127.0.0.1"
smtp_port = {smtp_port}
starttls = false
from = "Veille Acmé <veille@acme.example>"

[[brands]]
name = "Banque Acmé"
terms = ["Acmé", "Banque Acmé", "acme.fr"]
exclude = ["Acme Corporation"]
{press}{alerts}
[[sources]]
name = "forum-conso"
preset = "phpbb"
base_url = "{feeds.url("/forum")}"
every = "5m"
allow_private = true

[[sources]]
name = "communaute"
preset = "discourse"
base_url = "{feeds.url("/communaute")}"
every = "5m"
allow_private = true

[[sources]]
name = "app-store"
kind = "reviews"
url = "{feeds.url("/appstore/reviews.json")}"
every = "5m"
allow_private = true

[[rules]]
name = "{pack}"
notify = ["slack:#crise", "email:manager@acme.example"]
spikes = true
escalate_to = ["@USENIOR"]
escalate_notify = ["slack:#direction", "email:senior@acme.example"]

[[rules]]
name = "{pack}-service"
notify = ["slack:#service-client"]

[spikes]
min_count = 10
notify = ["slack:#crise"]
escalate_to = ["@USENIOR"]
ack_timeout = "15m"
escalate_notify = ["slack:#direction", "email:senior@acme.example"]

[[quiet_hours]]
targets = ["slack:#veille", "slack:#service-client", "email:manager@acme.example"]
windows = ["mon-fri 20:00-08:00", "sat-sun"]

[[digests]]
targets = ["email:manager@acme.example"]
digest = "daily 18:00"
"""
