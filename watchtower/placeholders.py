"""Sources that are still placeholders: not polled, and ``check`` says so.

A newcomer's config is config.example.toml (``watchtower init``), whose sources
point at placeholders: a Google Alerts feed id that is not theirs
(``00000/11111``), ``*.example.fr`` pages and a mailbox at ``imap.example.fr``.
Polling them would send a stranger's server requests for nothing. The same goes
for the domains reserved for documentation (RFC 2606: ``example.com``,
``example.net``, ``example.org``), whose web servers answer any request with
IANA's page. :func:`placeholder` decides, for ``watchtower check``'s warning
(:mod:`watchtower.config_lint`), for the poller (which claims no such source,
:mod:`watchtower.poll_placeholders`) and for ``watchtower status``.

The rule is narrow on purpose: the example's exact values (the same address
however written), and those three domains, judged by the host the fetch would
reach (:mod:`watchtower.adapters.hosts`). The reserved top-level names
(``.example``, ``.test``, ``.invalid``, ``.localhost``) are left alone: no
public name server answers for them, so a fetch stops at this machine's resolver
(or at the address guard, without ``allow_private``) and reaches no one; with
``allow_private`` they name hosts of a local network (and of the test suite).
Another ``example.fr`` address is left alone too: tests and docs use it for
real-looking sources.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import httpx

from watchtower.adapters.hosts import server_host, url_host

if TYPE_CHECKING:
    from watchtower.adapters.base import SourceSettings
    from watchtower.config_models import LoadedConfig

__all__ = [
    "DOCUMENTATION_DOMAINS",
    "EXAMPLE_MAILBOX",
    "EXAMPLE_URLS",
    "Placeholder",
    "mark_placeholders",
    "placeholder",
    "placeholder_fields",
    "placeholder_names",
]

#: The sources of config.example.toml and of the presets' docs (sources/*.toml),
#: which a newcomer may start with unchanged. Exact addresses only: tests and
#: docs use other example.* hosts for real configs. (Kept in step with those
#: files by tests/unit/config/test_newcomer_check.py.)
EXAMPLE_URLS = frozenset(
    {
        "https://www.google.com/alerts/feeds/00000/11111",
        "https://www.example.fr/rss.xml",
        "https://www.example.fr/actualites",
        "https://avis.example.fr/banque-acme-lyon",
        "https://communaute.example.fr",  # discourse, by kind or preset
        "https://forum.example.fr/feed.php",  # the phpbb preset
        "https://forum.example.fr/forums/-/index.rss",  # the xenforo preset
        "https://forum.example.fr/forum/external.php?type=rss2",  # the vbulletin preset
    }
)
#: The example's mailbox: its server and its user (``imap.example.fr`` alone is
#: also the host of many tests of other keys).
EXAMPLE_MAILBOX = ("imap.example.fr", "veille@example.fr")
#: RFC 2606's second-level names reserved for documentation; IANA serves them.
DOCUMENTATION_DOMAINS = ("example.com", "example.net", "example.org")


@dataclass(frozen=True, slots=True)
class Placeholder:
    """Why a source is a placeholder: config.example.toml's own value
    (``example``), or a host of a domain reserved for documentation."""

    host: str
    example: bool


def placeholder(source: SourceSettings) -> Placeholder | None:
    """The placeholder ``source`` still points at, or ``None`` for a real one
    (enabled or not: the caller decides what a paused one means).

    Hosts are read as the fetch would connect to them
    (:mod:`watchtower.adapters.hosts`): ``https://user@EXAMPLE.com.:8443/`` is
    at ``example.com``; an example's URL written with another case, user info,
    its default port, a trailing dot or slash is still the example's."""
    if source.kind == "imap":
        host = server_host(str(getattr(source, "host", "")))
        mailbox = (host, str(getattr(source, "username", "")).casefold())
        if mailbox == EXAMPLE_MAILBOX:
            return Placeholder(host, example=True)
    else:
        address = str(getattr(source, "url", None) or getattr(source, "base_url", None) or "")
        host = url_host(address)
        if _address(address) in _EXAMPLE_ADDRESSES:
            return Placeholder(host, example=True)
    if any(host == d or host.endswith(f".{d}") for d in DOCUMENTATION_DOMAINS):
        return Placeholder(host, example=False)
    return None


def placeholder_fields(source: SourceSettings) -> tuple[object, ...]:
    """What :func:`placeholder` reads of ``source`` (its kind, url, base_url, host,
    username): equal fields, equal verdict (the poller judges a source again
    only when they change)."""
    kind = type(source)
    keys = _READ_KEYS.get(kind)
    if keys is None:  # once a class: asking a model for a key it lacks is slow
        keys = _READ_KEYS[kind] = tuple(k for k in _READ if hasattr(source, k))
    return (kind, source.kind, *(getattr(source, k) for k in keys))


#: The keys :func:`placeholder` reads besides ``kind``, and those each settings class has.
_READ = ("url", "base_url", "host", "username")
_READ_KEYS: dict[type, tuple[str, ...]] = {}


def _address(url: str) -> tuple[str, str, int | None, str] | None:
    """What names the resource ``url`` fetches: scheme, host, port (``None`` for
    the scheme's default), path and query (case and a trailing slash aside, as
    the example's URLs are compared); ``None`` when the client cannot request it."""
    try:
        parsed = httpx.URL(url)
    except (httpx.InvalidURL, ValueError, TypeError):
        return None
    path = parsed.raw_path.decode("ascii", "replace").rstrip("/").casefold()
    return parsed.scheme, url_host(url), parsed.port, path


_EXAMPLE_ADDRESSES = frozenset(_address(url) for url in EXAMPLE_URLS)


def placeholder_names(sources: Iterable[SourceSettings]) -> dict[str, Placeholder]:
    """The enabled placeholder sources of a config, by name: the poller claims none."""
    found = {}
    for source in sources:
        if source.enabled and (held := placeholder(source)) is not None:
            found[source.name] = held
    return found


def mark_placeholders(sources: list[dict[str, Any]], loaded: LoadedConfig | None) -> None:
    """For ``watchtower status``: each source of ``sources`` (its report rows) that
    the config still points at a placeholder gets ``not_polled`` (the host) and no
    next check (none comes until its address is edited)."""
    if loaded is None:
        return
    held = placeholder_names(loaded.sources)
    for row in sources:
        found = held.get(row["name"])
        if found is not None and row.get("state") != "removed":
            row["not_polled"] = found.host
            row["next_check"] = None
