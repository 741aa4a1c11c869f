"""E-mail digests as a marketing team receives them today: Google Alerts in
quoted-printable HTML with "ACTUALITÉS" and "WEB" sections and their footer,
LinkedIn group digests with their buttons and navigation links, and both
forwarded inline by a colleague ("Fwd:", "TR :").

All e-mails below are SYNTHETIC, written for these tests after the public
structure of Google Alerts, LinkedIn, Gmail and Outlook e-mails. No real person,
post or alert.
"""

from __future__ import annotations

import quopri

import pytest

from watchtower.adapters._mail import parse_email
from watchtower.adapters._mail_digest import clean_linkedin_url, google_target


def _redirect(target: str, cd: str = "CAEYACoUMTY") -> str:
    return (
        f"https://www.google.com/url?rct=j&amp;sa=t&amp;url={target}"
        f"&amp;ct=ga&amp;cd={cd}&amp;usg=AOvVaw3x"
    )


def _article(target: str, title: str, publisher: str, snippet: str) -> str:
    """One article of today's Google Alerts layout (schema.org microdata, share row)."""
    return f"""
<tr itemscope itemtype="http://schema.org/Article"><td><table>
<tr><td><a href="{_redirect(target)}" itemprop="url" style="color:#1a0dab">
<span itemprop="name">{title}</span></a></td></tr>
<tr><td><div itemprop="publisher" itemscope itemtype="http://schema.org/Organization">
<span itemprop="name">{publisher}</span></div>
<div><span itemprop="description">{snippet}</span></div></td></tr>
<tr><td><a href="https://www.google.com/alerts/share?hl=fr&amp;gl=FR&amp;ru={target}&amp;ss=fb"
title="Facebook"><img alt="Facebook" src="https://www.gstatic.com/alerts/fb.png"></a>
<a href="https://www.google.com/alerts/share?hl=fr&amp;gl=FR&amp;ru={target}&amp;ss=tw"
title="Twitter"><img alt="Twitter" src="https://www.gstatic.com/alerts/tw.png"></a>
<a href="https://www.google.com/alerts/feedback?ffu={target}&amp;source=alertsmail&amp;hl=fr"
title="Signaler comme non pertinent"><img alt="Signaler comme non pertinent" src="x"></a>
</td></tr></table></td></tr>"""


LEMONDE = "https://www.lemonde.fr/economie/article/2026/11/26/la-banque-acme-condamnee_6123.html"
OUEST = "https://www.ouest-france.fr/economie/banques/acme-ferme-12-agences-abc123"
FORUM = "https://forum.conso.example/topic/acme-arnaque?page=2"

ALERT_BODY = f"""<table width="100%">
<tr><td><a href="https://www.google.com/alerts?source=alertsmail&amp;hl=fr&amp;gl=FR&amp;msgid=MTIz">
<img alt="Google Alertes" src="https://www.gstatic.com/alerts/logo.png"></a></td></tr>
<tr><td style="font-size:24px">Banque Acmé</td></tr>
<tr><td>Mise à jour quotidienne ⋅ 26 novembre 2026</td></tr>
<tr><td><span style="font-size:12px">ACTUALITÉS</span></td></tr>
{
    _article(
        LEMONDE,
        "La <b>Banque Acmé</b> condamnée pour frais abusifs",
        "Le Monde",
        "Le tribunal a jugé que la <b>Banque Acmé</b> devait rembourser ses clients&nbsp;…",
    )
}
{
    _article(
        OUEST,
        "<b>Acmé</b> ferme 12 agences en Bretagne",
        "Ouest-France",
        "La banque <b>Acmé</b> annonce la fermeture de douze agences d&#39;ici à l&#39;été.",
    )
}
<tr><td><span style="font-size:12px">WEB</span></td></tr>
{
    _article(
        "https://forum.conso.example/topic/acme-arnaque%3Fpage%3D2",
        "Arnaque au faux conseiller <b>Acmé</b> - Forum",
        "Forum Conso",
        "Bonjour, j&#39;ai reçu un appel d&#39;un soi-disant conseiller <b>Acmé</b>…",
    )
}
<tr><td><a href="{
    _redirect(
        "https://www.google.com/search%3Fq%3D%2522Banque%2BAcm%25C3%25A9%2522%26tbm%3Dnws",
        "CAEYAyoU",
    )
}">Voir plus de résultats</a>
| <a href="https://www.google.com/alerts/edit?source=alertsmail&amp;hl=fr&amp;s=AB2Xq4hZ">
Modifier cette alerte</a></td></tr>
<tr><td>Vous avez reçu cet e-mail, car vous êtes abonné aux alertes Google.
<a href="https://www.google.com/alerts/remove?source=alertsmail&amp;hl=fr&amp;s=AB2Xq4hZ">
Se désabonner</a>
| <a href="https://www.google.com/alerts?source=alertsmail&amp;hl=fr">
Afficher toutes vos alertes</a></td></tr>
<tr><td><a href="https://www.google.com/alerts/alerts.rss?s=AB2">
Recevoir ces alertes sous forme de flux RSS</a></td></tr>
</table>"""

ALERT_TEXT = """Alertes Google
Banque Acmé
Mise à jour quotidienne ⋅ 26 novembre 2026
ACTUALITÉS
La Banque Acmé condamnée pour frais abusifs
Le Monde
"""

GMAIL_FORWARD = """<div dir="ltr">Regarde, encore un article sur nous.<br><br>
<div class="gmail_quote"><div dir="ltr" class="gmail_attr">
---------- Forwarded message ---------<br>
De&nbsp;: <strong class="gmail_sendername" dir="auto">{name}</strong> <span dir="auto">&lt;<a
href="mailto:{address}">{address}</a>&gt;</span><br>Date: jeu. 26 nov. 2026 à 16:12<br>
Subject: {subject}<br>To: &lt;<a href="mailto:claire@acme.example">claire@acme.example</a>&gt;<br>
</div><br><br><div class="gmail_quote">{body}</div></div></div>"""


def _mail(
    html: str,
    text: str,
    *,
    sender: str,
    subject: str,
    message_id: str = "<CAfwd123@mail.gmail.com>",
    date: str = "Thu, 26 Nov 2026 07:12:00 -0800",
) -> bytes:
    """A multipart/alternative e-mail, both parts UTF-8 quoted-printable (as Google sends)."""

    def qp(body: str) -> str:
        return quopri.encodestring(body.encode("utf-8")).decode("ascii")

    parts = "".join(
        f'--b1\r\nContent-Type: text/{kind}; charset="UTF-8"\r\n'
        f"Content-Transfer-Encoding: quoted-printable\r\n\r\n{qp(body)}\r\n"
        for kind, body in (("plain", text), ("html", html))
    )
    return (
        f"From: {sender}\r\nTo: veille@acme.example\r\nSubject: {subject}\r\n"
        f"Date: {date}\r\nMessage-ID: {message_id}\r\n"
        'MIME-Version: 1.0\r\nContent-Type: multipart/alternative; boundary="b1"\r\n\r\n'
        f"{parts}--b1--\r\n"
    ).encode()


def google_alert() -> bytes:
    return _mail(
        f"<!DOCTYPE html><html><body>{ALERT_BODY}</body></html>",
        ALERT_TEXT,
        sender="Alertes Google <googlealerts-noreply@google.com>",
        subject="=?UTF-8?Q?Alerte_Google_=C2=B7_Banque_Acm=C3=A9?=",
        message_id="<0000000000004e5f@google.com>",
    )


EXPECTED_ALERT = [
    (LEMONDE, "La Banque Acmé condamnée pour frais abusifs"),
    (OUEST, "Acmé ferme 12 agences en Bretagne"),
    (FORUM, "Arnaque au faux conseiller Acmé - Forum"),
]


def test_a_google_alert_of_today_is_its_articles_and_nothing_of_its_footer() -> None:
    items = parse_email(google_alert())
    # "Voir plus de résultats" goes through the same /url redirect as the articles,
    # to a Google search: it is no article.
    assert [(item.url, item.title) for item in items] == EXPECTED_ALERT
    assert items[0].text == (
        "Le Monde Le tribunal a jugé que la Banque Acmé devait rembourser ses clients …"
    )
    assert items[1].text == (
        "Ouest-France La banque Acmé annonce la fermeture de douze agences d'ici à l'été."
    )
    assert all(item.extra["mail_subject"] == "Alerte Google · Banque Acmé" for item in items)


@pytest.mark.parametrize(
    "href",
    [
        _redirect("https://www.google.com/search%3Fq%3Dacme%26tbm%3Dnws").replace("&amp;", "&"),
        _redirect("https://www.google.fr/alerts/edit%3Fs%3DAB2").replace("&amp;", "&"),
        "https://www.google.com/alerts/remove?source=alertsmail&s=AB2",
    ],
)
def test_google_links_to_google_itself_are_no_article(href: str) -> None:
    assert google_target(href) is None


def test_google_hosted_articles_are_still_articles() -> None:
    href = _redirect("https://blog.google/products/acme-pay/").replace("&amp;", "&")
    assert google_target(href) == "https://blog.google/products/acme-pay/"


def forwarded_google_alert(date: str = "Thu, 26 Nov 2026 17:00:00 +0100") -> bytes:
    """A colleague's Gmail "Fwd:" of today's Google Alert (inline, not attached)."""
    html = GMAIL_FORWARD.format(
        name="Alertes Google",
        address="googlealerts-noreply@google.com",
        subject="Alerte Google · Banque Acmé",
        body=ALERT_BODY,
    )
    text = (
        "Regarde, encore un article sur nous.\n\n---------- Forwarded message ---------\n"
        "De : Alertes Google <googlealerts-noreply@google.com>\n" + ALERT_TEXT
    )
    return _mail(
        html,
        text,
        sender="Claire Martin <claire@acme.example>",
        subject="=?UTF-8?Q?Fwd:_Alerte_Google_=C2=B7_Banque_Acm=C3=A9?=",
        date=date,
    )


def test_a_google_alert_forwarded_inline_by_a_colleague_is_split_into_its_articles() -> None:
    items = parse_email(forwarded_google_alert())
    assert [(item.url, item.title) for item in items] == EXPECTED_ALERT
    assert "Regarde" not in " ".join(item.text for item in items)
    assert items[0].text.startswith("Le Monde Le tribunal")
    assert len({item.guid for item in items}) == 3


def test_a_linkedin_digest_forwarded_from_outlook_as_text_is_split() -> None:
    # Outlook's "TR :" forward, HTML part stripped to its text by the colleague's client.
    post = "https://www.linkedin.com/comm/groups/4711/posts/7170000000000000001?midToken=AQH&trk=x"
    text = (
        "Pour info.\n\n________________________________\n"
        "De : LinkedIn <groups-noreply@linkedin.com>\nEnvoyé : jeudi 26 novembre 2026 08:30\n"
        "À : Claire Martin <claire@acme.example>\nObjet : Nouvelles discussions\n\n"
        "Résiliation Acmé Assurance : votre avis ?\n"
        "Marie D. · Après trois relances, pas de réponse d'Acmé.\n"
        f"<{post}>\n\n"
        "Se désabonner <https://www.linkedin.com/comm/psettings/email-unsubscribe?trk=u>\n"
    )
    body = (
        "From: Claire Martin <claire@acme.example>\r\nSubject: TR: Nouvelles discussions\r\n"
        "Message-ID: <outlook-1@acme.example>\r\nContent-Type: text/plain; charset=utf-8\r\n"
        "Content-Transfer-Encoding: 8bit\r\n\r\n" + text
    ).encode()
    [item] = parse_email(body)
    assert item.url == "https://www.linkedin.com/groups/4711/posts/7170000000000000001"
    assert item.title == "Résiliation Acmé Assurance : votre avis ?"
    assert item.text == "Marie D. · Après trois relances, pas de réponse d'Acmé."


def test_an_ordinary_mail_naming_a_digest_sender_stays_one_mail() -> None:
    body = (
        "From: Client <client@example.org>\r\nSubject: Question\r\nMessage-ID: <q1@example.org>\r\n"
        "Content-Type: text/plain; charset=utf-8\r\n\r\n"
        "Bonjour, je reçois des mails de : LinkedIn <groups-noreply@linkedin.com> "
        "au sujet de la Banque Acmé, est-ce normal ?\r\n"
    ).encode()
    [item] = parse_email(body)
    assert item.title == "Question" and item.url == ""
    assert "est-ce normal" in item.text


def _linkedin(path: str, query: str) -> str:
    return f"https://www.linkedin.com/comm{path}?{query}"


POST_1 = "/groups/4711/posts/7170000000000000001"
POST_2 = "/feed/update/urn:li:activity:7170000000000000002"
TRACKING = (
    "midToken=AQH&amp;midSig=2x&amp;trk=eml-group_digest&amp;trkEmail=eml-x&amp;lipi=urn%3Ali"
)

LINKEDIN_DIGEST = f"""<html><body><table>
<tr><td><a href="{_linkedin("/groups/4711/", TRACKING)}">Banque &amp; Assurance France</a></td></tr>
<tr><td><a href="{_linkedin("/in/marie-d-123/", TRACKING)}"><img alt="Marie D."></a>
 <a href="{_linkedin(POST_1, TRACKING + "&amp;refId=abc%3D%3D&amp;trackingId=zz%3D%3D")}">
 Quelqu'un a-t-il résilié son contrat Acmé Assurance ?</a>
 <p>Marie D. · Après trois relances, toujours pas de réponse d'Acmé…</p>
 <a href="{_linkedin(POST_1 + "/", "commentUrn=urn%3Ali%3Acomment%3A1&amp;" + TRACKING)}">
 Commenter</a></td></tr>
<tr><td><a href="{_linkedin("/feed/update/urn%3Ali%3Aactivity%3A7170000000000000002/", TRACKING)}">
 Migration vers la Banque Acmé Pro</a>
 <p>Paul R. · Bilan de six mois, globalement positif.</p>
 <a href="{_linkedin(POST_2 + "/", "actionType=LIKE&amp;" + TRACKING)}">J'aime</a></td></tr>
<tr><td><a href="{_linkedin("/groups/4711/discussions/", TRACKING)}">Voir toutes les discussions</a>
<a href="{_linkedin("/groups/4711/members/", TRACKING)}">Voir les membres</a></td></tr>
<tr><td><a href="{_linkedin("/psettings/email-unsubscribe", TRACKING)}">Se désabonner</a>
<a href="https://www.linkedin.com/help/linkedin?trk=eml-help">Aide</a></td></tr>
</table></body></html>"""


def linkedin_digest(date: str = "Thu, 26 Nov 2026 07:30:00 +0000") -> bytes:
    return _mail(
        LINKEDIN_DIGEST,
        "Nouvelles discussions dans Banque & Assurance France",
        sender="LinkedIn <groups-noreply@linkedin.com>",
        subject="=?UTF-8?Q?Nouvelles_discussions_dans_=C2=AB_Banque_&_Assurance_=C2=BB?=",
        message_id="<1234.42@ltx1-app1234.prod.linkedin.com>",
        date=date,
    )


def test_a_linkedin_digest_is_one_item_per_discussion_at_its_real_address() -> None:
    items = parse_email(linkedin_digest())
    assert [(item.url, item.title) for item in items] == [
        (
            "https://www.linkedin.com/groups/4711/posts/7170000000000000001",
            "Quelqu'un a-t-il résilié son contrat Acmé Assurance ?",
        ),
        (
            "https://www.linkedin.com/feed/update/urn:li:activity:7170000000000000002",
            "Migration vers la Banque Acmé Pro",
        ),
    ]
    assert items[0].text.startswith("Marie D. · Après trois relances")
    assert "Voir toutes" not in " ".join(item.text for item in items)


@pytest.mark.parametrize(
    ("href", "expected"),
    [
        ("https://www.linkedin.com/comm/groups/4711/discussions/?trk=x", None),
        ("https://www.linkedin.com/comm/groups/4711/posts/?trk=x", None),
        ("https://www.linkedin.com/comm/groups/?trk=x", None),
        ("https://www.linkedin.com/comm/feed/update/?trk=x", None),
        ("https://www.linkedin.com/comm/pulse/", None),
        (
            "https://www.linkedin.com/comm/groups/4711/4711-6123456789?midToken=A",
            "https://www.linkedin.com/groups/4711/4711-6123456789",
        ),
        (
            "https://fr.linkedin.com/comm/pulse/acme-bilan-2026-marie-d?trk=a&utm_source=x",
            "https://www.linkedin.com/pulse/acme-bilan-2026-marie-d",
        ),
        (
            "https://www.linkedin.com/posts/marie-d_acme-activity-717?utm_source=share&utm_medium=m",
            "https://www.linkedin.com/posts/marie-d_acme-activity-717",
        ),
        (
            "https://www.linkedin.com/comm/feed/update/urn%3Ali%3Aactivity%3A9/?actionType=LIKE"
            "&refId=a&trackingId=b&commentUrn=c&midToken=d&keep=1",
            "https://www.linkedin.com/feed/update/urn:li:activity:9?keep=1",
        ),
    ],
)
def test_linkedin_links(href: str, expected: str | None) -> None:
    assert clean_linkedin_url(href) == expected
