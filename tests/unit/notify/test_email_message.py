"""The message as a phone's Gmail or Outlook gets it: headers, parts, HTML, size."""

from __future__ import annotations

import dataclasses
import re
from typing import Any

import pytest

from tests.servers.smtp import SmtpServer
from tests.unit.notify.test_email import notification
from watchtower.models import Notification
from watchtower.notify.email import EmailNotifier


def sent(smtp: SmtpServer, n: Notification, sender: str = "veille@example.fr") -> Any:
    m = EmailNotifier("127.0.0.1", smtp.port, sender, starttls=False, timeout=5)
    m.send(m.render(n, "dircom@example.fr"))
    [mail] = smtp.messages
    return mail


def test_headers_for_auto_replies_filters_and_threads(smtp: SmtpServer) -> None:
    mail = sent(smtp, notification())
    assert mail["Auto-Submitted"] == "auto-generated"  # no out-of-office answers
    assert mail["X-Auto-Response-Suppress"] == "All"  # Exchange / Outlook
    assert mail["List-Id"] == "watchtower <watchtower.example.fr>"  # Gmail: list:
    assert mail["X-Watchtower-Kind"] == "item"
    assert re.fullmatch(r"<wt-7\.[0-9a-f]{16}@example\.fr>", mail["Message-ID"])
    assert mail["Date"].datetime.utcoffset() is not None
    assert [p.get_content_type() for p in mail.iter_parts()] == ["text/plain", "text/html"]


def test_french_display_name_and_emoji_subject_are_encoded(smtp: SmtpServer) -> None:
    sender = "Veille médias Acmé <veille@acme.fr>"
    mail = sent(smtp, notification("Acmé 🔥 « rappel » — été"), sender)
    raw = mail.as_bytes()
    assert raw.isascii()  # headers encoded (RFC 2047), bodies quoted-printable: any relay
    assert mail["From"].addresses[0].display_name == "Veille médias Acmé"
    assert mail["From"].addresses[0].addr_spec == "veille@acme.fr"
    assert mail["Message-ID"].endswith("@acme.fr>")
    assert smtp.handler.envelopes[0][0] == "veille@acme.fr"
    assert "Acmé 🔥 « rappel » — été" in str(mail["Subject"])


def test_html_is_a_whole_document_for_mail_clients(smtp: SmtpServer) -> None:
    html = sent(smtp, notification("x" * 180)).get_body(("html",)).get_content()
    assert html.startswith("<!DOCTYPE html>") and '<meta name="color-scheme"' in html
    assert "overflow-wrap:anywhere" in html  # a long title wraps on a phone
    lowered = html.lower()
    for absent in ("<script", "<style", "<link", 'src="http', "color:#fff", "background"):
        assert absent not in lowered


def test_ops_notices_have_their_own_list_id(smtp: SmtpServer) -> None:
    n = Notification.from_payload(
        3, "email:ops@example.fr", {"title": "Source en panne : forum", "extra": {"kind": "ops"}}
    )
    assert sent(smtp, n)["List-Id"] == "watchtower <ops.watchtower.example.fr>"


def test_a_digest_of_200_items_stays_under_gmail_s_clipping(smtp: SmtpServer) -> None:
    """Gmail clips a message whose HTML passes 102 KB: the end (and "and N more") is lost."""
    brands = [f"Marque {i}" for i in range(10)]
    items = [
        {
            "title": f"Un titre assez long pour une mention numéro {i} " * 3,
            "url": f"https://forum.example.fr/t/{i}/un-fil-de-discussion-au-nom-long?page=1",
            "source": "forum-conso",
            "severity": "warning",
            "brands": [brands[i % 10]],
        }
        for i in range(200)
    ]
    summary = {
        "reason": "digest",
        "period": "daily",
        "count": 1000,
        "items": items,
        "by_brand": {b: {"warning": 100} for b in brands},
    }
    n = Notification.from_payload(
        9, "email:dircom@example.fr", {"extra": {"kind": "summary", "summary": summary}}
    )
    mail = sent(smtp, n)
    html = mail.get_body(("html",)).get_content()
    assert len(html.encode()) < 100_000
    assert "… et 80 de plus" in html


@pytest.mark.parametrize(
    ("address", "error"),
    [
        ("dircom@example.fr", None),
        ("prenom.nom+veille@sous.example.fr", None),
        ("dircom@société.fr", None),
        ("a@example.fr,b@example.fr", "one address per e-mail target"),
        ("a@example.fr; b@example.fr", "one address per e-mail target"),
        ("Direction <dir@example.fr>", "one address per e-mail target"),
        ("<dir@example.fr>", "without a name or <>"),
        ("dircom@example", "not an e-mail address (domain"),
        ("dircom@-example.fr", "not an e-mail address (domain"),
        ("dircom@exa..mple.fr", "not an e-mail address (domain"),
        ("dir..com@example.fr", "not an e-mail address"),
        ("élodie@example.fr", "needs SMTPUTF8"),
        ("dircom", "not an e-mail address"),
    ],
)
def test_addresses_checked_at_check_time(address: str, error: str | None) -> None:
    if error is None:
        EmailNotifier.validate_address(address)
        return
    with pytest.raises(ValueError, match=re.escape(error)):
        EmailNotifier.validate_address(address)


@pytest.mark.parametrize("language", ["fr", "en"])
@pytest.mark.parametrize(
    "title",
    [
        "Panne géante chez Banque Acmé : des milliers de clients privés de leurs comptes",
        "Acmé: l'appli en panne, les clients furieux, la banque promet un retour à la normale",
    ],
)
def test_a_long_encoded_subject_keeps_its_spaces(
    smtp: SmtpServer, title: str, language: str
) -> None:
    # The standard library folded such a subject at 78 columns between two
    # encoded words, and the reader joined them: "Pannegéante".
    m = EmailNotifier(
        "127.0.0.1", smtp.port, "veille@example.fr", starttls=False, timeout=5, language=language
    )
    n = dataclasses.replace(notification(title), brands=("Banque Acmé",))
    m.send(m.render(n, "dircom@example.fr"))
    [mail] = smtp.messages
    assert title in str(mail["Subject"])
