"""Who wrote each article of a digest e-mail: the member or the publication, never the sender.

Before, every item of a LinkedIn group digest had the author "LinkedIn" and
every item of a Google Alerts e-mail "Google Alerts": the community manager
could not see who started a discussion, and dedup took all of LinkedIn's
discussions for one author's. Now the member who started the discussion
(LinkedIn) or the publication (Google) is the author when the e-mail names
them, and the author is empty when it does not.

The e-mails are SYNTHETIC (tests/unit/adapters/mail/*.eml, and the layouts
written below), following the public structure of these e-mails.
"""

from __future__ import annotations

from pathlib import Path

from tests.unit.adapters.test_mail_fixes import message
from watchtower.adapters._mail import parse_email
from watchtower.models import Item

MAIL = Path(__file__).parent / "mail"
LINKEDIN = "LinkedIn <groups-noreply@linkedin.com>"
GOOGLE = "Google Alerts <googlealerts-noreply@google.com>"
POST = "https://www.linkedin.com/comm/groups/4711/posts/{}?midToken=AQH&amp;trk=eml-digest"
PROFILE = "https://www.linkedin.com/comm/in/{}?midToken=AQH&amp;trk=eml-digest-actor"


def authors(items: list[Item]) -> list[str | None]:
    return [item.author for item in items]


def test_a_linkedin_digest_names_the_member_who_started_each_discussion() -> None:
    items = parse_email((MAIL / "linkedin_group_digest.eml").read_bytes())
    assert authors(items) == ["Marie D.", "Paul R."]


def test_a_google_alert_names_each_article_s_publication() -> None:
    items = parse_email((MAIL / "google_alert.eml").read_bytes())
    assert authors(items) == ["Le Parisien", "Blog Conso"]


def test_a_text_only_google_alert_names_the_publication_under_the_title() -> None:
    text = (
        "Alerte Google - Banque Acme\n\nACTUALITÉS\n\n"
        "Banque Acme : une panne géante prive les clients de carte bancaire\n"
        "Le Parisien\nLa Banque Acme a connu mardi une panne de plusieurs heures...\n"
        "<https://www.google.com/url?rct=j&sa=t&url=https://www.leparisien.example/a.php&ct=ga>\n\n"
        "Frais bancaires : la Banque Acme augmente ses tarifs\n"
        "<https://www.google.com/url?rct=j&sa=t&url=https://blog.example.org/b&ct=ga>\n\n"
        "WEB\n\n"
        "Avis clients Banque Acme\n"
        "Les clients de la Banque Acme racontent leurs déboires avec\n"
        "le service client, les frais et l'application mobile...\n"
        "<https://www.google.com/url?rct=j&sa=t&url=https://avis.example.org/acme&ct=ga>\n"
    )
    items = parse_email(message(text=text, sender=GOOGLE))
    # The second article has no line between its title and its URL, the third (a
    # web result) its snippet right under the title: nobody is named.
    assert authors(items) == ["Le Parisien", None, None]


def test_the_classic_google_layout_names_the_publication_in_grey() -> None:
    link = "https://www.google.com/url?sa=X&amp;q={}&amp;ct=ga&amp;cd=1&amp;usg=AFQjCN"
    html = f"""<html><body><table><tr><td>
<a href="{link.format("https://www.lesechos.example/a.htm")}">Les paiements mobiles</a><br>
<font size="-1"><font color="#6f6f6f">Les Echos</font><br>Le sans contact ...</font><br><br>
<a href="{link.format("https://blog.example.org/b.htm")}">Banque Acmé : une arnaque ?</a><br>
<font size="-1"><font color="#6f6f6f">Blog Conso</font><br>Frais cachés ...</font><br><br>
</td></tr></table></body></html>"""
    assert authors(parse_email(message(html, sender=GOOGLE))) == ["Les Echos", "Blog Conso"]


def test_a_member_named_by_a_profile_link_in_the_discussion_s_block() -> None:
    html = f"""<html><body>
<p>Bonjour Jean, voici les nouvelles discussions (<a href="{PROFILE.format("jean-veille")}">
Jean Veille</a>)</p>
<table><tr><td><a href="{PROFILE.format("marie-dupont-42")}"><img src="m.png"></a>
<a href="{PROFILE.format("marie-dupont-42")}">Marie Dupont</a> · Conseillère clientèle
<a href="{POST.format(7170000000000000001)}">Résilier chez Acmé Assurance ?</a>
<p>Après trois relances, toujours rien.</p></td></tr></table>
<table><tr><td><a href="{PROFILE.format("paul-r")}">Paul Roux</a>
<a href="{POST.format(7170000000000000002)}">Migration vers la Banque Acmé Pro</a>
<p>Bilan de six mois.</p></td></tr></table>
<p><a href="https://www.linkedin.com/comm/psettings/email-unsubscribe">Se désabonner</a></p>
</body></html>"""
    items = parse_email(message(html, sender=LINKEDIN))
    # The reader's own profile link, in the header, is nobody's discussion.
    assert authors(items) == ["Marie Dupont", "Paul Roux"]


def test_a_discussion_whose_block_names_two_people_has_no_author() -> None:
    html = f"""<html><body><table><tr><td>
<a href="{PROFILE.format("marie")}">Marie Dupont</a> a commenté la publication de
<a href="{PROFILE.format("paul")}">Paul Roux</a>
<a href="{POST.format(7170000000000000003)}">Banque Acmé : frais cachés</a>
<p>Qui d'autre a vu ses frais augmenter ?</p></td></tr></table></body></html>"""
    [item] = parse_email(message(html, sender=LINKEDIN))
    assert item.author is None  # rather empty than the wrong person


def test_a_digest_that_names_nobody_leaves_the_author_empty() -> None:
    html = f"""<html><body><table><tr><td>
<a href="{POST.format(7170000000000000004)}">Banque Acmé : frais cachés</a>
<p>Qui d'autre a vu ses frais augmenter ? Trois relances, aucune réponse.</p>
</td></tr></table></body></html>"""
    [item] = parse_email(message(html, sender=LINKEDIN))
    assert item.author is None  # not "LinkedIn"


def test_a_forwarded_digest_names_the_member_not_the_colleague() -> None:
    digest = (MAIL / "linkedin_group_digest.eml").read_bytes()
    forward = (
        b"From: Colleague <colleague@acme.example>\r\nTo: veille@acme.example\r\n"
        b"Subject: TR: digest\r\nMessage-ID: <fwd-1@acme.example>\r\nMIME-Version: 1.0\r\n"
        b'Content-Type: multipart/mixed; boundary="fwd"\r\n\r\n'
        b"--fwd\r\nContent-Type: text/plain\r\n\r\nPour info.\r\n"
        b"--fwd\r\nContent-Type: message/rfc822\r\n\r\n" + digest + b"\r\n--fwd--\r\n"
    )
    assert authors(parse_email(forward)) == ["Marie D.", "Paul R."]


def test_an_ordinary_email_is_still_written_by_its_sender() -> None:
    """Guard: only digests changed."""
    [item] = parse_email((MAIL / "customer_mail.eml").read_bytes())
    assert item.author == "René Durand <rene.durand@example.org>"
