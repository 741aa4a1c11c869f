"""E-mails to items: digests split into one item per article, anything else one item.

* Google Alerts e-mails (``googlealerts-noreply@google.com``): every article is
  a ``https://www.google.com/url?…&url=TARGET`` link; each TARGET becomes an item
  titled with the link text, with the snippet that follows it.
* LinkedIn group digests (``…@linkedin.com``): every discussion link
  (``/groups/ID/…``, ``/feed/update/…``) becomes an item; LinkedIn's tracking
  (``/comm/`` prefix, ``trk``, ``midToken``…) is removed to give the real URL.
* Any other e-mail is one item: subject, sender, date, plain text.

Identity is the ``Message-ID`` (plus the article URL for digests), never the
IMAP UID, so a mailbox rebuilt with a new UIDVALIDITY does not repeat alerts.
"""

from __future__ import annotations

import email
import email.policy
import hashlib
import re
from collections.abc import Callable
from email.header import Header, decode_header, make_header
from email.message import Message
from email.utils import parseaddr, parsedate_to_datetime
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from selectolax.lexbor import LexborHTMLParser, LexborNode

from watchtower.adapters._text import collapse, html_to_text
from watchtower.adapters.google_alerts import unwrap_google_url
from watchtower.models import Item

__all__ = ["clean_linkedin_url", "parse_email", "parse_message"]

_LINKEDIN_TRACKING = {"trk", "trkemail", "midtoken", "midsig", "lipi", "eid", "otptoken", "loid"}
_LINKEDIN_CONTENT = ("/groups/", "/feed/update/", "/posts/", "/pulse/")
_GROUP_HOME = re.compile(r"^/groups/[^/]+/?$")


def parse_email(data: bytes) -> list[Item]:
    """Items of one raw RFC 822 message."""
    return parse_message(email.message_from_bytes(data, policy=email.policy.compat32))


def _header(message: Message, name: str) -> str:
    value = message.get(name)
    if value is None:
        return ""
    if isinstance(value, Header):
        # Raw 8-bit bytes in a header (RFC 6532): the parser keeps them as
        # "unknown-8bit"; they are UTF-8 in practice (Latin-1 otherwise).
        text = ""
        for chunk, charset in decode_header(value):
            if isinstance(chunk, str):
                text += chunk
                continue
            try:
                text += chunk.decode(charset if charset and charset != "unknown-8bit" else "utf-8")
            except (UnicodeDecodeError, LookupError):
                text += chunk.decode("latin-1")
        return collapse(text)
    try:
        return collapse(str(make_header(decode_header(str(value)))))
    except (UnicodeError, LookupError, ValueError):
        return collapse(str(value))


def _part(message: Message, subtype: str) -> str:
    for part in message.walk():
        if part.get_content_maintype() == "multipart" or part.get_filename():
            continue
        if part.get_content_type() == f"text/{subtype}":
            payload = part.get_payload(decode=True)
            if not isinstance(payload, bytes):
                continue
            charset = part.get_content_charset() or "utf-8"
            try:
                return payload.decode(charset, "replace")
            except LookupError:
                return payload.decode("utf-8", "replace")
    return ""


def parse_message(message: Message) -> list[Item]:
    """Items of one parsed message (see the module docstring for the rules)."""
    subject = _header(message, "Subject")
    sender_name, sender = parseaddr(_header(message, "From"))
    message_id = _header(message, "Message-ID").strip("<>")
    try:
        published = parsedate_to_datetime(_header(message, "Date")) if message["Date"] else None
    except (TypeError, ValueError):
        published = None
    html = _part(message, "html")
    text = _part(message, "plain")
    identity = (
        message_id
        or hashlib.sha1(f"{sender}\n{subject}\n{_header(message, 'Date')}".encode()).hexdigest()
    )
    domain = sender.rpartition("@")[2].lower()
    articles: list[tuple[str, str, str]] = []
    if html and domain == "google.com" and sender.lower().startswith("googlealerts"):
        articles = _google_alerts(html)
    elif html and (domain == "linkedin.com" or domain.endswith(".linkedin.com")):
        articles = _linkedin(html)
    if articles:
        return [
            Item(
                guid=f"mail:{identity}#{url}"[:2048],
                url=url[:8192],
                title=title[:10_000],
                text=(snippet or title)[:1_000_000],
                published=published,
                author=sender_name or sender or None,
                extra={"mail_subject": subject[:500]},
            )
            for url, title, snippet in articles
        ]
    body = collapse(text) if text.strip() else html_to_text(html)
    return [
        Item(
            guid=f"mail:{identity}"[:2048],
            title=subject[:10_000] or "(no subject)",
            text=body[:1_000_000],
            published=published,
            author=(f"{sender_name} <{sender}>" if sender_name else sender)[:500] or None,
        )
    ]


def _articles(html: str, target: Callable[[str], str | None]) -> list[tuple[str, str, str]]:
    """``(url, title, snippet)`` for each distinct link ``target`` accepts, in page order."""
    found: dict[str, tuple[str, str]] = {}
    for link in LexborHTMLParser(html).css("a[href]"):
        url = target(link.attributes.get("href") or "")
        title = collapse(link.text(deep=True, separator=" "))
        if url is None or not title or len(title) < 8:
            continue  # nav links, "See more", icons
        if url in found:
            continue
        found[url] = (title, _snippet(link, title))
    return [(url, title, snippet) for url, (title, snippet) in found.items()]


def _snippet(link: LexborNode, title: str) -> str:
    """The text of the smallest block around ``link`` that says more than its title."""
    node: LexborNode | None = link.parent
    for _ in range(4):
        if node is None or node.tag in ("body", "html"):
            break
        text = collapse(node.text(deep=True, separator=" "))
        if len(text) > len(title) + 20:
            # The block starts with the title; the item's text is what follows it.
            return text.removeprefix(title).strip()[:2000]
        node = node.parent
    return title


def _google_target(href: str) -> str | None:
    target = unwrap_google_url(href)
    return target if target != href else None


def _google_alerts(html: str) -> list[tuple[str, str, str]]:
    return _articles(html, _google_target)


def clean_linkedin_url(href: str) -> str | None:
    """A LinkedIn discussion link without tracking; ``None`` for anything else."""
    parts = urlsplit(href)
    host = (parts.hostname or "").lower()
    if not (host == "linkedin.com" or host.endswith(".linkedin.com")):
        return None
    path = parts.path
    if path.startswith("/comm/"):
        path = path[len("/comm") :]
    if not path.startswith(_LINKEDIN_CONTENT) or _GROUP_HOME.match(path):
        return None  # settings, help, profiles, and the group's home page
    query = [(k, v) for k, v in parse_qsl(parts.query) if k.lower() not in _LINKEDIN_TRACKING]
    return urlunsplit(("https", "www.linkedin.com", path, urlencode(query), ""))


def _linkedin(html: str) -> list[tuple[str, str, str]]:
    return _articles(html, clean_linkedin_url)
