"""Canonical URLs: one spelling per article, whatever link a source handed us.

The same article reaches us as a Google Alerts redirect, a Facebook outlink, an
AMP page and a plain link with ``utm_*`` noise. :func:`canonical_url` rewrites
all of them to one clickable URL; :func:`url_key` goes one step further for
*equality only* (no scheme, no ``www.``, no trailing slash) and is what the
storage layer puts under a unique constraint.

Unwrapping is offline and parameter-based: a redirector whose target is not in
the link itself (a ``feedproxy`` ``~r/…/~3/…`` path, a new-style Google News
``AU_yqL…`` id) is left as it is rather than fetched.

Only absolute http(s) URLs are kept: anything else (``javascript:``, ``data:``,
``mailto:``, a relative or unparsable link, a host that is neither ASCII nor
valid IDNA once its bidi controls are dropped) becomes ``""``, which every
notifier shows as "no link". A feed decides what its links say, not what they
do when clicked.
"""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Callable, Iterable
from functools import lru_cache
from urllib.parse import parse_qsl, quote, unquote_plus, urlencode, urlsplit, urlunsplit

from watchtower.sanitise import BIDI_CONTROLS

__all__ = ["DEFAULT_TRACKING_PARAMS", "canonical_key", "canonical_url", "url_key"]

#: Query parameters that only say how a reader arrived. Names are compared
#: case-insensitively; a trailing ``*`` is a prefix (``utm_*``). Config adds to
#: this list through ``extra_tracking``. Generic names (``source``, ``cid``,
#: ``share``) are left out on purpose: on some sites they select the article,
#: and dropping them would merge different stories.
DEFAULT_TRACKING_PARAMS: tuple[str, ...] = (
    "utm_*", "pk_*", "mtm_*", "hsa_*",  # Google Analytics, Matomo, HubSpot families
    "fbclid", "gclid", "dclid", "gbraid", "wbraid", "msclkid", "yclid", "twclid", "ttclid",
    "igshid", "igsh", "mc_cid", "mc_eid", "_hsenc", "_hsmi", "mkt_tok", "li_fat_id",
    "ref", "ref_src", "ref_url", "referrer", "cmpid", "xtor", "at_medium", "at_campaign",
    "ncid", "ocid",
    "s_cid", "sr_share", "spm", "guccounter", "guce_referrer", "guce_referrer_sig",
    "oly_enc_id", "oly_anon_id", "vero_id", "wickedid", "rb_clickid", "_ga", "_gl",
    "__twitter_impression", "ito", "ns_mchannel", "ns_source", "ns_campaign", "ns_linkname",
    "smid", "wt_mc", "wt_zmc",  # Webtrekk (heise, …)
)  # fmt: skip

_MAX_UNWRAP = 5  # redirect chains nest (Facebook → Google → site); bound the loop
_DEFAULT_PORTS = {"http": 80, "https": 443}
_UNRESERVED_ESCAPE = re.compile(r"%([0-9A-Fa-f]{2})")
_PATH_SAFE = "/%:@!$&'()*+,;=-._~"
# What a host may hold once IDNA-encoded: a name, an IPv4 or (unbracketed) IPv6
# address, an IPv6 zone ("%25eth0"). No space, control, quote or bracket.
_HOST = re.compile(r"[a-z0-9._~%!$&'()*+,;=:-]+")
_NO_BIDI = str.maketrans(dict.fromkeys(BIDI_CONTROLS))
_GOOGLE_HOST = re.compile(r"^(?:www\.)?google\.[a-z]{2,3}(?:\.[a-z]{2})?$")

# host → (path predicate, parameters that carry the target, in order of trust)
_REDIRECTORS: dict[str, tuple[Callable[[str], bool], tuple[str, ...]]] = {
    "news.google.com": (lambda p: True, ("url",)),
    "feedproxy.google.com": (lambda p: True, ("url",)),
    "l.facebook.com": (lambda p: p.startswith("/l.php"), ("u",)),
    "lm.facebook.com": (lambda p: p.startswith("/l.php"), ("u",)),
    "m.facebook.com": (lambda p: p.startswith("/l.php"), ("u",)),
    "www.facebook.com": (lambda p: p.startswith("/l.php"), ("u",)),
    "www.bing.com": (lambda p: p.startswith("/news/apiclick"), ("url",)),
    "bing.com": (lambda p: p.startswith("/news/apiclick"), ("url",)),
    "out.reddit.com": (lambda p: True, ("url",)),
    "www.linkedin.com": (lambda p: p.startswith("/redir/"), ("url",)),
    "www.youtube.com": (lambda p: p.startswith("/redirect"), ("q",)),
    "slack-redir.net": (lambda p: p.startswith("/link"), ("url",)),
    "t.umblr.com": (lambda p: p.startswith("/redirect"), ("z",)),
}


def canonical_url(url: str, extra_tracking: Iterable[str] = ()) -> str:
    """The one clickable spelling of ``url``.

    Unwraps known redirectors by their parameters, lower-cases scheme and
    host, drops default ports, a fragment holding "=", tracking parameters
    (:data:`DEFAULT_TRACKING_PARAMS` plus ``extra_tracking``) and AMP variants
    (``amp.`` hosts, the AMP cache, ``/amp`` paths, ``?amp``), normalises
    percent-escapes and sorts the remaining query parameters. A value that is
    not an absolute http(s) URL with a valid host comes back as ``""``.
    """
    url = url.strip()
    plain = _PLAIN.fullmatch(url)
    if plain is not None:
        scheme, host, path = plain.groups()
        if not _may_rewrite_host(host):
            return f"{scheme}://{host}{_strip_amp_path(path or '') or '/'}"
    return _canonical(url, extra_tracking)


def _canonical(url: str, extra_tracking: Iterable[str]) -> str:
    """:func:`canonical_url` of a stripped ``url``, step by step."""
    is_tracking = _tracking_predicate(tuple(extra_tracking))
    for _ in range(_MAX_UNWRAP):
        target = _unwrap(url)
        if target is None:
            break
        url = target
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:  # "http://[bad" or a non-numeric port
        return ""
    scheme = parts.scheme.lower()
    if scheme not in _DEFAULT_PORTS or not parts.hostname:
        return ""
    host = _normalise_host(parts.hostname)
    if host is None:
        return ""
    path = _normalise_path(parts.path)
    if host.startswith("amp.") and host.count(".") >= 2:
        host = host[4:]
    path = _strip_amp_path(path)
    query = _query(parts.query, is_tracking)
    if ":" in host:  # an IPv6 address
        host = f"[{host}]"
    netloc = host if port in (None, _DEFAULT_PORTS[scheme]) else f"{host}:{port}"
    # A plain anchor ("#p12857": phpBB's post in its topic) is where the reader
    # goes; one with "=" is tracking ("#xtor=RSS-1"). The key ignores both.
    fragment = parts.fragment if "=" not in parts.fragment else ""
    # User info is dropped: in an item's link it is a lure
    # ("https://www.acme.fr@evil.example/" goes to evil.example), or a
    # password that must not reach a Slack channel.
    return urlunsplit((scheme, netloc, path or "/", query, quote(fragment, safe=_SAFE)))


_SAFE = "/:@!$'()*,;-._~"
# Most links: lower-case http(s), a plain lower-case host name, a path of
# unreserved characters, no port, user, query or fragment. Every step of
# canonical_url leaves such a link as it is, except the AMP path rule and
# the hosts below, so it skips them.
_PLAIN = re.compile(r"(https?)://([a-z0-9-]+(?:\.[a-z0-9-]+)+)(/[A-Za-z0-9._~/-]*)?")


def _may_rewrite_host(host: str) -> bool:
    """A redirector, Google, the AMP cache or an ``amp.`` host: the full path decides."""
    return (
        host in _REDIRECTORS
        or host.startswith("amp.")
        or host.endswith(".cdn.ampproject.org")
        or _GOOGLE_HOST.match(host) is not None
    )


def _query(query: str, is_tracking: Callable[[str], bool]) -> str:
    """``query`` without tracking or AMP parameters: segments without "=" (a
    path in the query: vBulletin's ``?812-garage-dupont``, Invision's
    ``?/topic/123/``) first, in their order and without an "=" added; then the
    ``name=value`` pairs, sorted."""
    bare: list[str] = []
    pairs: list[tuple[str, str]] = []
    for segment in query.split("&"):
        if not segment:
            continue
        name, eq, value = segment.partition("=")
        name, value = unquote_plus(name), unquote_plus(value)
        if is_tracking(name) or _is_amp_param(name, value):
            continue
        if eq:
            pairs.append((name, value))
        else:
            bare.append(quote(name, safe=_SAFE))
    return "&".join([*bare, urlencode(sorted(pairs), quote_via=quote, safe=_SAFE)]).strip("&")


def url_key(url: str, extra_tracking: Iterable[str] = ()) -> str:
    """An equality key: the canonical URL without scheme, ``www.`` and trailing slash.

    ``http`` and ``https``, ``www.acme.fr`` and ``acme.fr``, ``/a/`` and ``/a``
    name the same article in practice; the key is for unique constraints and
    lookups, never for display.
    """
    return canonical_key(canonical_url(url, extra_tracking))


def canonical_key(canon: str) -> str:
    """:func:`url_key` of a URL already passed through :func:`canonical_url`."""
    plain = _PLAIN.fullmatch(canon)
    if plain is not None:
        _, host, path = plain.groups()
        path = path or ""
        return host.removeprefix("www.") + (path.rstrip("/") if path != "/" else "")
    return _key(canon)


def _key(canon: str) -> str:
    """:func:`canonical_key`, step by step."""
    parts = urlsplit(canon)
    if parts.scheme not in _DEFAULT_PORTS or not parts.netloc:
        return canon
    netloc = parts.netloc.removeprefix("www.")
    path = parts.path.rstrip("/") if parts.path != "/" else ""
    return f"{netloc}{path}" + (f"?{parts.query}" if parts.query else "")


@lru_cache(maxsize=32)
def _tracking_predicate(extra: tuple[str, ...]) -> Callable[[str], bool]:
    names = [n.strip().lower() for n in (*DEFAULT_TRACKING_PARAMS, *extra) if n.strip()]
    exact = frozenset(n for n in names if not n.endswith("*"))
    prefixes = tuple(n[:-1] for n in names if n.endswith("*"))

    def is_tracking(name: str) -> bool:
        low = name.lower()
        return low in exact or low.startswith(prefixes)

    return is_tracking


def _unwrap(url: str) -> str | None:
    """The target of one redirect hop, or ``None`` when ``url`` is not a redirector."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return None
    host = (parts.hostname or "").lower()
    if _GOOGLE_HOST.match(host):
        if parts.path == "/url":
            params = dict(parse_qsl(parts.query, keep_blank_values=True))
            return _first_http(params.get("url"), params.get("q"))
        if parts.path.startswith("/amp/"):  # google.com/amp/s/www.site.fr/article
            return _amp_cache_target(parts.path[len("/amp/") :], parts.query)
    if host.endswith(".cdn.ampproject.org") and parts.path[:3] in ("/c/", "/v/"):
        return _amp_cache_target(parts.path[3:], parts.query)
    rule = _REDIRECTORS.get(host)
    if rule is None or not rule[0](parts.path):
        return None  # most links: their query is never parsed here
    params = dict(parse_qsl(parts.query, keep_blank_values=True))
    target = _first_http(*(params.get(name) for name in rule[1]))
    if target is None and host == "news.google.com":
        target = _google_news_target(parts.path)
    return target


def _first_http(*candidates: str | None) -> str | None:
    for value in candidates:
        if value and value.strip().lower().startswith(("http://", "https://")):
            value = value.strip()
            if urlsplit(value).hostname:
                return value
    return None


def _amp_cache_target(rest: str, query: str) -> str | None:
    """``s/www.site.fr/a`` → ``https://www.site.fr/a`` (``s/`` marks https)."""
    scheme = "http"
    if rest.startswith("s/"):
        scheme, rest = "https", rest[2:]
    host, _, path = rest.partition("/")
    if "." not in host:
        return None
    return f"{scheme}://{host}/{path}" + (f"?{query}" if query else "")


def _google_news_target(path: str) -> str | None:
    """Decode an old-style ``/articles/CBMi…`` id, whose protobuf holds the URL.

    Field 4 (tag byte 0x22) is the article URL as a length-prefixed string. New
    ids carry an opaque token instead and need a network call; we return ``None``.
    """
    segment = path.rstrip("/").rsplit("/", 1)[-1]
    if not segment or "articles" not in path:
        return None
    try:
        raw = base64.urlsafe_b64decode(segment + "=" * (-len(segment) % 4))
    except (binascii.Error, ValueError):
        return None
    for i, byte in enumerate(raw):
        if byte != 0x22:
            continue
        length, j = _varint(raw, i + 1)
        blob = raw[j : j + length]
        if length and len(blob) == length and blob.startswith((b"http://", b"https://")):
            try:
                return _first_http(blob.decode("ascii"))
            except UnicodeDecodeError:
                return None
    return None


def _varint(data: bytes, pos: int) -> tuple[int, int]:
    value = shift = 0
    while pos < len(data) and shift < 35:
        byte = data[pos]
        value |= (byte & 0x7F) << shift
        pos += 1
        if not byte & 0x80:
            break
        shift += 7
    return value, pos


def _normalise_host(host: str) -> str | None:
    """The lower-case ASCII host, IDNA-encoded; ``None`` when it cannot be one.

    Bidi controls are dropped first: ``\u202erf.acme-banque.evil.example`` is
    shown as the host it really is, never in an order that reads as another
    site. A host still neither ASCII nor valid IDNA (a control character) would
    be shown as written: it is no host.
    """
    host = host.translate(_NO_BIDI).lower().rstrip(".")
    if not host.isascii():
        try:
            host = host.encode("idna").decode("ascii")
        except UnicodeError:
            return None
    return host if _HOST.fullmatch(host) else None


def _normalise_path(path: str) -> str:
    """Uppercase percent-escapes, decode the unreserved ones, escape raw non-ASCII."""

    def fix(m: re.Match[str]) -> str:
        char = chr(int(m.group(1), 16))
        return char if char.isascii() and (char.isalnum() or char in "-._~") else m.group().upper()

    return _UNRESERVED_ESCAPE.sub(fix, quote(path, safe=_PATH_SAFE))


def _strip_amp_path(path: str) -> str:
    if path.endswith(".amp.html"):
        return path[: -len(".amp.html")] + ".html"
    trailing_slash = path.endswith("/")
    segments = [s for s in path.split("/") if s]
    if len(segments) > 1 and segments[-1].lower() == "amp":
        segments.pop()
    elif len(segments) > 1 and segments[0].lower() == "amp":
        segments.pop(0)
    else:
        return path
    return "/" + "/".join(segments) + ("/" if trailing_slash else "")


def _is_amp_param(name: str, value: str) -> bool:
    low = name.lower()
    if low in ("amp", "_amp", "amp_js_v", "usqp"):
        return True
    return low == "outputtype" and value.lower() == "amp"
