"""The host a source's address leads to, as the connection reads it.

A URL source is fetched by the shared httpx client (:mod:`watchtower.adapters._http`),
which connects to the URL's host as httpx parses it: user info and port left
out, lower case, IDNA-encoded, an ideographic full stop (``example。com``) read
as a dot. A mailbox's server name goes to ``socket.getaddrinfo``
(:mod:`watchtower.adapters._imap_connect`), which IDNA-encodes a name that is
not ASCII (2003 rules: ``ｅｘａｍｐｌｅ.com`` is ``example.com``). A trailing dot
(``example.com.``) names the same host to the resolver.

Whoever judges a source by its host (:mod:`watchtower.placeholders`) reads it
here, so that it judges the host the fetch would reach, not the text as typed.
"""

from __future__ import annotations

import httpx

__all__ = ["server_host", "url_host"]


def url_host(url: str) -> str:
    """The host a fetch of ``url`` connects to: ASCII (an IDNA name as
    ``xn--…``), lower case, without a trailing dot; an IPv6 address without its
    brackets. ``""`` when the client could not request ``url`` (the fetch then
    says what is wrong with it)."""
    try:
        host = httpx.URL(url).raw_host
    except (httpx.InvalidURL, ValueError, TypeError):
        return ""
    return _bare(host.decode("ascii", "replace"))


def server_host(name: str) -> str:
    """The host a connection to the server ``name`` (a mailbox's ``host``)
    resolves, in the same form as :func:`url_host`; ``""`` when it cannot be
    encoded (the resolver refuses it too)."""
    if name.isascii():
        return _bare(name)
    try:
        return _bare(name.encode("idna").decode("ascii"))
    except UnicodeError:
        return ""


def _bare(host: str) -> str:
    return host.lower().rstrip(".")
