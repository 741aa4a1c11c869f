"""Links rewritten by a mail security gateway, back to the link the sender wrote.

Company mailboxes rarely hold the links a digest was sent with: the gateway
that scans incoming mail rewrites each one into its own "check then redirect"
address, in the stored message that IMAP reads. The original link is written
inside that address, so it is decoded here, never fetched (following the
wrapper would tell the gateway who reads what, and may be refused anyway):

* Microsoft Defender for Office 365 Safe Links:
  ``https://eur01.safelinks.protection.outlook.com/?url=<link, percent-encoded>&data=…``
  (``*.safelinks.protection.office365.us`` for US government tenants);
* Proofpoint URL Defense v2:
  ``https://urldefense.proofpoint.com/v2/url?u=<link>&d=…``, the link
  percent-encoded with ``-`` for ``%`` and ``_`` for ``/``;
* Proofpoint URL Defense v3:
  ``https://urldefense.com/v3/__<link>__;<base64url>!!<tenant>!<signature>$``,
  each ``*`` of the link standing for the next character of the base64url
  text, and ``**X`` for the next run of them (``A`` 2 characters, ``B`` 3 …).

Wrappers nest (a Proofpoint address around a Safe Link around Google's
``/url?`` redirect): :func:`unwrap_link` undoes every gateway layer, and leaves
a link it cannot decode exactly as it was.
"""

from __future__ import annotations

import base64
import binascii
import re
import string
from urllib.parse import parse_qsl, unquote, urlsplit

__all__ = ["unwrap_link"]

#: More layers than this is no gateway's doing: the rest is left as it is.
_MAX_LAYERS = 4
_SAFE_LINKS_DOMAINS = (".safelinks.protection.outlook.com", ".safelinks.protection.office365.us")
_PROOFPOINT_V2_HOSTS = ("urldefense.proofpoint.com",)
_PROOFPOINT_V3_HOSTS = ("urldefense.com", "urldefense.proofpoint.com")
_PROOFPOINT_V2_ALPHABET = str.maketrans("-_", "%/")
# v3: "__<link>__;<replaced characters, base64url>!!…"; the link itself never holds "__;"
# (the gateway encodes such characters among the replaced ones).
_PROOFPOINT_V3 = re.compile(r"/v3/__(?P<link>.+?)__;(?P<replaced>[A-Za-z0-9_-]*)!")
_PROOFPOINT_V3_TOKEN = re.compile(r"\*(\*.)?")
# "**A" stands for a run of 2 replaced characters, "**B" for 3, and so on.
_PROOFPOINT_V3_RUNS = {
    letter: length
    for length, letter in enumerate(
        string.ascii_uppercase + string.ascii_lowercase + string.digits + "-_", start=2
    )
}


def unwrap_link(href: str) -> str:
    """The link a mail gateway's address wraps (see the module docstring), else ``href``.

    Only a decoded ``http``/``https`` link replaces ``href``; anything else
    (a damaged wrapper, an unknown version) leaves ``href`` unchanged.
    """
    for _ in range(_MAX_LAYERS):
        inner = _unwrap_once(href)
        if inner is None:
            break
        href = inner
    return href


def _unwrap_once(href: str) -> str | None:
    start = href[:80].lower()  # the host is there
    if "safelinks" not in start and "urldefense" not in start:
        return None  # nearly every link: no parsing at all
    try:
        parts = urlsplit(href.strip())
        host = (parts.hostname or "").lower()
    except ValueError:  # "http://[", a bad port: no wrapper we know
        return None
    if parts.scheme.lower() not in ("http", "https"):
        return None
    if host.endswith(_SAFE_LINKS_DOMAINS):
        inner = _query_value(parts.query, "url")
    elif host in _PROOFPOINT_V2_HOSTS and parts.path.startswith("/v2/url"):
        value = _query_value(parts.query, "u")
        inner = unquote(value.translate(_PROOFPOINT_V2_ALPHABET)) if value else None
    elif host in _PROOFPOINT_V3_HOSTS and parts.path.startswith("/v3/"):
        inner = _proofpoint_v3(href)
    else:
        return None
    return inner if inner and _is_web_link(inner) else None


def _query_value(query: str, key: str) -> str | None:
    for name, value in parse_qsl(query):
        if name == key:
            return value
    return None


def _proofpoint_v3(href: str) -> str | None:
    """The link of a v3 address (format: module docstring), or ``None`` if damaged."""
    found = _PROOFPOINT_V3.search(href)
    if found is None:
        return None
    link = unquote(found.group("link"))
    encoded = found.group("replaced")
    try:
        replaced = base64.urlsafe_b64decode(encoded + "=" * (-len(encoded) % 4)).decode("utf-8")
    except (binascii.Error, ValueError):  # ValueError: not UTF-8
        return None
    out: list[str] = []
    used = 0
    last = 0
    for token in _PROOFPOINT_V3_TOKEN.finditer(link):
        run = 1 if token.group(1) is None else _PROOFPOINT_V3_RUNS.get(token.group(1)[1])
        if run is None or used + run > len(replaced):
            return None  # a run the text does not hold: not an address we can read
        out += (link[last : token.start()], replaced[used : used + run])
        used += run
        last = token.end()
    out.append(link[last:])
    return "".join(out)


def _is_web_link(link: str) -> bool:
    return link[:8].lower().startswith(("http://", "https://")) and not any(
        c.isspace() for c in link
    )
