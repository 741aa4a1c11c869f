"""Bytes of an e-mail to text: headers (RFC 2047), addresses, text parts, bodies.

Everything here is lenient, because one unreadable e-mail must never cost the
others (:mod:`watchtower.adapters.imap` still guards each message):

* Charset labels are read as browsers read them (``decode_html``'s WHATWG
  table): ISO-8859-1, latin-1 and US-ASCII mean windows-1252, which is what
  Outlook sends under those labels (’ € œ live in 0x80–0x9F). A byte that is
  invalid in its charset becomes U+FFFD (one a windows-125x code page leaves
  undefined in 0x80–0x9F is its C1 control, as in WHATWG's indexes); it never
  leaves the header undecoded.
* Encoded words (``=?UTF-8?Q?…?=``) are decoded one by one: a malformed one is
  kept as written, the rest of the header is still decoded. Raw 8-bit headers
  (RFC 6532) are UTF-8, else windows-1252.
* ``From`` is split into name and address *before* its encoded words are
  decoded, so an encoded comma in the name cannot break the address.
* A ``multipart/alternative`` body uses its text/plain part unless that part is
  a stub ("open this e-mail in an HTML viewer"): shorter than the HTML part and
  holding less than half of its words.
"""

from __future__ import annotations

import binascii
import re
from email.message import Message
from email.utils import parseaddr

from watchtower.adapters._text import collapse, decode_html, html_to_text

__all__ = [
    "address",
    "attached_messages",
    "body_text",
    "decode_bytes",
    "decode_words",
    "header",
    "leaf_text",
    "own_text",
    "raw_header",
]

_ENCODED_WORD = re.compile(r"=\?([^?\s]+)\?([BbQq])\?([^?\s]*)\?=")
_FOLD = re.compile(r"\r?\n(?=[ \t])")
#: A text/plain alternative covering less than this share of the HTML's words is a stub.
_STUB_COVERAGE = 0.5


def decode_bytes(data: bytes, charset: str | None) -> str:
    """``data`` in the charset ``charset`` names, read as a browser would.

    An unknown or missing label means UTF-8 when the bytes are valid UTF-8,
    windows-1252 otherwise; invalid bytes become U+FFFD.
    """
    return decode_html(data, f"charset={charset}" if charset else "")


def _word_bytes(encoding: str, text: str) -> bytes | None:
    """The bytes of one encoded word's payload; ``None`` if it cannot be decoded."""
    data = text.encode("utf-8", "surrogateescape")
    try:
        if encoding in "Qq":
            return binascii.a2b_qp(data, header=True)
        return binascii.a2b_base64(data + b"=" * (-len(data) % 4))
    except (binascii.Error, ValueError):
        return None


def decode_words(text: str) -> str:
    """``text`` with its RFC 2047 encoded words decoded (malformed ones kept as written).

    Adjacent words in the same charset are decoded together (a character may be
    split between two of them), and the spaces between encoded words vanish.
    """
    out: list[str] = []
    pending: list[bytes] = []
    pending_charset = ""
    position = 0

    def flush() -> None:
        if pending:
            out.append(decode_bytes(b"".join(pending), pending_charset))
            pending.clear()

    for match in _ENCODED_WORD.finditer(text):
        between = text[position : match.start()]
        charset = match.group(1).split("*", 1)[0]  # RFC 2231 language suffix
        data = _word_bytes(match.group(2), match.group(3))
        position = match.end()
        if data is None:
            flush()
            out.append(between + match.group(0))
            continue
        # Only spaces since the last decoded word: they vanish (RFC 2047 §6.2).
        adjacent = bool(pending) and not between.strip()
        if adjacent and charset.lower() == pending_charset.lower():
            pending.append(data)
            continue
        flush()
        if not adjacent:
            out.append(between)
        pending.append(data)
        pending_charset = charset
    flush()
    out.append(text[position:])
    return "".join(out)


def raw_header(message: Message, name: str) -> str | None:
    """The first ``name`` header, unfolded, 8-bit bytes decoded, encoded words intact."""
    wanted = name.lower()
    for key, value in message.raw_items():
        if key.lower() == wanted:
            # The parser keeps raw 8-bit bytes as surrogate escapes.
            raw = _FOLD.sub("", str(value)).encode("utf-8", "surrogateescape")
            try:
                return raw.decode("utf-8")
            except UnicodeDecodeError:
                return decode_bytes(raw, "windows-1252")
    return None


def header(message: Message, name: str) -> str:
    """The decoded text of the first ``name`` header ("" when absent), spaces collapsed."""
    value = raw_header(message, name)
    return collapse(decode_words(value)) if value else ""


def address(message: Message, name: str = "From") -> tuple[str, str]:
    """``(display name, address)`` of an address header, the name decoded."""
    display, mailbox = parseaddr(raw_header(message, name) or "")
    return collapse(decode_words(display)), collapse(decode_words(mailbox))


def leaf_text(part: Message) -> str:
    """The decoded payload of a non-multipart (text) part; "" when it has none."""
    payload = part.get_payload(decode=True)
    if not isinstance(payload, bytes):
        return ""
    return decode_bytes(payload, part.get_content_charset())


def _is_attachment(part: Message) -> bool:
    """An attached file (a named part not explicitly shown inline)."""
    disposition = str(part.get("Content-Disposition", "")).split(";", 1)[0].strip().lower()
    return disposition == "attachment" or (disposition != "inline" and bool(part.get_filename()))


def own_text(message: Message, subtype: str) -> str:
    """The first inline non-empty text/``subtype`` part of ``message`` itself
    (not of the e-mails attached to it)."""
    stack = [message]
    while stack:
        part = stack.pop()
        if part is not message and part.get_content_type() == "message/rfc822":
            continue
        if part.is_multipart():
            children = part.get_payload()
            stack += reversed([c for c in children if isinstance(c, Message)])
        elif part.get_content_type() == f"text/{subtype}" and not _is_attachment(part):
            text = leaf_text(part)
            if text.strip():
                return text
    return ""


def attached_messages(message: Message) -> list[Message]:
    """E-mails attached to ``message`` (``message/rfc822`` parts), outermost first."""
    found: list[Message] = []
    for part in message.walk():
        if part is not message and part.get_content_type() == "message/rfc822":
            inner = part.get_payload()
            if isinstance(inner, list) and inner and isinstance(inner[0], Message):
                found.append(inner[0])
    return found


def _words(text: str) -> set[str]:
    return {word for word in text.lower().split() if len(word) > 2}


def _alternative(texts: list[tuple[str, str]]) -> tuple[str, str]:
    """One text of a ``multipart/alternative``: plain, unless it is a stub of the HTML."""
    plain = next((text for kind, text in texts if kind == "plain" and text), "")
    rich = next((text for kind, text in reversed(texts) if kind != "plain" and text), "")
    if plain and rich:
        wanted, offered = _words(rich), _words(plain)
        if len(offered) < len(wanted) and len(wanted & offered) < _STUB_COVERAGE * len(wanted):
            return "html", rich
    return ("plain", plain) if plain else ("html", rich)


def _body(part: Message, depth: int) -> tuple[str, str]:
    """``(kind, text)`` of a MIME subtree: kind ``plain`` or ``html`` (HTML as text)."""
    content_type = part.get_content_type()
    if depth > 20:  # a hostile nesting: what was read so far is enough
        return "plain", ""
    if content_type == "message/rfc822":
        inner = part.get_payload()
        if not isinstance(inner, list) or not inner or not isinstance(inner[0], Message):
            return "plain", ""
        quoted = inner[0]
        name, mailbox = address(quoted)
        head = " ".join(
            f"{label}: {value}"
            for label, value in (
                ("From", f"{name} <{mailbox}>" if name else mailbox),
                ("Subject", header(quoted, "Subject")),
            )
            if value
        )
        return "plain", collapse(f"{head} {_body(quoted, depth + 1)[1]}")
    if part.is_multipart():
        children = [
            _body(child, depth + 1)
            for child in part.get_payload()
            if isinstance(child, Message)
            and (child.get_content_type() == "message/rfc822" or not _is_attachment(child))
        ]
        if part.get_content_subtype() == "alternative":
            return _alternative(children)
        kinds = {kind for kind, text in children if text}
        text = collapse(" ".join(text for _, text in children if text))
        return ("html" if kinds == {"html"} else "plain"), text
    if _is_attachment(part):
        return "plain", ""
    if content_type == "text/plain":
        return "plain", collapse(without_signature(leaf_text(part)))
    if content_type == "text/html":
        return "html", html_to_text(leaf_text(part))
    return "plain", ""


# RFC 3676's signature separator, "-- " alone on its line (often sent without the space).
_SIGNATURE = re.compile(r"^-- ?\r?$", re.MULTILINE)


def without_signature(text: str) -> str:
    """``text`` without the signature after its last "-- " line: it repeats in every
    e-mail of its sender, and "Client Banque Acmé depuis 2009" there is no mention."""
    last = None
    for last in _SIGNATURE.finditer(text):  # noqa: B007 - the last one is wanted
        pass
    if last is None or not text[: last.start()].strip():
        return text
    return text[: last.start()]


def body_text(message: Message) -> str:
    """The readable text of a whole e-mail: every inline part, attached e-mails included."""
    return _body(message, 0)[1]
