"""HTML e-mails say which site each title's link leads to, as Slack does.

A feed writes the title; the link may lead anywhere. Slack shows the site beside
each mention's link (a look-alike domain kept as ``xn--``); the HTML e-mail
showed only the title, so « Acmé : communiqué officiel » could lead to a
look-alike of the brand's site. Now each link is followed by its site, muted;
the plain-text part already showed the whole address.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from email.message import EmailMessage

from tests.e2e.alerting_helpers import Clock, naming, queue
from tests.servers.smtp import SmtpServer
from watchtower.app import App

LEMONDE = "https://www.lemonde.fr/economie/article/2026/03/04/acme.html"
LOOKALIKE = "https://xn--pypal-4ve.com/acme/communique"  # "pаypal.com", a Cyrillic "а"
GOOGLE_NEWS = "https://news.google.com/rss/articles/CBMiK2h0dHBzOi8vd3d3LmxlcGFyaXNpZW4uZnI"
CM = "email:cm@example.fr"


def html_of(mail: EmailMessage) -> str:
    part = mail.get_body(("html",))
    assert part is not None
    return str(part.get_content())


def text_of(mail: EmailMessage) -> str:
    part = mail.get_body(("plain",))
    assert part is not None
    return str(part.get_content())


def sites_after_links(page: str) -> dict[str, str]:
    """Each link's text → the site shown right after it ("" when none)."""
    shown = re.findall(r">([^<>]*)</a>(?: <span style='[^']*'>· ([^<]*)</span>)?", page)
    return dict(shown)


def sent(app: App, clock: Clock) -> None:
    for _ in range(3):
        app.outbox.drain()
        clock.advance(seconds=2)


def test_a_mention_email_names_the_site_of_its_link(
    app_for: Callable[[str], App], smtp: SmtpServer, clock: Clock
) -> None:
    app = app_for(naming(CM))
    queue(app, CM, key="lemonde", title="Acmé rachète Zeta", url=LEMONDE)
    queue(app, CM, key="lookalike", title="Acmé : communiqué officiel", url=LOOKALIKE)
    queue(app, CM, key="none", title="Acmé sans lien", url="")
    sent(app, clock)

    by_title = {m["Subject"]: m for m in smtp.messages}
    assert len(by_title) == 3
    pages = {s: sites_after_links(html_of(m)) for s, m in by_title.items()}
    [lemonde] = [p for s, p in pages.items() if "Zeta" in s]
    assert lemonde == {"Acmé rachète Zeta": "lemonde.fr"}
    [lookalike] = [p for s, p in pages.items() if "officiel" in s]
    assert lookalike == {"Acmé : communiqué officiel": "xn--pypal-4ve.com"}
    [plain] = [m for s, m in by_title.items() if "sans lien" in s]
    assert "·</span>" not in html_of(plain) and "<a " not in html_of(plain)
    # The text part shows the whole address, as before.
    [mail] = [m for s, m in by_title.items() if "officiel" in s]
    assert LOOKALIKE in text_of(mail)


def test_a_digest_email_names_the_site_of_each_story(
    app_for: Callable[[str], App], smtp: SmtpServer, clock: Clock
) -> None:
    app = app_for(naming(CM))
    items = [
        {"title": "Acmé rachète Zeta", "url": LEMONDE, "source": "presse"},
        {"title": "Acmé : communiqué officiel", "url": LOOKALIKE, "source": "blogs"},
        # A Google News link: its publisher's site, not news.google.com.
        {"title": "Acmé à Paris", "url": GOOGLE_NEWS, "source": "gnews", "site": "leparisien.fr"},
        {"title": "Acmé au forum", "url": "", "source": "forum-conso"},
    ]
    summary = {
        "reason": "digest",
        "period": "daily",
        "count": len(items),
        "since": "2026-11-25T07:30:00+00:00",
        "until": "2026-11-26T07:30:00+00:00",
        "items": [dict(i, severity="info", brands=["Acmé"]) for i in items],
        "by_brand": {"Acmé": {"info": len(items)}},
    }
    queue(app, CM, key="digest", kind="summary", summary=summary, title="", url="")
    sent(app, clock)

    [mail] = smtp.messages
    page = html_of(mail)
    assert sites_after_links(page) == {
        "Acmé rachète Zeta": "lemonde.fr",
        "Acmé : communiqué officiel": "xn--pypal-4ve.com",
        "Acmé à Paris": "leparisien.fr",
    }
    assert "Acmé au forum — <em>forum-conso</em>" in page  # no link: no site
    assert LEMONDE in text_of(mail) and LOOKALIKE in text_of(mail)
