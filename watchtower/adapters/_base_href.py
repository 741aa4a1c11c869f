"""What a page's relative addresses resolve against: its ``<base href>``.

Shared by the sources that read addresses out of a page: ``kind = "html"``
(each entry's link) and ``kind = "reviews"`` (a JSON-LD review's ``url``,
which JSON-LD 1.1 resolves against the document's base URL, as browsers do
for links).
"""

from __future__ import annotations

from urllib.parse import urljoin, urlsplit

from selectolax.lexbor import LexborHTMLParser

__all__ = ["base_url"]


def base_url(tree: LexborHTMLParser, url: str) -> str:
    """What relative links resolve against: the first ``<base href>``, resolved
    against the page URL (browsers ignore later ones), else the page URL.

    A base that is not an http(s) address (``javascript:``, unreadable) is
    ignored, so it cannot turn every link into something no one can open.
    """
    base = tree.css_first("base[href]")
    href = (base.attributes.get("href") or "").strip() if base is not None else ""
    if not href:
        return url
    try:
        resolved = urljoin(url, href)
        parts = urlsplit(resolved)
    except ValueError:  # "http://[::1": not an address
        return url
    return resolved if parts.scheme in ("http", "https") and parts.netloc else url
