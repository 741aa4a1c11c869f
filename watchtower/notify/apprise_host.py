"""Which host an Apprise URL's service is reached at, and how long its lookup may take.

Apprise (through requests) looks the service's name up in the drain thread with
no bound; :class:`~watchtower.notify.apprise.AppriseNotifier` looks it up first
within the plugin's connect timeout (:func:`watchtower.notify.lookups.precheck`),
so one service whose name server is dead holds neither the other Apprise
targets nor the drain. A name that answered is not looked up first again for a
minute (:mod:`watchtower.notify.lookup_cache`).

The host is the URL's own when the service takes one (``mmost://mm.corp.local/…``,
``json://…``, ``workflows://….logic.azure.com/…``, ``ntfy://ntfy.corp.local/…``:
the plugin's template names a ``host``), else the one of the fixed API address
the plugin declares (Telegram's ``api.telegram.org``, Discord's ``discord.com``,
ntfy's ``ntfy.sh``): the part of such a URL where a host would be is a token
(``tgram://BOT_TOKEN/…``), never sent to a name server. A plugin that declares
neither is not looked up first (:func:`service_host` is ``None``).
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

__all__ = ["DEFAULT_CONNECT_TIMEOUT", "connect_timeout", "service_host"]

#: Apprise's own default connect timeout (``cto=``), in seconds.
DEFAULT_CONNECT_TIMEOUT = 4.0
#: Plugin attributes holding a fixed API address (ntfy's when no host is given).
_FIXED_URLS = ("notify_url", "cloud_notify_url")


def service_host(plugin: Any) -> tuple[str, int] | None:
    """``(host, port)`` the plugin connects to, or ``None`` when it does not say."""
    host = getattr(plugin, "host", None)
    takes_host = "host" in (getattr(plugin, "template_tokens", None) or {})
    if takes_host and isinstance(host, str) and host:
        secure = bool(getattr(plugin, "secure", False))
        port = getattr(plugin, "port", None)
        return host, int(port) if isinstance(port, int) and port else (443 if secure else 80)
    for attribute in _FIXED_URLS:
        url = getattr(plugin, attribute, None)
        if isinstance(url, str) and url.startswith(("https://", "http://")):
            parts = urlsplit(url)
            if parts.hostname:
                return parts.hostname, parts.port or (443 if parts.scheme == "https" else 80)
    return None


def connect_timeout(plugin: Any) -> float:
    """The plugin's connect timeout (``cto=`` in its URL), in seconds."""
    value = getattr(plugin, "socket_connect_timeout", None)
    if isinstance(value, int | float) and not isinstance(value, bool) and value > 0:
        return float(value)
    return DEFAULT_CONNECT_TIMEOUT
