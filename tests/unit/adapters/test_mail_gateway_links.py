"""Digests read from a mailbox whose gateway rewrote every link.

Microsoft Defender's Safe Links rewrites each link of a delivered e-mail (the
stored message, which IMAP reads) into
``https://<region>.safelinks.protection.outlook.com/?url=<the link>&data=…``;
Proofpoint's URL Defense into ``urldefense.proofpoint.com/v2/url?u=…`` or
``urldefense.com/v3/__<the link>__;…``. Company mailboxes
(``veille@entreprise.fr``) are very often behind one of them. No link then
looked like Google's ``/url`` redirect or a LinkedIn discussion: the digest
was one item for the whole e-mail, with no article URL.

The e-mails are SYNTHETIC (``mail/*.eml`` and the layouts below). The
wrappers are written after the vendors' documented formats.
"""

from __future__ import annotations

import base64
import email
import email.policy
import html
import re
from collections.abc import Callable
from email.message import EmailMessage
from email.mime.multipart import MIMEMultipart
from email.mime.text import MIMEText
from pathlib import Path
from urllib.parse import quote

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.unit.adapters.test_mail_fixes import message
from watchtower.adapters._link_wrappers import unwrap_link
from watchtower.adapters._mail import parse_email
from watchtower.adapters._mail_digest import clean_linkedin_url, google_target
from watchtower.models import Item

MAIL = Path(__file__).parent / "mail"
LINKEDIN = "LinkedIn <groups-noreply@linkedin.com>"
PROFILE = "https://www.linkedin.com/comm/in/{}?midToken=AQH&trk=eml-digest-actor"
POST = "https://www.linkedin.com/comm/groups/4711/posts/{}?midToken=AQH&trk=eml-digest"
ARTICLES = [
    (
        "https://www.leparisien.example/economie/banque-acme-panne.php",
        "Banque Acme : une panne géante",
    ),
    (
        "https://blog.example.org/2026/11/acme-frais",
        "Frais bancaires : la Banque Acme augmente ses tarifs",
    ),
]


# ------------------------------------------------------------------ wrappers


def safelink(href: str) -> str:
    return (
        "https://eur01.safelinks.protection.outlook.com/?url="
        + quote(href, safe="")
        + "&data=05%7C02%7Cveille%40example.fr%7C1a2b%7C0%7C0%7C638&sdata=abc%3D&reserved=0"
    )


def proofpoint_v2(href: str) -> str:
    """Percent-encoding with ``-`` for ``%`` and ``_`` for ``/`` (``-`` and ``_`` escaped)."""
    encoded = quote(href, safe="/").replace("-", "%2D").replace("_", "%5F")
    return (
        "https://urldefense.proofpoint.com/v2/url?u="
        + encoded.replace("%", "-").replace("/", "_")
        + "&d=DwMFaQ&c=euGZstcaTDllvimEN8b7jXrwqOf-v5A_CdpgnVfiiMM&r=abc&m=def&s=ghi&e="
    )


_V3_RUN_LETTERS = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"


def proofpoint_v3(href: str, replaced: str = "&=+*é") -> str:
    """Each character of ``replaced`` becomes ``*`` (a run of n ≥ 2 ``**`` and the
    letter for n), the characters themselves go, in order, into base64url."""
    out: list[str] = []
    taken: list[str] = []
    for run in re.finditer(f"[{re.escape(replaced)}]+|[^{re.escape(replaced)}]+", href):
        text = run.group()
        if text[0] not in replaced:
            out.append(text)
            continue
        taken.append(text)
        out.append("*" if len(text) == 1 else "**" + _V3_RUN_LETTERS[len(text) - 2])
    encoded = base64.urlsafe_b64encode("".join(taken).encode()).decode().rstrip("=")
    return f"https://urldefense.com/v3/__{''.join(out)}__;{encoded}!!OrgId!Sig-nature$"


def nested(href: str) -> str:
    return proofpoint_v2(safelink(href))


WRAPPERS = [safelink, proofpoint_v2, proofpoint_v3, nested]


def _rewritten(raw: bytes, wrap: Callable[[str], str]) -> bytes:
    """``raw`` as the gateway stores it: every link of its HTML and text parts wrapped."""
    parsed = email.message_from_bytes(raw, policy=email.policy.default)
    assert isinstance(parsed, EmailMessage)
    for part in parsed.walk():
        kind = part.get_content_type()
        if kind not in ("text/html", "text/plain"):
            continue
        body = part.get_content()
        if kind == "text/html":
            body = re.sub(
                r'href="([^"]+)"',
                lambda m: f'href="{html.escape(wrap(html.unescape(m.group(1))))}"',
                body,
            )
        else:
            body = re.sub(r"<(https?://[^>\s]+)>", lambda m: f"<{wrap(m.group(1))}>", body)
        part.set_content(body, subtype=part.get_content_subtype(), charset="utf-8")
    return parsed.as_bytes()


_GATEWAYS = ("https://eur01.safelinks.protection.outlook.com/", "https://urldefense.")


def _links(raw: bytes) -> list[str]:
    """Every link of the HTML and text parts of ``raw``, as stored."""
    parsed = email.message_from_bytes(raw, policy=email.policy.default)
    assert isinstance(parsed, EmailMessage)
    bodies = [p.get_content() for p in parsed.walk() if p.get_content_maintype() == "text"]
    return [
        html.unescape(m.group(1) or m.group(2))
        for body in bodies
        for m in re.finditer(r'href="([^"]+)"|<(https?://[^>\s]+)>', body)
    ]


def _seen(items: list[Item]) -> list[tuple[str | None, str, str, str | None]]:
    return [(i.url, i.title, i.text, i.author) for i in items]


# --------------------------------------------------------------------- tests


def _alert(wrap: Callable[[str], str], *, with_html: bool = True) -> bytes:
    def google(target: str) -> str:
        return f"https://www.google.com/url?rct=j&sa=t&url={target}&ct=ga&cd=CAEYACoT&usg=AOvVaw0"

    message_ = MIMEMultipart("alternative")
    message_["From"] = "Google Alerts <googlealerts-noreply@google.com>"
    message_["To"] = "veille@example.fr"
    message_["Subject"] = "Alerte Google - Banque Acme"
    message_["Date"] = "Fri, 27 Nov 2026 07:01:12 +0000"
    message_["Message-ID"] = "<alert-1@google.com>"
    text = "Alerte Google - Banque Acme\n\nACTUALITÉS\n\n" + "\n\n".join(
        f"{title}\nLe Parisien\nUn extrait de l'article.\n<{wrap(google(url))}>"
        for url, title in ARTICLES
    )
    message_.attach(MIMEText(text, "plain", "utf-8"))
    if with_html:
        body = "".join(
            f'<table itemscope itemtype="http://schema.org/Article"><tr><td>'
            f'<a href="{html.escape(wrap(google(url)))}" itemprop="url">'
            f'<span itemprop="name">{title}</span></a>'
            f'<div itemprop="publisher" itemscope itemtype="http://schema.org/Organization">'
            f'<span itemprop="name">Le Parisien</span></div>'
            f'<div itemprop="description">Un extrait de l\'article.</div></td></tr></table>'
            for url, title in ARTICLES
        )
        message_.attach(MIMEText(f"<html><body>{body}</body></html>", "html", "utf-8"))
    return message_.as_bytes()


@pytest.mark.parametrize("wrap", WRAPPERS)
@pytest.mark.parametrize("with_html", [True, False], ids=["html", "text-only"])
def test_a_wrapped_google_alert_is_split_into_its_articles(
    wrap: Callable[[str], str], with_html: bool
) -> None:
    items = parse_email(_alert(wrap, with_html=with_html))
    assert [(i.url, i.title) for i in items] == ARTICLES
    assert [i.author for i in items] == ["Le Parisien", "Le Parisien"]


@pytest.mark.parametrize("wrap", WRAPPERS)
@pytest.mark.parametrize("fixture", ["google_alert.eml", "linkedin_group_digest.eml"])
def test_a_stored_digest_behind_a_gateway_gives_the_same_items(
    wrap: Callable[[str], str], fixture: str
) -> None:
    raw = (MAIL / fixture).read_bytes()
    wrapped = _rewritten(raw, wrap)
    assert _links(wrapped) and all(link.startswith(_GATEWAYS) for link in _links(wrapped))
    expected = _seen(parse_email(raw))
    assert len(expected) >= 2
    assert _seen(parse_email(wrapped)) == expected


@pytest.mark.parametrize("wrap", WRAPPERS)
def test_a_member_named_by_a_wrapped_profile_link(wrap: Callable[[str], str]) -> None:
    def a(href: str, text: str) -> str:
        return f'<a href="{html.escape(wrap(href))}">{text}</a>'

    body = f"""<html><body>
<table><tr><td>{a(PROFILE.format("marie-dupont-42"), "Marie Dupont")} · Conseillère clientèle
{a(POST.format(7170000000000000001), "Résilier chez Acmé Assurance ?")}
<p>Après trois relances, toujours rien.</p></td></tr></table>
<table><tr><td>{a(PROFILE.format("paul-r"), "Paul Roux")}
{a(POST.format(7170000000000000002), "Migration vers la Banque Acmé Pro")}
<p>Bilan de six mois.</p></td></tr></table>
<p>{a("https://www.linkedin.com/comm/psettings/email-unsubscribe", "Se désabonner")}</p>
</body></html>"""
    items = parse_email(message(body, sender=LINKEDIN))
    assert [(i.url, i.author) for i in items] == [
        ("https://www.linkedin.com/groups/4711/posts/7170000000000000001", "Marie Dupont"),
        ("https://www.linkedin.com/groups/4711/posts/7170000000000000002", "Paul Roux"),
    ]


LINK = "https://www.example.fr/actu/acme-frais?x=1&y=a+b&z=é*#top"


@pytest.mark.parametrize(
    ("href", "link"),
    [
        (safelink(LINK), LINK),
        (safelink(LINK).replace("https://eur01.", "https://EUR01."), LINK),
        (
            "https://gcc02.safelinks.protection.office365.us/?url=https%3A%2F%2Fex.fr%2Fa&data=x",
            "https://ex.fr/a",
        ),
        (proofpoint_v2(LINK), LINK),
        (proofpoint_v3(LINK), LINK),
        (proofpoint_v3(LINK, replaced="&=+*é?#/"), LINK),  # runs of 2 ("/") and more
        (nested(LINK), LINK),
        (proofpoint_v3(nested(LINK)), LINK),
        # Proofpoint's own example of a v3 address ("*" for "+", base64url "Kw").
        (
            "https://urldefense.com/v3/__https://google.com:443/search?q=a*test&gs=ps__;Kw"
            "!-612Flbf0JvQ3kNJkRi5Jg!Ue6tQudNKaShHg93trcdjqDP8se2ySE65jyCIe2K1D_uNjZ1Lnf6YLQ"
            "ERujngZv9UWf66ujQIQ$",
            "https://google.com:443/search?q=a+test&gs=ps",
        ),
        (
            "https://urldefense.proofpoint.com/v2/url?u=http-3A__www.example.com_&d=DwMFAg&c=x",
            "http://www.example.com/",
        ),
    ],
)
def test_unwrap_link_gives_the_link_the_sender_wrote(href: str, link: str) -> None:
    assert unwrap_link(href) == link


@pytest.mark.parametrize(
    "href",
    [
        LINK,
        "https://www.google.com/url?url=https://ex.fr/a",  # Google's redirect is not a gateway's
        "https://safelinks.protection.outlook.com.evil.example/?url=https%3A%2F%2Fex.fr",
        "https://evil.example/?next=safelinks.protection.outlook.com&url=https://ex.fr",
        "https://eur01.safelinks.protection.outlook.com/?url=javascript%3Aalert(1)",
        "https://eur01.safelinks.protection.outlook.com/?data=no-url",
        "https://urldefense.com/v3/__https://ex.fr/a*b**C__;Kw!!Org!Sig$",  # too few characters
        "https://urldefense.com/v3/__https://ex.fr/a*b__;%%%!!Org!Sig$",  # not base64url
        "https://urldefense.com/v4/__https://ex.fr/a__;!!Org!Sig$",  # a version we do not know
        "https://urldefense.proofpoint.com/v2/url?d=DwMFAg",
        "mailto:veille@example.fr?subject=safelinks",
        "http://[urldefense",
    ],
)
def test_anything_else_is_left_as_written(href: str) -> None:
    assert unwrap_link(href) == href


def test_the_public_recognisers_unwrap_too() -> None:
    google = "https://www.google.com/url?rct=j&sa=t&url=https://ex.fr/a&ct=ga"
    assert google_target(safelink(google)) == "https://ex.fr/a"
    assert google_target(safelink("https://www.google.com/alerts/edit?s=1")) is None
    discussion = "https://www.linkedin.com/comm/feed/update/urn:li:activity:7?trk=eml"
    assert clean_linkedin_url(proofpoint_v3(discussion)) == (
        "https://www.linkedin.com/feed/update/urn:li:activity:7"
    )


@given(
    st.sampled_from(
        [
            "",
            "https://eur01.safelinks.protection.outlook.com/?url=",
            "https://urldefense.proofpoint.com/v2/url?u=",
            "https://urldefense.com/v3/__",
        ]
    ),
    st.text(max_size=80),
)
@settings(max_examples=300, deadline=None)
def test_unwrap_link_never_fails(prefix: str, rest: str) -> None:
    # Links come from e-mails anyone can send: a damaged wrapper is left as it is.
    href = prefix + rest
    link = unwrap_link(href)
    assert link == href or link.startswith(("http://", "https://"))
