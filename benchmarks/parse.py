"""Feed parsing speed: watchtower's lxml parser against feedparser, same run, same bytes.

Cases: every feed in ``tests/corpus`` (RSS, RDF, Atom, Google Alerts, forum feeds)
and two synthetic 10,000-item feeds (3,000 with ``--quick``), RSS 2.0 and Atom, shaped
like real ones (HTML descriptions with links, RFC 822 / ISO dates, authors, guids).

The baseline is feedparser doing the same job: bytes in, validated
:class:`~watchtower.models.Item` values out, mapped the way watchtower mapped
feedparser entries before the lxml parser replaced it (``_feedparser_items``,
``sanitize_html=False`` as watchtower called it). Also reported, for reference:
feedparser with its defaults (HTML sanitising, relative URI resolution), and
fastfeedparser's raw dicts (no HTML-to-text, no validation). fastfeedparser is
not used because it fails the golden tests: no entries from the RSS 0.9 RDF
sample, mojibake titles from the undeclared ISO-8859-1 sample.
Throughput is items/s, best of N runs. Run: ``python benchmarks/parse.py [--quick]`` (a
script: it imports the shared printer as ``_bench`` from its own folder).
"""

from __future__ import annotations

import calendar
import gc
import hashlib
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape

import fastfeedparser
import feedparser
from _bench import parse_args, report  # benchmarks/ is the script folder

from watchtower.adapters._feed import parse_feed
from watchtower.adapters._text import html_to_text
from watchtower.models import Item

CORPUS = Path(__file__).resolve().parent.parent / "tests" / "corpus"
TARGET = 35.0


# ------------------------------------------------------------------ baseline
def _feedparser_item(entry: Any) -> Item | None:
    link = str(entry.get("link") or "")
    title = html_to_text(entry.get("title"))
    contents = entry.get("content") or []
    if contents:
        text = " ".join(html_to_text(c.get("value")) for c in contents)
    else:
        text = html_to_text(entry.get("summary") or entry.get("description"))
    guid = str(entry.get("id") or link)
    if not guid:
        if not (title or text):
            return None
        guid = "sha1:" + hashlib.sha1((title + "\n" + text).encode()).hexdigest()
    when = None
    for key in ("published_parsed", "updated_parsed"):
        if entry.get(key):
            when = datetime.fromtimestamp(calendar.timegm(entry[key]), tz=UTC)
            break
    author = entry.get("author") or None
    return Item(
        guid=guid[:2048],
        url=link,
        title=title[:10_000],
        text=text[:1_000_000],
        published=when,
        author=str(author)[:500] if author else None,
    )


def _feedparser_items(data: bytes) -> int:
    parsed = feedparser.parse(data, sanitize_html=False)
    return sum(1 for e in parsed.entries if _feedparser_item(e) is not None)


def _feedparser_default_items(data: bytes) -> int:
    # feedparser's defaults also sanitise HTML and resolve relative URIs.
    return sum(1 for e in feedparser.parse(data).entries if _feedparser_item(e) is not None)


def _watchtower_items(data: bytes) -> int:
    return len(parse_feed(data, url="https://example.org/feed").items)


def _fastfeedparser_items(data: bytes) -> int:
    try:
        return len(fastfeedparser.parse(data)["entries"])
    except Exception:
        return 0


# ---------------------------------------------------------------- synthetic
def synthetic_rss(n: int) -> bytes:
    """An RSS 2.0 feed of ``n`` items with HTML descriptions, like a news site's."""
    start = datetime(2024, 3, 1, 8, 0, tzinfo=UTC)
    parts = [
        '<?xml version="1.0" encoding="UTF-8"?>\n<rss version="2.0" '
        'xmlns:dc="http://purl.org/dc/elements/1.1/"><channel><title>Synthetic news</title>'
        "<link>https://news.example.org/</link><language>fr</language>"
    ]
    for i in range(n):
        when = (start - timedelta(minutes=7 * i)).strftime("%a, %d %b %Y %H:%M:%S +0000")
        body = (
            f"<p>Article {i}: la banque <b>Acme</b> annonce des résultats &amp; un plan "
            f'pour 2025.</p><p>Lire <a href="https://news.example.org/a/{i}?utm=rss">la suite'
            "</a> sur notre site.</p>"
        )
        parts.append(
            f"<item><title>Acme &amp; co: nouvelle n°{i}</title>"
            f"<link>https://news.example.org/a/{i}</link>"
            f'<guid isPermaLink="false">news-{i}</guid><pubDate>{when}</pubDate>'
            f"<dc:creator>Rédaction {i % 17}</dc:creator><category>Banque</category>"
            f"<description>{escape(body)}</description></item>"
        )
    parts.append("</channel></rss>")
    return "".join(parts).encode()


def synthetic_atom(n: int) -> bytes:
    """An Atom feed of ``n`` entries with HTML content, like a forum's."""
    start = datetime(2024, 3, 1, 8, 0, tzinfo=UTC)
    parts = [
        '<?xml version="1.0" encoding="UTF-8"?>\n<feed xmlns="http://www.w3.org/2005/Atom">'
        "<title>Synthetic forum</title><id>urn:forum</id>"
        '<link rel="self" href="https://forum.example.org/feed.php"/>'
    ]
    for i in range(n):
        when = (start - timedelta(minutes=3 * i)).isoformat()
        body = (
            f"<p>Bonjour, mon compte <strong>Acme</strong> est bloqué depuis {i} jours.</p>"
            "<blockquote>Le service client ne répond pas.</blockquote>"
        )
        parts.append(
            f'<entry><id>urn:forum:post:{i}</id><title type="html">Re: compte bloqué n°{i}'
            f'</title><link href="viewtopic.php?t={i // 10}&amp;p={i}#p{i}"/>'
            f"<published>{when}</published><updated>{when}</updated>"
            f"<author><name>membre{i % 91}</name></author>"
            f'<content type="html">{escape(body)}</content></entry>'
        )
    parts.append("</feed>")
    return "".join(parts).encode()


# -------------------------------------------------------------------- timing
def _items_per_second(parse: Callable[[bytes], int], feeds: list[bytes], runs: int) -> float:
    best = float("inf")
    count = 0
    for _ in range(runs):
        gc.collect()
        began = time.perf_counter()
        count = sum(parse(data) for data in feeds)
        best = min(best, time.perf_counter() - began)
    return count / best if best else 0.0


def main() -> None:
    args = parse_args(__doc__.splitlines()[0] if __doc__ else "parse benchmark")
    # --quick: 3k-item synthetic feeds and fewer runs, to stay under a minute.
    baseline_runs, runs, size = (2, 3, 3_000) if args.quick else (3, 10, 10_000)
    corpus = [p.read_bytes() for p in sorted(CORPUS.glob("*/*.xml"))]
    cases = {
        "corpus": corpus,
        f"synthetic-rss-{size // 1000}k": [synthetic_rss(size)],
        f"synthetic-atom-{size // 1000}k": [synthetic_atom(size)],
    }
    for case, feeds in cases.items():
        multiplier = 20 if case == "corpus" else 1  # the corpus is small: repeat it
        ours = _items_per_second(_watchtower_items, feeds * multiplier, runs)
        base = _items_per_second(_feedparser_items, feeds, baseline_runs)
        default = _items_per_second(_feedparser_default_items, feeds, baseline_runs)
        fast = _items_per_second(_fastfeedparser_items, feeds * multiplier, baseline_runs)
        report(
            "parse",
            case,
            value=ours,
            unit="items/s",
            baseline=base,
            target=f">= {TARGET:g}x feedparser",
            ok=ours >= TARGET * base,
            feedparser_defaults_items_per_s=round(default, 1),
            ratio_to_feedparser_defaults=round(ours / default, 2) if default else 0.0,
            fastfeedparser_items_per_s=round(fast, 1),
            fastfeedparser_ratio=round(fast / base, 2) if base else 0.0,
        )


if __name__ == "__main__":
    main()
