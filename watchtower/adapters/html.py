"""``kind = "html"``: a list page without a feed, read with CSS selectors.

``item`` selects each entry on the page; ``title``, ``link``, ``date`` and
``text`` are selectors inside it. A selector ending in ``@attr`` reads that
attribute (``h2 a@href``, ``time@datetime``) instead of the text. Links resolve
against the page's ``<base href>`` when it has one, else against the page URL;
the link is the item's identity. The page is decoded as a browser would
(:func:`~watchtower.adapters._text.decode_html`: HTTP charset, then ``<meta>``).
"""

from __future__ import annotations

import hashlib
import re
from typing import Literal
from urllib.parse import urljoin, urlsplit

from pydantic import Field, field_validator
from selectolax.lexbor import LexborHTMLParser, LexborNode, SelectolaxError

from watchtower.adapters._dates import parse_date
from watchtower.adapters._text import collapse, decode_html
from watchtower.adapters.base import (
    FetchContext,
    FetchResult,
    Source,
    SourceState,
    UrlSourceSettings,
)
from watchtower.errors import PermanentError
from watchtower.models import Item

__all__ = ["HtmlSettings", "HtmlSource", "parse_html_list"]

_ATTR = re.compile(r"^(.*?)\s*@([A-Za-z_:][-\w:.]*)$")
_ACCEPT = "text/html, application/xhtml+xml;q=0.9, */*;q=0.5"


def _split(selector: str) -> tuple[str, str | None]:
    match = _ATTR.match(selector.strip())
    if match:
        return match.group(1), match.group(2)
    return selector.strip(), None


def _check_selector(value: str) -> str:
    css, _attr = _split(value)
    if css:
        try:
            LexborHTMLParser("<p></p>").css_first(css)
        except (SelectolaxError, ValueError) as exc:
            raise ValueError(f"invalid CSS selector {css!r} ({exc})") from None
    return value


class HtmlSettings(UrlSourceSettings):
    """Keys of an HTML list page source (CSS selectors; ``@attr`` reads an attribute)."""

    kind: Literal["html"] = "html"
    item: str = Field(min_length=1)
    title: str = Field(min_length=1)
    link: str = "a@href"
    date: str | None = None
    text: str | None = None

    @field_validator("item", "title", "link", "date", "text")
    @classmethod
    def _valid_selector(cls, value: str | None) -> str | None:
        return None if value is None else _check_selector(value)


def _select(node: LexborNode, selector: str | None) -> str:
    """Text (or ``@attr`` value) of the first match of ``selector`` inside ``node``."""
    if not selector:
        return ""
    css, attr = _split(selector)
    target = node.css_first(css) if css else node
    if target is None:
        return ""
    if attr:
        return (target.attributes.get(attr) or "").strip()
    return collapse(target.text(deep=True, separator=" "))


def _base_url(tree: LexborHTMLParser, url: str) -> str:
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


def parse_html_list(html: str, url: str, settings: HtmlSettings) -> list[Item]:
    """The entries of a list page as items, in page order."""
    items = []
    tree = LexborHTMLParser(html)
    base = _base_url(tree, url)
    for node in tree.css(settings.item):
        title = _select(node, settings.title)
        link = _select(node, settings.link)
        try:
            link = urljoin(base, link) if link else ""
        except ValueError:  # "http://[::1": one unreadable link must not fail the page
            link = ""
        text = _select(node, settings.text) if settings.text else ""
        if not (title or link):
            continue
        guid = link or "sha1:" + hashlib.sha1(f"{url}\n{title}".encode()).hexdigest()
        items.append(
            Item(
                guid=guid[:2048],
                url=link[:8192],
                title=title[:10_000],
                text=(text or title)[:1_000_000],
                published=parse_date(_select(node, settings.date)),
            )
        )
    return items


class HtmlSource(Source):
    """Fetches a list page and reads its entries with the configured selectors."""

    kind = "html"
    settings_model = HtmlSettings

    def fetch(self, settings: HtmlSettings, state: SourceState, ctx: FetchContext) -> FetchResult:
        page = ctx.get_page(
            settings.url, state, accept=_ACCEPT, allow_private=settings.allow_private
        )
        if page.not_modified:
            return page.result([])
        response = page.response
        html = decode_html(response.content, response.headers.get("content-type", ""))
        items = parse_html_list(html, response.url, settings)
        if not items:
            raise PermanentError(code="html_no_match", params={"selector": settings.item})
        return page.result(items)
