"""E-mail parsing fixes (``_mail``, ``_mail_digest``, ``_mail_decode``): digests split
into articles whose text is their own, French text kept whole, charsets read as
mail clients read them, forwarded and text-only alerts.

All e-mails below are SYNTHETIC, written for these tests after the public
structure of Google Alerts and LinkedIn group e-mails. No real person or post.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from pathlib import Path

import pytest

from watchtower.adapters._mail import parse_email
from watchtower.adapters._mail_decode import decode_words

MAIL = Path(__file__).parent / "mail"


def message(
    html: str | None = None,
    *,
    sender: str = "Alertes Google <googlealerts-noreply@google.com>",
    subject: str = "Alerte Google - Acmé",
    text: str | None = None,
    message_id: str | None = None,
    date: str = "Tue, 05 Mar 2024 08:01:12 -0800",
) -> bytes:
    """A UTF-8 e-mail: text/html, text/plain, or multipart/alternative of both."""
    head = (
        f"From: {sender}\r\nTo: veille@example.fr\r\nSubject: {subject}\r\nDate: {date}\r\n"
        f"Message-ID: <{message_id or uuid.uuid4().hex}@example.net>\r\nMIME-Version: 1.0\r\n"
    )
    parts = [(kind, body) for kind, body in (("plain", text), ("html", html)) if body is not None]
    if len(parts) == 1:
        kind, body = parts[0]
        return (
            head + f"Content-Type: text/{kind}; charset=UTF-8\r\n"
            "Content-Transfer-Encoding: 8bit\r\n\r\n" + body
        ).encode()
    out = head + 'Content-Type: multipart/alternative; boundary="b1"\r\n\r\n'
    for kind, body in parts:
        out += (
            f"--b1\r\nContent-Type: text/{kind}; charset=UTF-8\r\n"
            f"Content-Transfer-Encoding: 8bit\r\n\r\n{body}\r\n"
        )
    return (out + "--b1--\r\n").encode()


def google_article(target: str, title_html: str, snippet_html: str, publisher: str) -> str:
    """One article of a Google Alerts e-mail (schema.org Article microdata, /url redirect)."""
    href = (
        f"https://www.google.com/url?rct=j&amp;sa=t&amp;url={target}"
        "&amp;ct=ga&amp;cd=CAEYACoTNzE&amp;usg=AOvVaw3x"
    )
    return f"""
<table itemscope itemtype="http://schema.org/Article"><tr><td>
<a href="{href}" itemprop="url"><span itemprop="name">{title_html}</span></a>
<div itemprop="publisher" itemscope itemtype="http://schema.org/Organization">
<span itemprop="name">{publisher}</span></div>
<div itemprop="description">{snippet_html}</div>
</td></tr></table>"""


def google_alert_html(*articles: str) -> str:
    return (
        '<html><body><table><tr><td><div style="font-size:20px">Alerte Google - <b>Acmé</b></div>'
        "<div>ACTUALITÉS</div>" + "".join(articles) + '<div><a href="https://www.google.com/'
        'alerts?source=alertsmail&amp;hl=fr">Modifier cette alerte</a></div>'
        "</td></tr></table></body></html>"
    )


def test_google_alert_bold_keyword_keeps_french_elisions_and_punctuation() -> None:
    html = google_alert_html(
        google_article(
            "https://www.lemonde.example/economie/article/2024/03/05/acme.html",
            "Pourquoi l&#39;<b>Acmé</b> ferme 40 agences",
            "Les clients d&#39;<b>Acmé</b>, inquiets, se tournent vers les néobanques.",
            "Le Monde",
        )
    )
    [item] = parse_email(message(html))
    assert item.title == "Pourquoi l'Acmé ferme 40 agences"
    assert "Les clients d'Acmé, inquiets" in item.text


@pytest.mark.parametrize("layout", ["linkedin-title-and-snippet-rows", "google-alerts-flat"])
def test_digest_item_text_is_only_its_own_article(layout: str) -> None:
    if layout == "linkedin-title-and-snippet-rows":
        sender = "LinkedIn <groups-noreply@linkedin.com>"
        post = "https://www.linkedin.com/comm/groups/4711/posts/{}?midToken=AQH&amp;trk=eml-digest"
        html = f"""<html><body><table>
<tr><td><a href="{post.format(7170000000000000001)}">
Retour d'expérience sur nos outils de paiement</a></td></tr>
<tr><td>Marie D. · Nous avons comparé trois solutions de paiement pour nos boutiques.</td></tr>
<tr><td><a href="{post.format(7170000000000000002)}">Banque Acmé : une arnaque ?</a></td></tr>
<tr><td>Paul R. · Frais cachés chez Banque Acmé, méfiez-vous, c'est une escroquerie.</td></tr>
</table></body></html>"""
    else:  # the classic Google Alerts layout: every article in one cell, <br> between
        sender = "Google Alerts <googlealerts-noreply@google.com>"
        link = "https://www.google.com/url?sa=X&amp;q={}&amp;ct=ga&amp;cd=1&amp;usg=AFQjCN"
        html = f"""<html><body><table><tr><td>
<a href="{link.format("https://www.lesechos.example/paiements-mobiles.htm")}">
Les paiements mobiles en France</a><br>
<font size="-1"><font color="#6f6f6f">Les Echos</font><br>
Les banques misent sur le sans contact ...</font><br><br>
<a href="{link.format("https://blog.example.org/acme-arnaque.htm")}">
Banque Acmé : une arnaque ?</a><br>
<font size="-1"><font color="#6f6f6f">Blog Conso</font><br>
Frais cachés chez Banque Acmé, une escroquerie ...</font><br><br>
</td></tr></table></body></html>"""
    items = parse_email(message(html, sender=sender))
    assert len(items) == 2
    unrelated, ours = items
    assert "paiement" in unrelated.title
    assert "Acmé" not in unrelated.text and "escroquerie" not in unrelated.text
    assert "escroquerie" in ours.text and "paiement" not in ours.text


def test_google_alert_article_with_a_short_title_is_not_dropped() -> None:
    html = google_alert_html(
        google_article(
            "https://www.acme-fan.example/",
            "<b>Acmé</b>",
            "Le site des clients mécontents d&#39;<b>Acmé</b> : témoignages et recours.",
            "acme-fan.example",
        ),
        google_article(
            "https://www.lesechos.example/acme-resultats.htm",
            "<b>Acmé</b> publie ses résultats annuels",
            "Le bénéfice net progresse de 4 %.",
            "Les Echos",
        ),
    )
    urls = [item.url for item in parse_email(message(html))]
    assert urls == [
        "https://www.acme-fan.example/",
        "https://www.lesechos.example/acme-resultats.htm",
    ]


def test_text_only_google_alert_is_split_into_articles() -> None:
    text = (
        "Alerte Google - Acmé\r\n\r\nACTUALITÉS\r\n\r\n"
        "Acmé : une panne géante prive les clients de carte bancaire\r\nLe Parisien\r\n"
        "La Banque Acmé a connu mardi une panne de plusieurs heures...\r\n"
        "<https://www.google.com/url?rct=j&sa=t&url=https://www.leparisien.example/economie/"
        "acme-panne.php&ct=ga&cd=CAEYACoT&usg=AOvVaw0>\r\n\r\n"
        "Frais bancaires : Acmé augmente ses tarifs\r\nBlog Conso\r\n"
        "Nouvelle grille tarifaire au 1er avril.\r\n"
        "<https://www.google.com/url?rct=j&sa=t&url=https://blog.example.org/2024/03/acme-frais"
        "&ct=ga&cd=CAEYASoT&usg=AOvVaw1>\r\n"
    )
    items = parse_email(message(text=text))
    assert [item.url for item in items] == [
        "https://www.leparisien.example/economie/acme-panne.php",
        "https://blog.example.org/2024/03/acme-frais",
    ]
    assert items[0].title == "Acmé : une panne géante prive les clients de carte bancaire"
    assert (
        items[0].text == "Le Parisien La Banque Acmé a connu mardi une panne de plusieurs heures..."
    )
    assert items[1].text == "Blog Conso Nouvelle grille tarifaire au 1er avril."


def test_alert_forwarded_as_attachment_keeps_its_articles() -> None:
    alert = (MAIL / "google_alert.eml").read_bytes().replace(b"\r\n", b"\n")
    forwarded = (
        b"From: Julie Martin <julie.martin@acme.example>\nTo: veille@example.fr\n"
        b"Subject: TR: Alerte Google - Banque Acme\nDate: Tue, 05 Mar 2024 18:00:00 +0100\n"
        b"Message-ID: <fwd-1@acme.example>\nMIME-Version: 1.0\n"
        b"Content-Type: multipart/mixed; boundary=XX\n\n--XX\n"
        b"Content-Type: text/plain; charset=UTF-8\n\nPour info, vu ce matin.\n--XX\n"
        b"Content-Type: message/rfc822\n\n" + alert + b"\n--XX--\n"
    )
    items = parse_email(forwarded)
    everything = " ".join(f"{item.title} {item.text} {item.url}" for item in items)
    assert "panne géante" in everything
    assert "https://www.leparisien.example/economie/banque-acme-panne-2024.php" in everything
    # The same items as the alert received directly: a forward of it is no new mention.
    direct = parse_email(alert)
    assert [(i.guid, i.url, i.title, i.text) for i in items] == [
        (i.guid, i.url, i.title, i.text) for i in direct
    ]


def test_stub_text_part_does_not_hide_the_html_content() -> None:
    html = (
        "<html><body><h1>La lettre de la Banque de détail</h1>"
        "<p>Banque Acmé : les frais de tenue de compte doublent au 1er avril, "
        "les associations de consommateurs dénoncent une arnaque.</p></body></html>"
    )
    stub = "Pour lire cette lettre, ouvrez-la dans un logiciel qui affiche le HTML."
    [item] = parse_email(
        message(html, text=stub, sender="La Lettre Banque <lettre@presse.example>", subject="N°42")
    )
    assert "Banque Acmé" in item.text


def test_latin1_label_with_windows_1252_bytes_reads_as_windows_1252() -> None:
    body = "L\x92offre d\x92Acmé pour les \x9cuvres sociales co\xfbte 5 \x80.".encode("latin-1")
    raw = (
        b"From: =?ISO-8859-1?Q?Ren=E9_Durand?= <rene.durand@example.org>\r\n"
        b"To: veille@example.fr\r\nSubject: =?ISO-8859-1?Q?L=92offre_Acm=E9_=E0_5_=80?=\r\n"
        b"Date: Thu, 07 Mar 2024 10:00:00 +0100\r\nMessage-ID: <cp1252-1@example.org>\r\n"
        b"MIME-Version: 1.0\r\nContent-Type: text/plain; charset=ISO-8859-1\r\n"
        b"Content-Transfer-Encoding: 8bit\r\n\r\n" + body
    )
    [item] = parse_email(raw)
    assert item.title == "L’offre Acmé à 5 €"
    assert item.text == "L’offre d’Acmé pour les œuvres sociales coûte 5 €."


def test_mislabelled_encoded_subject_is_still_decoded() -> None:
    raw = (
        b"From: client@example.org\r\nTo: veille@example.fr\r\n"
        b"Subject: =?UTF-8?Q?R=E9clamation_Banque_Acme?=\r\n"
        b"Date: Thu, 07 Mar 2024 10:00:00 +0100\r\nMessage-ID: <bad-utf8@example.org>\r\n\r\n"
        b"Bonjour.\r\n"
    )
    [item] = parse_email(raw)
    assert "=?" not in item.title
    assert "Banque Acme" in item.title


def test_linkedin_digest_with_comma_in_encoded_sender_name_is_split() -> None:
    html = (MAIL / "linkedin_group_digest.eml").read_bytes()
    raw = html.replace(
        b"From: LinkedIn <groups-noreply@linkedin.com>",
        b"From: =?UTF-8?Q?Banque=2C_Assurance_=26_Fintech_via_LinkedIn?= "
        b"<groups-noreply@linkedin.com>",
    )
    items = parse_email(raw)
    assert [item.url for item in items] == [
        "https://www.linkedin.com/groups/4711/posts/7170000000000000001",
        "https://www.linkedin.com/feed/update/urn:li:activity:7170000000000000002",
    ]


# ----------------------------------------------------------------- more layouts


def test_the_last_article_of_a_flat_alert_stops_before_the_footer() -> None:
    link = "https://www.google.com/url?sa=X&amp;q={}&amp;ct=ga&amp;cd=1&amp;usg=AFQjCN"
    html = f"""<html><body><table><tr><td>
<font size=-1>=== Actualités - 2 nouveaux résultats pour [acmé] ===</font><br><br>
<a href="{link.format("https://www.lesechos.example/a.htm")}">Les paiements mobiles</a><br>
<font size="-1"><font color="#6f6f6f">Les Echos</font><br>Le sans contact ...</font><br><br>
<a href="{link.format("https://blog.example.org/b.htm")}">Banque Acmé : une arnaque ?</a><br>
<font size="-1"><font color="#6f6f6f">Blog Conso</font><br>Frais cachés ...</font><br><br>
<p><font size=-1>Astuce : utilisez des guillemets pour une expression exacte.</font></p>
<hr>Supprimer cette alerte : <a href="https://www.google.com/alerts/remove?s=1">ici</a>
</td></tr></table></body></html>"""
    items = parse_email(message(html, sender="Google Alerts <googlealerts-noreply@google.com>"))
    assert [(i.title, i.text) for i in items] == [
        ("Les paiements mobiles", "Les Echos Le sans contact ..."),
        ("Banque Acmé : une arnaque ?", "Blog Conso Frais cachés ..."),
    ]


def test_a_digest_with_one_article_takes_the_block_around_its_link() -> None:
    post = "https://www.linkedin.com/comm/groups/4711/posts/7170000000000000009?trk=eml"
    html = f"""<html><body><p>Nouvelle discussion dans votre groupe</p>
<table><tr><td><a href="{post}">Acmé</a>
<p>Karim B. · Quelqu'un connaît le service client d'Acmé ?</p></td></tr></table>
<p><a href="https://www.linkedin.com/psettings/email">Se désabonner</a></p></body></html>"""
    [item] = parse_email(message(html, sender="LinkedIn <groups-noreply@linkedin.com>"))
    assert item.url == "https://www.linkedin.com/groups/4711/posts/7170000000000000009"
    assert item.title == "Acmé"
    assert item.text == "Karim B. · Quelqu'un connaît le service client d'Acmé ?"


def test_an_icon_link_before_the_title_link_is_the_same_article() -> None:
    post = "https://www.linkedin.com/comm/feed/update/urn:li:activity:{}?trk=eml"
    html = f"""<html><body><table>
<tr><td><a href="{post.format(1)}"><img src="a.png"></a> <a href="{post.format(1)}">Premier</a>
<p>Texte un.</p><a href="{post.format(1)}">Commenter</a></td></tr>
<tr><td><a href="{post.format(2)}"><img src="b.png"></a> <a href="{post.format(2)}">Second</a>
<p>Texte deux.</p><a href="{post.format(2)}">Commenter</a></td></tr>
</table></body></html>"""
    items = parse_email(message(html, sender="LinkedIn <groups-noreply@linkedin.com>"))
    assert [(i.title, i.text) for i in items] == [
        ("Premier", "Texte un. Commenter"),
        ("Second", "Texte deux. Commenter"),
    ]


def test_a_forwarded_ordinary_mail_keeps_the_attached_mail_text() -> None:
    forwarded = (
        b"From: Julie <julie@acme.example>\nSubject: TR: plainte\nMIME-Version: 1.0\n"
        b"Content-Type: multipart/mixed; boundary=XX\n\n--XX\nContent-Type: text/plain\n\n"
        b"Voir ci-dessous.\n--XX\nContent-Type: message/rfc822\n"
        b"Content-Disposition: attachment; filename=plainte.eml\n\n"
        b"From: =?UTF-8?Q?Cl=C3=A9ment?= <c@example.org>\nSubject: Banque Acme nulle\n\n"
        b"Arnaque.\n--XX\nContent-Type: text/plain; name=log.txt\n"
        b"Content-Disposition: attachment; filename=log.txt\n\nne pas lire\n--XX--\n"
    )
    [item] = parse_email(forwarded)
    assert item.title == "TR: plainte"
    assert item.text == (
        "Voir ci-dessous. From: Clément <c@example.org> Subject: Banque Acme nulle Arnaque."
    )


def test_a_real_text_alternative_is_still_preferred_to_the_html() -> None:
    html = (
        "<html><body><p>Banque Acmé : les frais doublent au 1er avril.</p>"
        "<p><a href='https://presse.example/v'>Voir la version en ligne</a></p></body></html>"
    )
    text = "Banque Acmé : les frais doublent au 1er avril.\r\n"
    [item] = parse_email(message(html, text=text, sender="lettre@presse.example"))
    assert item.text == "Banque Acmé : les frais doublent au 1er avril."


@pytest.mark.parametrize(
    ("header", "decoded"),
    [
        ("=?UTF-8?Q?a?= =?UTF-8?Q?b?=", "ab"),  # the space between two words vanishes
        ("x =?UTF-8?Q?a?= y", "x a y"),
        ("=?UTF-8?B?4o?= =?UTF-8?B?gqw=?=", "€"),  # a character split between two words
        ("=?utf-8?b?4oKs?= (=?utf-8?q?=C3=A9?=)", "€ (é)"),
        ("=?iso-8859-1*fr?q?=E9?=", "é"),  # RFC 2231 language
        ("=?us-ascii?q?=93Acm=E9=94?=", "“Acmé”"),  # read as windows-1252
        ("=?UTF-8?B?Q?= reste", "=?UTF-8?B?Q?= reste"),  # malformed: kept as written
        ("=?x-unknown?q?Acm=C3=A9?=", "Acmé"),  # unknown charset: UTF-8
    ],
)
def test_encoded_words(header: str, decoded: str) -> None:
    assert decode_words(header) == decoded


@pytest.mark.parametrize(
    ("raw", "subject"),
    [
        ("Réclamation Acmé".encode(), "Réclamation Acmé"),  # RFC 6532: UTF-8
        ("Réclamation Acmé".encode("cp1252"), "Réclamation Acmé"),  # an old client
        (b"=?UTF-8?B?Q?=", "=?UTF-8?B?Q?="),
        (b"=?UTF-8?Q?Acm=C3=A9?=\r\n =?UTF-8?Q?_bloque?=", "Acmé bloque"),  # folded
    ],
)
def test_raw_and_malformed_subjects(raw: bytes, subject: str) -> None:
    data = b"From: =?UTF-8?B?QQ?= <a@example.org>\r\nSubject: " + raw + b"\r\n\r\nx\r\n"
    [item] = parse_email(data)
    assert item.title == subject
    assert item.author == "A <a@example.org>"


def test_a_text_only_alert_ignores_its_own_links_and_footer() -> None:
    redirect = "<https://www.google.com/url?rct=j&sa=t&url={}&ct=ga&usg=AOvVaw0>"
    text = (
        "=== Actualités - 2 nouveaux résultats pour [acmé] ===\n\n"
        "Acmé ferme 40 agences\nLe Monde\nLes clients d'Acmé s'inquiètent.\n"
        + redirect.format("https://www.lemonde.example/acme")
        + "\nSignaler comme non pertinent <https://www.google.com/alerts/feedback?ffu=x>\n"
        "Acmé\nacme-fan.example\nTémoignages de clients.\n"
        + redirect.format("https://www.acme-fan.example/")
        + "\n\n- - - - - -\nSe désabonner de cette alerte :\n"
        "<https://www.google.com/alerts/remove?source=alertsmail&s=AB2X>\n"
    )
    items = parse_email(message(text=text))
    assert [(i.url, i.title, i.text) for i in items] == [
        (
            "https://www.lemonde.example/acme",
            "Acmé ferme 40 agences",
            "Le Monde Les clients d'Acmé s'inquiètent.",
        ),
        ("https://www.acme-fan.example/", "Acmé", "acme-fan.example Témoignages de clients."),
    ]


def test_an_inline_text_part_with_a_file_name_is_the_body() -> None:
    raw = (
        b"From: client@example.org\r\nSubject: Plainte\r\nMIME-Version: 1.0\r\n"
        b'Content-Type: text/plain; charset=UTF-8; name="message.txt"\r\n'
        b'Content-Disposition: inline; filename="message.txt"\r\n\r\n'
        b"Banque Acme m'a factur\xc3\xa9 deux fois.\r\n"
    )
    [item] = parse_email(raw)
    assert item.text == "Banque Acme m'a facturé deux fois."


def test_a_long_text_part_is_kept_even_if_the_html_says_something_else() -> None:
    html = "<html><body><p>Voir la version web</p></body></html>"
    text = "Banque Acmé : les frais de tenue de compte doublent au 1er avril.\r\n"
    [item] = parse_email(message(html, text=text, sender="lettre@presse.example"))
    assert item.text == "Banque Acmé : les frais de tenue de compte doublent au 1er avril."


@pytest.mark.parametrize(
    ("date", "published"),
    [
        ("Tue, 05 Mar 2024 08:01:12 -0800", "2024-03-05T16:01:12+00:00"),
        ("Tue, 05 Mar 2024 08:01:12 -0000", "2024-03-05T08:01:12+00:00"),  # naive: UTC
        ("Fri, 31 Dec 9999 23:30:00 -0500", None),  # would not fit a UTC datetime
        ("Mon, 01 Jan 0001 00:30:00 +0100", None),
        ("not a date", None),
    ],
)
def test_mail_dates_are_read_like_feed_dates(date: str, published: str | None) -> None:
    [item] = parse_email(message(text="Bonjour, un message sur Acmé.", sender="a@b.fr", date=date))
    expected = datetime.fromisoformat(published) if published else None
    assert item.published == expected
    assert item.published is None or item.published.tzinfo is not None


def test_a_signature_is_not_part_of_the_text() -> None:
    body = (
        "Bonjour,\r\nle conseiller ne rappelle jamais.\r\n-- not a separator\r\n"
        "Merci.\r\n-- \r\nJean Dupont\r\nClient Banque Acmé depuis 2009\r\n"
    )
    [item] = parse_email(message(text=body, sender="jean@example.fr", subject="Réclamation"))
    assert item.text == ("Bonjour, le conseiller ne rappelle jamais. -- not a separator Merci.")
    # a message that is only a signature keeps it (there is nothing else to read)
    [only] = parse_email(message(text="-- \r\nJean Dupont\r\n", sender="jean@example.fr"))
    assert only.text == "-- Jean Dupont"
