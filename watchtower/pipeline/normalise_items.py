"""Stage: clean adapter items and compute their identity (canonical URL, hashes)."""

from __future__ import annotations

from collections.abc import Sequence
from urllib.parse import urlsplit, urlunsplit

from watchtower.models import Item
from watchtower.pipeline.normalise import normalise
from watchtower.pipeline.store import Prepared, sha256


def canonical_url(url: str) -> str:
    """Lower-case scheme and host, no fragment (the dedup work refines this)."""
    if not url:
        return ""
    parts = urlsplit(url.strip())
    return urlunsplit(
        (parts.scheme.lower(), parts.netloc.lower(), parts.path or "/", parts.query, "")
    )


def prepare(items: Sequence[Item]) -> list[Prepared]:
    """Identity for each item; duplicates inside one batch (same guid) are dropped."""
    seen: set[str] = set()
    out: list[Prepared] = []
    for item in items:
        if item.guid in seen:
            continue
        seen.add(item.guid)
        url = canonical_url(item.url)
        content = normalise(" ".join((item.title + " " + item.text).split()))
        out.append(Prepared(item, url, sha256(url) if url else "", sha256(content)))
    return out
