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
which reads the alert without a login. Webhook URLs carry their secret in the
path, so the path is cut after its known prefix (``hooks.slack.com/services/…``,
``discord.com/api/webhooks/…``, ``…/webhookb2/…``, ``…/hooks/…``, a Telegram
``/bot<TOKEN>``, ntfy.sh topics), and any other path segment that looks like a
token (20 characters or more of ``[A-Za-z0-9_-]``, letters and digits, a run of
16 without ``-`` or ``_``: not an article slug nor a UUID) becomes ``…``.
Slack, Telegram and ntfy tokens are hidden outside URLs too, and so are the
credentials a server quotes back when it refuses a login: the SASL line after
``AUTH PLAIN`` / ``AUTHENTICATE XOAUTH2`` (or such a credential alone, known by
what its base64 decodes to), an IMAP ``LOGIN``'s password after its command tag,
an ``Authorization`` header's value. The secret values watchtower itself
read from the environment are hidden wherever they appear, whatever their
surroundings (:mod:`watchtower.secret_values`). Since those messages quote remote
servers, it also removes terminal and bidi controls
(:func:`watchtower.sanitise.printable`). Redacting a redacted text changes
nothing: an error stored redacted is redacted again when shown (rows written
before redaction moved to the write stay safe to show).

Redaction never logs: Apprise's complaints about a URL it is asked to parse
here are dropped (only in the redacting thread), and ``apprise:`` followed by
no ``scheme://`` (prose such as "use 'apprise:…'") is left as written.
"""

from __future__ import annotations

import base64
import logging
import re
import threading
from functools import lru_cache

from watchtower.sanitise import printable
from watchtower.secret_values import hide

__all__ = ["redact_target", "redact_text"]

# An apprise target inside free text: stops at whitespace, quotes and brackets.
_APPRISE_IN_TEXT = re.compile(r"apprise:[^\s\"'<>\])]+")
# A URL scheme; at most 32 characters, so a scan from every "a." stays linear.
_SCHEME = r"\b[a-zA-Z][a-zA-Z0-9+.-]{0,31}://"
_STARTS_WITH_SCHEME = re.compile(r"[a-zA-Z][a-zA-Z0-9+.-]{0,31}://")
# A URL's authority and path (the query and fragment have their own rules).
_URL_PATH = re.compile(f"({_SCHEME})" + r"([^/\s\"'<>?#]*)(/[^\s\"'<>?#]*)")
# A password in a URL (``https://user:password@host/``), e.g. a source's feed URL,
# up to the last "@" of the authority as urllib splits it (a raw "@" in a password).
# Schemes of at most 32 characters: unbounded, "a.a.a.…://" cost quadratic time.
_URL_PASSWORD = re.compile(r"(\b[a-zA-Z][a-zA-Z0-9+.-]{0,31}://[^/\s:@]*):[^\s/?#]*@")
# A URL's user name that is a token ("https://ghp_…@host/"), or any user name
# with an empty password ("https://sk_live_…:@host/": the key is the user name).
_URL_USER = re.compile(r"(\b[a-zA-Z][a-zA-Z0-9+.-]{0,31}://)([^/\s:@]+)(:?)@")
# A query parameter named as a secret: ?token=, &api_key=, access_token, X-Amz-Signature…
_QUERY_SECRET = re.compile(
    # The value stops before punctuation that ends the sentence around the URL
    # ("…?token=***: refused"), which is not part of it.
    r"([?&;](?:[\w.-]*(?:token|key|secret|password|passwd|passphrase|pwd|sig|signature|auth)|pass)=)"
    # (linear: a run of punctuation is taken only when the value goes on after it).
    r"(?:[^&#\s\"'<>:,.;)]|[:,.;)]+(?=[^&#\s\"'<>:,.;)]))+",
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
# Credentials a server quoted back in its refusal (an SMTP or IMAP server echoing
# the command): SASL's initial response after AUTH / AUTHENTICATE, the password
# of an IMAP LOGIN after its command tag (a word with a digit: "a001 LOGIN user
# pass"; "LOGIN command error" is imaplib's prose), an Authorization header's
# value whatever its scheme (Basic is base64 of "user:password").
_SASL_ECHO = re.compile(
    r"(\bAUTH(?:ENTICATE)?\s+(?:PLAIN|LOGIN|XOAUTH2|OAUTHBEARER|CRAM-MD5"
    r"|SCRAM-SHA-\d+(?:-PLUS)?)\s+)([A-Za-z0-9+/]+=*)",
    re.IGNORECASE,
)
_IMAP_LOGIN = re.compile(
    r"(\b(?=[A-Za-z.]{0,15}\d)[A-Za-z0-9.]{1,16}\s+LOGIN\s+(?:\"(?:[^\"\\]|\\.)*\"|[^\s\"]+)\s+)"
    r"(?:\"(?:[^\"\\]|\\.)*\"|[^\s'\"\])]+)"
)
_AUTH_HEADER = re.compile(
    r"(\b(?:Proxy-)?Authorization['\"]?\s*[:=]\s*['\"]?"
    r"(?:(?:Basic|Bearer|Token|Digest|Negotiate|NTLM|ApiKey|Key)\s+)?)[^\s'\",;]+",
    re.IGNORECASE,
)
# SASL credentials quoted without their command: a base64 word that decodes to
# PLAIN's "authzid NUL user NUL password" or XOAUTH2 / OAUTHBEARER's "…^Aauth=…".
_BASE64_WORD = re.compile(r"(?<![A-Za-z0-9+/=])[A-Za-z0-9+/]{12,}={0,2}(?![A-Za-z0-9+/=])")
_SASL_PLAIN = re.compile(rb"[^\x00]*\x00[^\x00]+\x00[^\x00]+")
# Webhook URLs whose path after the prefix is the secret: (host, path prefix).
_WEBHOOK_PATHS = [
    (re.compile(r"hooks\.slack\.com"), re.compile(r"/[^/]+/")),  # /services/, /triggers/…
    (
        re.compile(r"(?:ptb\.|canary\.)?discord(?:app)?\.com"),
        re.compile(r"/api/(?:v\d+/)?webhooks/"),
    ),
    (re.compile(r"maker\.ifttt\.com"), re.compile(r"/trigger/[^/]+/(?:json/)?with/key/")),
    (re.compile(r"ntfy\.sh"), re.compile(r"/")),  # a topic on the public server reads it
    # Any host: Mattermost, Rocket.Chat, Zapier (/hooks/), n8n (/webhook/), Teams (/webhookb2/).
    (
        re.compile(r".*"),
        re.compile(r"(?:/[^/]+)*?/(?:hooks|webhooks?|webhookb2|IncomingWebhook)/", re.I),
    ),
]
# A Telegram bot token in a path: api.telegram.org/bot123456:AAH…/sendMessage.
_TELEGRAM_PATH = re.compile(r"(/bot)\d+:[A-Za-z0-9_-]+")
# A path segment that looks like a token: long, letters and digits, one long run.
_TOKEN_SEGMENT = re.compile(r"[A-Za-z0-9_-]{20,}")
_TOKEN_RUN = re.compile(r"[A-Za-z0-9]{16,}")
# Tokens with a known shape, anywhere: Slack's xoxb-/xoxp-/xapp-, a Telegram bot's
# "123456789:AAH…", an ntfy access token "tk_…".
_KNOWN_TOKEN = re.compile(
    r"\b(xox[a-z]-|xapp-)[A-Za-z0-9-]{10,}"
    r"|\b(\d{5,12}:)[A-Za-z0-9_-]{30,}"
    r"|\b(tk_)[A-Za-z0-9]{20,}"
)

# Apprise logs at ERROR each URL it cannot parse; a URL parsed only to be shown
# redacted must not log (nor end up in the captured log of a send on another thread).
_redacting = threading.local()


class _QuietWhileRedacting(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        return not getattr(_redacting, "active", False)


logging.getLogger("apprise").addFilter(_QuietWhileRedacting())


def _looks_like_token(segment: str) -> bool:
    if not _TOKEN_SEGMENT.fullmatch(segment):
        return False
    return any(not run.isdigit() and not run.isalpha() for run in _TOKEN_RUN.findall(segment))


def _looks_base64(word: str) -> bool:
    """Whether ``word`` reads as base64 rather than a word ("the AUTH PLAIN
    mechanism"): padded, or with a digit, ``+``, ``/`` or a capital past its first letter."""
    return word.endswith("=") or any(c.isdigit() or c in "+/" or c.isupper() for c in word[1:])


def _is_sasl_credential(word: str) -> bool:
    if len(word) % 4:
        return False
    try:
        raw = base64.b64decode(word, validate=True)
    except ValueError:  # binascii.Error
        return False
    return bool(_SASL_PLAIN.fullmatch(raw)) or b"\x01auth=" in raw


def _redact_credentials(text: str) -> str:
    """``text`` without the credentials a server may quote back (see ``_SASL_ECHO``)."""
    if "AUTH" in text.upper():
        text = _SASL_ECHO.sub(
            lambda m: m.group(1) + "***" if _looks_base64(m.group(2)) else m.group(0), text
        )
    if "LOGIN" in text:
        text = _IMAP_LOGIN.sub(r"\1***", text)
    if "uthorization" in text or "UTHORIZATION" in text:
        text = _AUTH_HEADER.sub(r"\1***", text)
    return _BASE64_WORD.sub(lambda m: "***" if _is_sasl_credential(m[0]) else m[0], text)


def _redact_path(authority: str, path: str) -> str:
    """``path`` of a URL on ``authority`` with its secret parts replaced by ``…``."""
    host = authority.rpartition("@")[2].split(":", 1)[0].lower()
    for hosts, prefix in _WEBHOOK_PATHS:
        if hosts.fullmatch(host) and (m := prefix.match(path)) and len(path) > m.end():
            return m.group(0) + "…"
    if "/bot" in path:
        path = _TELEGRAM_PATH.sub(r"\1…", path)
    return "/".join("…" if _looks_like_token(part) else part for part in path.split("/"))


def _redact_user(m: re.Match[str]) -> str:
    user, colon = m.group(2), m.group(3)
    hidden = colon or _looks_like_token(user)
    return m.group(1) + ("***" if hidden else user) + colon + "@"


def _redact_url_paths(text: str) -> str:
    return _URL_PATH.sub(
        lambda m: m.group(1) + m.group(2) + _redact_path(m.group(2), m.group(3)), text
    )


def redact_target(target: str) -> str:
    """``"apprise:json://u:pw@host/x"`` → ``"apprise:json://u:****@host/…"``: where it
    goes, not its tokens. An ``apprise:`` text that is not a URL keeps all but its
    token-like parts; other targets (``slack:#veille``) are shown as they are."""
    # Secret values registered since a target was cached are hidden all the same.
    return hide(_redact_target(target))


@lru_cache(maxsize=256)
def _redact_target(target: str) -> str:
    kind, sep, address = target.partition(":")
    if not sep or kind != "apprise":
        return redact_text(target) if "/" in target else target
    if not _STARTS_WITH_SCHEME.match(address):  # not a URL: nothing for Apprise to parse
        return "apprise:" + "/".join(
            "…" if _looks_like_token(part) else part for part in address.split("/")
        )
    scheme = address.split("://", 1)[0]
    _redacting.active = True
    try:
        import apprise

        plugin = apprise.Apprise.instantiate(address, suppress_exceptions=True)
    except Exception:  # never let redaction itself raise from a logging call
        plugin = None
    finally:
        _redacting.active = False
    if not plugin:
        return f"apprise:{scheme}://…"
    private = str(plugin.url(privacy=True)).split("?", 1)[0]  # type: ignore[no-untyped-call]
    # Keep only where it goes: paths often hold webhook tokens Apprise does not mask.
    if type(plugin).__name__ == "NotifyNtfy" and getattr(plugin, "mode", "") == "cloud":
        # On ntfy.sh the topic, which Apprise shows as the host, is the only secret.
        return f"apprise:{scheme}://ntfy.sh/…"
    head, _, path = private.partition("://")[2].partition("/")
    return f"apprise:{scheme}://{head}/" + ("…" if path.strip("/") else "")


def redact_text(text: str) -> str:
    """Redact every ``apprise:…`` target, every password in a URL, query parameters
    named as secrets (``?token=``, ``&api_key=``), Google Alerts feed ids, webhook
    tokens in URL paths, token-like path segments, Slack/Telegram/ntfy tokens, OAuth
    bearer tokens, a token request's secrets and the login a server quoted back
    (SASL, IMAP ``LOGIN``, ``Authorization``) in ``text``, and every secret value
    registered in :mod:`watchtower.secret_values`; remove its control characters but
    line breaks and tabs (see :mod:`watchtower.sanitise`)."""
    # The known values first: a pattern that hid part of one would leave the rest.
    text = hide(printable(text))
    if "apprise:" in text:
        text = _APPRISE_IN_TEXT.sub(lambda m: redact_target(m.group(0)), text)
    if "://" in text:
        if "@" in text:
            text = _URL_USER.sub(_redact_user, text)
            text = _URL_PASSWORD.sub(r"\1:***@", text)
        if "=" in text:
            text = _QUERY_SECRET.sub(r"\1***", text)
        if "/alerts/feeds/" in text:
            text = _GOOGLE_ALERTS.sub(r"\1…", text)
        text = _redact_url_paths(text)
    text = _KNOWN_TOKEN.sub(lambda m: (m.group(1) or m.group(2) or m.group(3)) + "***", text)
    if "earer" in text:
        text = _BEARER.sub(r"\1***", text)
    if "_token" in text or "_secret" in text:
        text = _FORM_SECRET.sub(lambda m: (m.group(1) or m.group(2)) + "***", text)
    return _redact_credentials(text)
