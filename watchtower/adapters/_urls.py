"""What the shared HTTP client may request: a source's URL and each redirect's
``Location``, checked before any connection.

Only http(s) URLs with a host name. A host written as an address is judged
here (:func:`~watchtower.adapters._net.address_refusal`); a name is judged
after resolution, where the connection is made
(:class:`~watchtower.adapters._net.GuardedBackend`).

A URL httpx cannot request (an octal IPv4 host "0177.0.0.1", invalid IDNA, a
bad port, a control character, "http://[::1") is refused as a plain
:class:`PermanentError` (``url_invalid``, or ``redirect_invalid`` when a server
redirected there): httpx raises ``InvalidURL`` for it, which is no
``httpx.HTTPError``, and the adapter crashed. That error never quotes the URL
itself: a redirect's is the server's words, a source's may carry a token.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable
from urllib.parse import SplitResult, urljoin, urlsplit

import httpx

from watchtower.adapters._net import IPNetwork, address_refusal
from watchtower.errors import PermanentError

__all__ = [
    "check_location",
    "check_url",
    "invalid_url",
    "parse_url",
    "reason",
    "redirect_target",
    "redirected",
]

# An error raised on a redirect's hop, rather than on the source's own URL.
_REDIRECTED = {
    "url_address_refused": "redirect_url_refused",
    "host_address_refused": "redirect_host_refused",
    "url_invalid": "redirect_invalid",
}


def check_url(url: str, *, allow_private: bool = False, trusted: Iterable[IPNetwork] = ()) -> None:
    """Refuse, before any connection, non-http(s) URLs, URLs the client cannot
    request and hosts written as refused addresses.

    Names are checked again after resolution, where the connection is made
    (:class:`~watchtower.adapters._net.GuardedBackend`).
    """
    parts, hostname = parse_url(url)
    if parts.scheme not in ("http", "https"):
        raise PermanentError(code="scheme_refused", params={"scheme": parts.scheme or "a"})
    if not hostname:
        raise invalid_url(ValueError("no host name"))
    try:
        address = ipaddress.ip_address(hostname)
    except ValueError:
        return
    refusal = address_refusal(address, allow_private=allow_private, trusted=trusted)
    if refusal is not None:
        shown, problem = refusal
        raise PermanentError(
            code="url_address_refused", params={"url": url, "problem": problem, "address": shown}
        )


def redirect_target(url: str, location: str) -> str:
    """Where a redirect from ``url`` to ``location`` leads; :class:`PermanentError`
    when it is not an http(s) URL the client can request."""
    try:
        target = urljoin(url, location.strip())
    except ValueError as exc:  # "http://[::1": urllib raises on a bad IPv6 host
        raise invalid_url(exc, redirect=True) from None
    parts, hostname = parse_url(target, redirect=True)
    if parts.scheme not in ("http", "https"):
        raise PermanentError(code="scheme_refused", params={"scheme": parts.scheme or "a"})
    if not hostname:
        raise invalid_url(ValueError("no host name"), redirect=True)
    return target


def check_location(response: httpx.Response) -> None:
    """A response hook: refuse a redirect's ``Location`` before httpx reads it.

    httpx builds the next request of every redirect, followed or not, and a
    Location such as ``javascript:alert(1)``, ``mailto:`` or ``data:`` raised
    ``InvalidURL`` (no ``httpx.HTTPError``) there: the adapter crashed.
    """
    location = response.headers.get("location")
    if response.has_redirect_location and location:
        redirect_target(str(response.request.url), location)


def redirected(error: PermanentError) -> PermanentError | None:
    """``error``, raised while following a redirect, as the redirect's own error
    (the same English message; the ops alert says it was a redirect), or ``None``
    when it has none."""
    code = _REDIRECTED.get(error.code or "")
    return None if code is None else PermanentError(code=code, params=error.params)


def parse_url(url: str, *, redirect: bool = False) -> tuple[SplitResult, str | None]:
    """``url`` split, and its host name; :class:`PermanentError` if the client could
    not request it.

    httpx refuses octal IPv4 hosts ("0177.0.0.1"), invalid IDNA ("ⓛⓞⓒⓐⓛⓗⓞⓢⓣ"),
    bad ports and control characters with ``InvalidURL``, which is no
    ``httpx.HTTPError``: left to the request, a source's URL or a redirect's
    ``Location`` would crash the adapter.
    """
    try:
        parts = urlsplit(url)
        hostname = parts.hostname
        if parts.scheme in ("http", "https"):
            httpx.URL(url)
    except (httpx.InvalidURL, ValueError) as exc:
        raise invalid_url(exc, redirect=redirect) from None
    return parts, hostname


def invalid_url(exc: Exception, *, redirect: bool = False) -> PermanentError:
    """A URL the client cannot request, said without the URL itself (a redirect's
    is the server's words, a source's may carry a token)."""
    code = "redirect_invalid" if redirect else "url_invalid"
    return PermanentError(code=code, params={"reason": reason(exc)})


def reason(exc: Exception) -> str:
    """The first line of ``exc``'s text, at most 200 characters: for an English message."""
    text = str(exc) or type(exc).__name__
    return text.split("\n")[0][:200]
