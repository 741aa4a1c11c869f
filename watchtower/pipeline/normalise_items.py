"""Stage: give each adapter item its identity — canonical URL, URL key, content fingerprint."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from watchtower.models import Item
from watchtower.pipeline.canonical import canonical_key, canonical_url
from watchtower.pipeline.fingerprint import fingerprint
from watchtower.pipeline.store import Prepared, sha256


def prepare(items: Sequence[Item], tracking_params: Iterable[str] = ()) -> list[Prepared]:
    """Identity for each item; duplicates inside one batch (same guid) are dropped."""
    extra = tuple(tracking_params)
    seen: set[str] = set()
    out: list[Prepared] = []
    for item in items:
        if item.guid in seen:
            continue
        seen.add(item.guid)
        url = canonical_url(item.url, extra) if item.url else ""
        key = canonical_key(url) if item.url else ""
        fp = fingerprint(item.title, item.text)
        out.append(Prepared(item, url, sha256(key) if key else "", str(fp.content_hash), fp))
    return out
