"""Hide secrets embedded in targets and URLs before they reach logs, metrics,
``status`` or an ops notice.

Slack channels and e-mail addresses are not secret, but Apprise URLs carry
tokens in every position (``tgram://BOT_TOKEN/CHAT``, ``json://user:pass@host``),
so an ``apprise:`` target is shown as the host part of Apprise's own privacy URL
(tokens cut to their first and last character) with the path and query replaced
by ``…``, or only its scheme when Apprise cannot parse it.

:func:`redact_text` is what every error message (and every log line, traceback
included) passes through before it is stored, logged or shown. Besides Apprise
targets it hides URL passwords, query parameters named as secrets (``?token=``,
``&api_key=``, ``X-Amz-Signature``) and the ids of a Google Alerts feed URL,
which reads the alert without a login. Since those messages quote remote
servers, it also removes terminal and bidi controls
(:func:`watchtower.sanitise.printable`).
"""

from __future__ import annotations

import re
from functools import lru_cache

from watchtower.sanitise import printable

__all__ = ["redact_target", "redact_text"]

# An apprise target inside free text: stops at whitespace, quotes and brackets.
_APPRISE_IN_TEXT = re.compile(r"apprise:[^\s\"'<>\])]+")
# A password in a URL (``https://user:password@host/``), e.g. a source's feed URL,
# up to the last "@" of the authority as urllib splits it (a raw "@" in a password).
# Schemes of at most 32 characters: unbounded, "a.a.a.…://" cost quadratic time.
_URL_PASSWORD = re.compile(r"(\b[a-zA-Z][a-zA-Z0-9+.-]{0,31}://[^/\s:@]*):[^\s/?#]*@")
# A query parameter named as a secret: ?token=, &api_key=, access_token, X-Amz-Signature…
_QUERY_SECRET = re.compile(
    r"([?&;][\w.-]*(?:token|key|secret|password|passwd|pwd|sig|signature)=)[^&#\s\"'<>]+",
    re.IGNORECASE,
)
# A Google Alerts feed: /alerts/feeds/USER_ID/ALERT_ID reads the alert without a login.
_GOOGLE_ALERTS = re.compile(r"(\bgoogle\.[a-z.]+/alerts/feeds/)\d+/\d+")
# An OAuth bearer token: an Authorization header, IMAP XOAUTH2's "auth=Bearer <token>",
# and the secrets of a token request's form ("client_secret=…&refresh_token=…").
# Only a token-like word after "Bearer" (RFC 6750's b64token, 16 characters or more):
# "the bearer of bad news" in a title is left alone.
_BEARER = re.compile(r"(\b[Bb]earer\s+)[A-Za-z0-9\-._~+/]{16,}=*")
_FORM_SECRET = re.compile(
    r"(\b(?:client_secret|refresh_token|access_token|id_token)=)[^&\s\"'<>]+"
    r"|(\"(?:client_secret|refresh_token|access_token|id_token)\"\s*:\s*\")[^\"]+",
    re.IGNORECASE,
)


@lru_cache(maxsize=256)
def redact_target(target: str) -> str:
    """``"apprise:json://u:pw@host/"`` → ``"apprise:json://u:****@host/"``; others unchanged."""
    kind, sep, address = target.partition(":")
    if not sep or kind != "apprise":
        return target
    scheme = address.split("://", 1)[0] if "://" in address else "?"
    try:
        import apprise

        plugin = apprise.Apprise.instantiate(address, suppress_exceptions=True)
    except Exception:  # never let redaction itself raise from a logging call
        plugin = None
    if not plugin:
        return f"apprise:{scheme}://…"
    private = str(plugin.url(privacy=True)).split("?", 1)[0]  # type: ignore[no-untyped-call]
    # Keep only where it goes: paths often hold webhook tokens Apprise does not mask.
    head, _, path = private.partition("://")[2].partition("/")
    return f"apprise:{scheme}://{head}/" + ("…" if path.strip("/") else "")


def redact_text(text: str) -> str:
    """Redact every ``apprise:…`` target, every password in a URL, query parameters
    named as secrets (``?token=``, ``&api_key=``), Google Alerts feed ids, OAuth bearer
    tokens and a token request's secrets in ``text``;
    remove its control characters but line breaks and tabs (see :mod:`watchtower.sanitise`)."""
    text = printable(text)
    if "apprise:" in text:
        text = _APPRISE_IN_TEXT.sub(lambda m: redact_target(m.group(0)), text)
    if "://" in text:
        if "@" in text:
            text = _URL_PASSWORD.sub(r"\1:***@", text)
        if "=" in text:
            text = _QUERY_SECRET.sub(r"\1***", text)
        if "/alerts/feeds/" in text:
            text = _GOOGLE_ALERTS.sub(r"\1…", text)
    if "earer" in text:
        text = _BEARER.sub(r"\1***", text)
    if "_token" in text or "_secret" in text:
        text = _FORM_SECRET.sub(lambda m: (m.group(1) or m.group(2)) + "***", text)
    return text
