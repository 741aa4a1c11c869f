"""E-mails to items: digests split into one item per article, anything else one item.

* Google Alerts e-mails (``googlealerts-noreply@google.com``): every article is
  a ``https://www.google.com/url?…&url=TARGET`` link; each TARGET becomes an item
  titled with the link text, with the article's own snippet (HTML or, for an
  alert without HTML, its text part).
* LinkedIn group digests (``…@linkedin.com``): every discussion link
  (``/groups/ID/…``, ``/feed/update/…``) becomes an item; LinkedIn's tracking
  (``/comm/`` prefix, ``trk``, ``midToken``…) is removed to give the real URL.
* A digest forwarded as an attachment (``message/rfc822``) is split the same
  way, by the attached e-mail's own sender; one forwarded inline (a colleague's
  "Fwd:" or "TR :") too, by the sender its forward header names ("De : Alertes
  Google <googlealerts-noreply@google.com>"): the colleague's own words are no
  article.
* Any other e-mail is one item: subject, sender, date, and the text of every
  inline part (attached e-mails included).

How articles are found is in :mod:`._mail_digest`; how bytes become text
(charsets, RFC 2047, stub text parts) in :mod:`._mail_decode`.

Identity is the ``Message-ID`` (plus the article URL for digests), never the
IMAP UID: the same e-mail read twice is the same item.
"""

from __future__ import annotations

import email
import email.policy
import hashlib
import re
from dataclasses import dataclass
from datetime import datetime
from email.message import Message

from watchtower.adapters._dates import parse_date
from watchtower.adapters._mail_decode import (
    address,
    attached_messages,
    body_text,
    header,
    own_text,
)
from watchtower.adapters._mail_digest import (
    GOOGLE_ALERTS,
    LINKEDIN,
    Digest,
    clean_linkedin_url,
    html_articles,
    text_articles,
)
from watchtower.adapters._text import html_to_text
from watchtower.models import Item

__all__ = ["clean_linkedin_url", "mail_subject", "parse_email", "parse_message"]


def parse_email(data: bytes) -> list[Item]:
    """Items of one raw RFC 822 message."""
    return parse_message(email.message_from_bytes(data, policy=email.policy.compat32))


def mail_subject(data: bytes) -> str:
    """The decoded subject of a raw message (its header block is enough), or ""."""
    return header(email.message_from_bytes(data, policy=email.policy.compat32), "Subject")


@dataclass(frozen=True)
class _Envelope:
    """What every item of one e-mail shares."""

    subject: str
    name: str
    sender: str
    identity: str
    published: datetime | None

    @classmethod
    def of(cls, message: Message) -> _Envelope:
        subject = header(message, "Subject")
        name, sender = address(message, "From")
        date = header(message, "Date")
        # The feeds' reader: RFC 822 or ISO, made aware, and only plausible dates
        # (a year-9999 Date header would make the batch unstorable).
        published = parse_date(date)
        message_id = header(message, "Message-ID").strip("<>")
        identity = message_id or hashlib.sha1(f"{sender}\n{subject}\n{date}".encode()).hexdigest()
        return cls(subject, name, sender, identity, published)

    @property
    def author(self) -> str | None:
        return (f"{self.name} <{self.sender}>" if self.name else self.sender)[:500] or None


def _digest_target(sender: str) -> Digest | None:
    """How a digest from ``sender`` is read; ``None`` for other senders."""
    local, _, domain = sender.lower().rpartition("@")
    if domain == "google.com" and local.startswith("googlealerts"):
        return GOOGLE_ALERTS
    if domain == "linkedin.com" or domain.endswith(".linkedin.com"):
        return LINKEDIN
    return None


#: A forward header's sender line: "From: Name <addr>", "De : addr", "[mailto:addr]".
_FORWARDED_FROM = re.compile(
    r"\b(?:From|De|Von|Da|Van)\s?:\s*[^:<>\[\]\n]{0,200}?[<\[]?\s*(?:mailto:)?"
    r"([\w.+-]+@[\w-]+(?:\.[\w-]+)+)"
)


def _forwarded_target(message: Message) -> Digest | None:
    """How the digest forwarded inline in ``message`` links its articles, if any:
    the first sender named in the body that sends digests."""
    html = own_text(message, "html")
    for text in (own_text(message, "plain"), html_to_text(html) if html else ""):
        for match in _FORWARDED_FROM.finditer(text):
            target = _digest_target(match.group(1))
            if target is not None:
                return target
    return None


def _digest_items(message: Message, target: Digest | None = None) -> list[Item]:
    """One item per article when ``message`` is a digest (or, with ``target``,
    holds one forwarded inline); ``[]`` otherwise."""
    envelope = _Envelope.of(message)
    target = target or _digest_target(envelope.sender)
    if target is None:
        return []
    html = own_text(message, "html")
    articles = html_articles(html, target) if html else []
    if not articles:
        articles = text_articles(own_text(message, "plain"), target)
    return [
        Item(
            guid=f"mail:{envelope.identity}#{url}"[:2048],
            url=url[:8192],
            title=title[:10_000],
            text=(snippet or title)[:1_000_000],
            published=envelope.published,
            # Who wrote it, as the digest names them; never the digest's sender.
            author=author[:500] if author else None,
            extra={"mail_subject": envelope.subject[:500]},
        )
        for url, title, snippet, author in articles
    ]


def parse_message(message: Message) -> list[Item]:
    """Items of one parsed message (see the module docstring for the rules)."""
    items = _digest_items(message)
    if items:
        return items
    forwarded: dict[str, Item] = {}
    for attached in attached_messages(message):
        for item in _digest_items(attached):
            forwarded.setdefault(item.guid, item)
    if forwarded:
        return list(forwarded.values())
    target = _forwarded_target(message)
    items = _digest_items(message, target) if target is not None else []
    if items:
        return items
    envelope = _Envelope.of(message)
    return [
        Item(
            guid=f"mail:{envelope.identity}"[:2048],
            title=envelope.subject[:10_000] or "(no subject)",
            text=body_text(message)[:1_000_000],
            published=envelope.published,
            author=envelope.author,
        )
    ]
