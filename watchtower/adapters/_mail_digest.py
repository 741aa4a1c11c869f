"""Digest e-mails split into articles: Google Alerts and LinkedIn group digests.

An article is a link whose target a *target* function accepts (a Google
``/url?…&url=TARGET`` redirect, a LinkedIn discussion), once a mail gateway's
rewriting (Microsoft Safe Links, Proofpoint URL Defense) is undone by
:func:`~watchtower.adapters._link_wrappers.unwrap_link`; links to the same
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

Who wrote an article is what the digest says, never its sender ("LinkedIn",
"Google Alerts" wrote nothing):

* a LinkedIn discussion: the member who started it, named by the one profile
  link (``/in/…``) of the article's own region, else by the "Marie D. · …"
  that starts its text;
* a Google Alerts article: the publication (schema.org ``publisher``, the grey
  ``<font>`` of the classic layout, the line under the title in the text part).

When the digest does not say, or names several people, the author is empty.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from selectolax.lexbor import LexborHTMLParser, LexborNode

from watchtower.adapters._link_wrappers import unwrap_link
from watchtower.adapters._text import collapse, html_to_text
from watchtower.adapters.google_alerts import unwrap_google_url

__all__ = [
    "GOOGLE_ALERTS",
    "LINKEDIN",
    "Article",
    "Digest",
    "Target",
    "clean_linkedin_url",
    "google_target",
    "html_articles",
    "text_articles",
]

#: ``(url, title, text, author)`` of one article; ``author`` is ``None`` when unknown.
Article = tuple[str, str, str, "str | None"]
#: The article URL a link points to, or ``None`` for any other link.
Target = Callable[[str], "str | None"]


@dataclass(frozen=True)
class Digest:
    """How one sender's digests link their articles (``target``) and who wrote
    them: a ``"member"`` of a group, or a ``"publication"``."""

    target: Target
    byline: Literal["member", "publication"]


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
    redirected or not ("Voir plus de résultats" to a search, the alert's settings).
    A redirect wrapped by a mail gateway (Safe Links, URL Defense) is unwrapped first."""
    href = unwrap_link(href)
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
    URL; other parameters are kept. A link wrapped by a mail gateway (Safe
    Links, URL Defense) is unwrapped first.
    """
    parts = urlsplit(unwrap_link(href))
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


GOOGLE_ALERTS = Digest(google_target, "publication")
LINKEDIN = Digest(clean_linkedin_url, "member")

#: A member's name: letters, spaces, dots, hyphens, apostrophes; no digits or URL.
_NAME = re.compile(r"[^\W\d_][^\d@/:|·—–<>()\[\]{}\n]{0,58}")
#: "Marie D. · Conseillère clientèle — …": the name before the first " · ".
_NAME_FIRST = re.compile(r"\s*(" + _NAME.pattern + r"?)\s+·\s")
_MAX_NAME_WORDS = 5
_MAX_PUBLICATION = 80
_MAX_PUBLICATION_LINE = 50
_SENTENCE_END = (".", ",", ";", ":", "…", "!", "?")


def _name(text: str) -> str | None:
    """``text`` if it reads as a person's name, else ``None``."""
    text = collapse(text)
    if _NAME.fullmatch(text) and len(text.split()) <= _MAX_NAME_WORDS:
        return text
    return None


def _publication(text: str) -> str | None:
    """``text`` as a publication's name; a bare address ("www.example.fr/page",
    the classic layout's web results) gives its site."""
    text = collapse(text)
    if text and " " not in text and "/" in text and "://" not in text:
        text = text.split("/", 1)[0]
    return text if 0 < len(text) <= _MAX_PUBLICATION and "://" not in text else None


def _publication_line(line: str) -> str | None:
    """The line under a text alert's title, when it reads as a publication's name
    ("Le Parisien") and not as the start of a wrapped snippet (a web result has
    no publication line: its snippet comes right under the title)."""
    line = collapse(line)
    short = len(line) <= _MAX_PUBLICATION_LINE and len(line.split()) <= _MAX_NAME_WORDS + 1
    return _publication(line) if short and not line.endswith(_SENTENCE_END) else None


def _is_profile(href: str) -> bool:
    """A link to a LinkedIn member's profile (``/in/…``, tracked or wrapped or not)."""
    parts = urlsplit(unwrap_link(href))
    host = (parts.hostname or "").lower()
    linkedin = host == "linkedin.com" or host.endswith(".linkedin.com")
    return linkedin and parts.path.removeprefix("/comm").startswith("/in/")


def _member(region: list[LexborNode], text: str) -> str | None:
    """The member named by the region's profile links (only when they name one
    person), else by the name that starts its text."""
    links = [
        link
        for node in region
        if node.is_element_node
        for link in ([node] if node.tag == "a" else []) + list(node.css("a[href]"))
    ]
    names = {
        name
        for link in links
        if _is_profile(link.attributes.get("href") or "")
        and (name := _name(html_to_text(link.html)))
    }
    if names:
        return names.pop() if len(names) == 1 else None
    return _member_in_text(text)


def _member_in_text(text: str) -> str | None:
    found = _NAME_FIRST.match(text)
    return _name(found.group(1)) if found else None


def _grey_publication(region: list[LexborNode]) -> str | None:
    """The classic Google layout's source: the first ``<font color=…>`` of the region."""
    for node in region:
        if not node.is_element_node:
            continue
        fonts = ([node] if node.tag == "font" else []) + list(node.css("font"))
        for font in fonts:
            if font.attributes.get("color"):
                return _publication(html_to_text(font.html))
    return None


# ----------------------------------------------------------------------- HTML


def html_articles(html: str, digest: Digest) -> list[Article]:
    """Every article of a digest's HTML, in page order."""
    target = digest.target
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
        micro = _microdata(first, url, target)
        region, span = _region(nodes, index, span)
        if micro is not None:
            text, publisher = micro
        else:
            text = _region_text(region, titled_link, title)
            publisher = _grey_publication(region) if digest.byline == "publication" else None
        author = _member(region, text) if digest.byline == "member" else publisher
        articles.append((url, title, text[:_MAX_TEXT], author))
    return articles


def _microdata(link: LexborNode, url: str, target: Target) -> tuple[str, str | None] | None:
    """The text (publisher and description) and the publisher of the schema.org
    article scope around ``link``."""
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
            name = html_to_text(publisher.html) if publisher else ""
            parts = (name, html_to_text(description.html))
            return " ".join(part for part in parts if part), _publication(name)
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


def text_articles(text: str, digest: Digest) -> list[Article]:
    """Every article of a text-only digest: the paragraph ending with its URL line
    (title, for Google the publication, then the snippet)."""
    target = digest.target
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
            snippet = collapse(" ".join(block[1:]))
            if digest.byline == "member":
                author = _member_in_text(snippet)
            else:  # title, publication, snippet: a line under the title alone says nothing
                author = _publication_line(block[1]) if len(block) >= 3 else None
            articles.append((url, title, snippet[:_MAX_TEXT], author))
        block = []
    return articles
