"""Digest e-mails split into articles: Google Alerts and LinkedIn group digests.

An article is a link whose target a *target* function accepts (a Google
``/url?…&url=TARGET`` redirect, a LinkedIn discussion); links to the same
target are one article, titled by the first of them that has text (titles are
read with :func:`html_to_text`'s rules, so ``l'<b>Acmé</b>`` stays ``l'Acmé``).

An article's text is its own and nobody else's, whatever the layout:

* schema.org ``Article`` microdata (today's Google Alerts): the publisher and
  the description of the article's own scope;
* otherwise the siblings that run from the article's link to the next article's
  link, in the element that holds both (a table row and the snippet row below
  it, or the ``<a>…<br><font>…</font><br><br>`` run of the classic Google
  layout). The last article, which has no next link, takes as many elements as
  the one before it: digests repeat one layout, and what follows is the footer.

A text-only digest (no HTML part) is split the same way: each article is the
paragraph that ends with its ``<URL>`` line, title first.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from selectolax.lexbor import LexborHTMLParser, LexborNode

from watchtower.adapters._text import collapse, html_to_text
from watchtower.adapters.google_alerts import unwrap_google_url

__all__ = [
    "Article",
    "Target",
    "clean_linkedin_url",
    "google_target",
    "html_articles",
    "text_articles",
]

#: ``(url, title, text)`` of one article.
Article = tuple[str, str, str]
#: The article URL a link points to, or ``None`` for any other link.
Target = Callable[[str], "str | None"]

_MAX_TEXT = 2000
_LINKEDIN_CONTENT = ("/groups/", "/feed/update/", "/posts/", "/pulse/")
#: Query parameters that are LinkedIn's tracking or a button's action, not the discussion.
_LINKEDIN_TRACKING = {
    *("trk", "trkemail", "midtoken", "midsig", "lipi", "eid", "otptoken", "loid"),
    *("refid", "trackingid", "commenturn", "replyurn", "dashcommenturn", "actiontype"),
}
#: Google's own pages, never an article: a search, the alerts' settings.
_GOOGLE_PAGES = ("/search", "/alerts", "/url")
_ARTICLE_TYPES = ("Article", "NewsArticle", "BlogPosting", "Report", "ScholarlyArticle")
# "<https://…>" at the end of a line (a URL never holds spaces: a wrapped one is rejoined).
_ANGLE_URL = re.compile(r"<(https?://[^<>]{1,8000}?)>")
_URL_AT_END = re.compile(r"(?:<(https?://[^<>\s]+)>|(https?://\S+))\s*$")


def google_target(href: str) -> str | None:
    """The article behind a Google ``/url`` redirect; ``None`` for Google's own links,
    redirected or not ("Voir plus de résultats" to a search, the alert's settings)."""
    target = unwrap_google_url(href)
    if target == href:
        return None
    parts = urlsplit(target)
    host = (parts.hostname or "").lower()
    google = host in ("google.com", "www.google.com") or host.startswith("www.google.")
    if google and parts.path.startswith(_GOOGLE_PAGES):
        return None
    return target


def clean_linkedin_url(href: str) -> str | None:
    """A LinkedIn discussion link, reduced to the discussion's own address; ``None``
    for anything else (the group's pages, "Voir toutes les discussions", settings…).

    LinkedIn's tracking (``trk``, ``midToken``, ``refId``, ``trackingId``,
    ``utm_*``…) and the parameters of the "Commenter" and "J'aime" buttons
    (``commentUrn``, ``actionType``) are dropped, as are a trailing slash and
    ``%3A`` in ``urn%3Ali%3Aactivity``, so every link to one discussion gives one
    URL; other parameters are kept.
    """
    parts = urlsplit(href)
    host = (parts.hostname or "").lower()
    if not (host == "linkedin.com" or host.endswith(".linkedin.com")):
        return None
    path = parts.path
    if path.startswith("/comm/"):
        path = path[len("/comm") :]
    path = re.sub("%3a", ":", path, flags=re.IGNORECASE).rstrip("/")
    if not path.startswith(_LINKEDIN_CONTENT):
        return None  # settings, help, profiles
    segments = path.split("/")[2:]  # after "/groups", "/feed", "/posts", "/pulse"
    if segments[:1] == ["update"]:
        segments = segments[1:]
    if path.startswith("/groups/") and not any(
        any(c.isdigit() for c in segment) for segment in segments[1:]
    ):
        return None  # the group's home, its members, "all discussions"…
    if not any(segments):
        return None
    query = [
        (key, value)
        for key, value in parse_qsl(parts.query)
        if key.lower() not in _LINKEDIN_TRACKING and not key.lower().startswith("utm_")
    ]
    return urlunsplit(("https", "www.linkedin.com", path, urlencode(query), ""))


# ----------------------------------------------------------------------- HTML


def html_articles(html: str, target: Target) -> list[Article]:
    """Every article of a digest's HTML, in page order."""
    links: dict[str, list[LexborNode]] = {}
    for link in LexborHTMLParser(html).css("a[href]"):
        url = target(link.attributes.get("href") or "")
        if url:
            links.setdefault(url, []).append(link)
    # (url, title, the first link, the link that gives the title)
    anchors: list[tuple[str, str, LexborNode, LexborNode]] = []
    for url, group in links.items():
        for link in group:  # links that are only an icon or a picture give no title
            title = html_to_text(link.html)
            if title:
                anchors.append((url, title, group[0], link))
                break
    nodes = [first for _, _, first, _ in anchors]
    articles: list[Article] = []
    span = 0
    for index, (url, title, first, titled_link) in enumerate(anchors):
        text = _microdata_text(first, url, target)
        region, span = _region(nodes, index, span)
        if text is None:
            text = _region_text(region, titled_link, title)
        articles.append((url, title, text[:_MAX_TEXT]))
    return articles


def _microdata_text(link: LexborNode, url: str, target: Target) -> str | None:
    """Publisher and description of the schema.org article scope around ``link``."""
    node = link.parent
    while node is not None and node.tag not in ("body", "html"):
        attributes = node.attributes
        kind = (attributes.get("itemtype") or "").rstrip("/").rsplit("/", 1)[-1]
        if "itemscope" in attributes and kind in _ARTICLE_TYPES:
            description = node.css_first('[itemprop="description"]')
            if description is None or any(
                target(a.attributes.get("href") or "") not in (None, url)
                for a in node.css("a[href]")
            ):
                return None  # no description, or a scope shared by several articles
            publisher = node.css_first('[itemprop="publisher"] [itemprop="name"]')
            parts = (
                html_to_text(publisher.html) if publisher else "",
                html_to_text(description.html),
            )
            return " ".join(part for part in parts if part)
        node = node.parent
    return None


def _ancestors(node: LexborNode) -> list[LexborNode]:
    chain = []
    current: LexborNode | None = node
    while current is not None:
        chain.append(current)
        current = current.parent
    return chain


def _split(first: LexborNode, second: LexborNode) -> tuple[LexborNode, LexborNode] | None:
    """The two children of the lowest common ancestor that hold ``first`` and ``second``."""
    above = _ancestors(first)
    depth = {node.mem_id: k for k, node in enumerate(above)}
    child = second
    node = second.parent
    while node is not None:
        k = depth.get(node.mem_id)
        if k is not None:
            return (above[k - 1], child) if k > 0 and above[k - 1] != child else None
        child, node = node, node.parent
    return None


def _siblings(
    start: LexborNode, stop: LexborNode | None = None, elements: int | None = None
) -> tuple[list[LexborNode], int]:
    """``start`` and its next siblings, up to ``stop`` or ``elements`` elements."""
    nodes: list[LexborNode] = []
    count = 0
    node: LexborNode | None = start
    while node is not None and (stop is None or node != stop):
        if node.is_element_node:
            if elements is not None and count >= elements:
                break
            count += 1
        nodes.append(node)
        node = node.next
    return nodes, count


def _region(nodes: list[LexborNode], index: int, span: int) -> tuple[list[LexborNode], int]:
    """The nodes of article ``index`` and how many elements they hold (see module doc)."""
    link = nodes[index]
    if index + 1 < len(nodes):
        pair = _split(link, nodes[index + 1])
        if pair is not None:
            return _siblings(pair[0], stop=pair[1])
    elif index > 0 and span:
        pair = _split(nodes[index - 1], link)
        if pair is not None:
            return _siblings(pair[1], elements=span)
    return [_block(link)], 0


def _block(link: LexborNode) -> LexborNode:
    """A lone article: the smallest block around its link that says more than the link."""
    title = html_to_text(link.html)
    node = link.parent
    for _ in range(4):
        if node is None or node.tag in ("body", "html"):
            break
        if len(html_to_text(node.html)) > len(title) + 20:
            return node
        node = node.parent
    return link


def _region_text(region: list[LexborNode], link: LexborNode, title: str) -> str:
    """The text of ``region`` without the article's own link (its title)."""
    markup = "".join(node.html or "" for node in region)
    own = link.html or ""
    if own and own in markup:
        return html_to_text(markup.replace(own, " ", 1))
    text = html_to_text(markup)
    return text.removeprefix(title).strip() if text.startswith(title) else text


# ----------------------------------------------------------------------- text


def text_articles(text: str, target: Target) -> list[Article]:
    """Every article of a text-only digest: the paragraph ending with its URL line."""
    text = _ANGLE_URL.sub(lambda m: "<" + "".join(m.group(1).split()) + ">", text)
    articles: list[Article] = []
    seen: set[str] = set()
    block: list[str] = []
    for raw_line in text.splitlines():
        line = raw_line.strip()
        if not line:
            block = []
            continue
        match = _URL_AT_END.search(line)
        url = target(match.group(1) or match.group(2)) if match else None
        if match is None:
            block.append(line)
            continue
        if url is None:  # "Flag as irrelevant <…>", "Unsubscribe: <…>": no article's text
            block = []
            continue
        before = line[: match.start()].strip()
        if before:
            block.append(before)
        if url not in seen:
            seen.add(url)
            title = block[0] if block else url
            articles.append((url, title, collapse(" ".join(block[1:]))[:_MAX_TEXT]))
        block = []
    return articles
