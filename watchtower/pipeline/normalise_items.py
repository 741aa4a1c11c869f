"""Stage: give each adapter item its identity — canonical URL, URL key, content fingerprint."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence

from watchtower.models import Item
from watchtower.pipeline.canonical import canonical_key, canonical_url
from watchtower.pipeline.fingerprint import Fingerprint, fingerprint
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
        if item.url and not url:  # not an http(s) link (javascript:, data:…): none at all
            item = item.model_copy(update={"url": ""})
        if item.shared_url:
            out.append(Prepared(item, url, "", *_found_on_a_page(item)))
            continue
        key = canonical_key(url) if item.url else ""
        fp = fingerprint(item.title, item.text)
        out.append(Prepared(item, url, sha256(key) if key else "", str(fp.content_hash), fp))
    return out


def _found_on_a_page(item: Item) -> tuple[str, Fingerprint]:
    """``(content hash, fingerprint)`` of an item whose URL is the page it was found on.

    Such an item (a review: ``Item.shared_url``) is its own story unless it is
    a copy of another. Neither its URL nor its title tells: the URL is the
    page's, and the title may be made of the page's words (a review without a
    headline is titled with the business it reviews). So it has no URL key,
    its content hash includes its guid — "Nul." from two customers is two
    reviews; the same review read by two sources (same guid) is one story —
    and its near-duplicate words are those of its own text, where copies of a
    long review are still found.
    """
    full = fingerprint(item.title, item.text)
    digest = hashlib.blake2b(
        f"{full.content_hash}\x1e{item.guid}".encode("utf-8", "surrogatepass"), digest_size=8
    )
    content_hash = int.from_bytes(digest.digest(), "big", signed=True)
    fp = Fingerprint(content_hash, fingerprint("", item.text).words)
    return str(content_hash), fp
