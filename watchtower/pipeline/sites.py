"""The site an item is on: the host of its canonical URL, as a 32-bit key.

Two different items of one site are held to a stricter bar
(:data:`~watchtower.pipeline.templates.SAME_SITE_THRESHOLD`): a site publishes
a story once, and what its pages share is its template.
"""

from __future__ import annotations

import functools
import re
import zlib

__all__ = ["NO_SITE_HOSTS", "site_key"]

#: Hosts whose links are not the article's own (the target is not in the link,
#: see ``canonical.py``): their items are of no known site.
NO_SITE_HOSTS = frozenset({"news.google.com", "feedproxy.google.com", "t.co"})


_HOST = re.compile(r"[a-z][a-z0-9+.-]*://([^/?#]*)", re.IGNORECASE)


def site_key(url: str) -> int:
    """A 32-bit key of the site an item's canonical URL is on (its host, without
    ``www.``); 0 when there is none, or when the host only redirects.
    """
    return _host_key(_host(url))


def _host(url: str) -> str:
    """The host (and port) of a canonical URL: lower-case, no user info (``canonical_url``)."""
    found = _HOST.match(url)
    return found.group(1) if found else ""


@functools.lru_cache(maxsize=4096)
def _host_key(host: str) -> int:
    host = host.removeprefix("www.")
    if not host or host in NO_SITE_HOSTS:
        return 0
    return zlib.crc32(host.encode("utf-8", "surrogatepass")) or 1
