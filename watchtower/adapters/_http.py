"""The one HTTP client every adapter shares, and the one place fetch failures are classified.

Caps and timeouts: connect/read timeouts, an overall deadline per request (a
server trickling one byte at a time cannot hold a worker), a cap on *decoded*
bytes (a gzip bomb stops at the cap), redirects followed by hand so each hop is
re-checked (http/https only), and a User-Agent naming watchtower. Every failure
becomes a :class:`TransientError` or :class:`PermanentError` carrying a plain
sentence for the operator, as Miniflux's ``response_handler.go`` does.
"""

from __future__ import annotations

import email.utils
import threading
import time
from collections import defaultdict
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timezone
from urllib.parse import urljoin, urlsplit

import httpx

from watchtower import __version__
from watchtower.errors import PermanentError, SourceError, TransientError

USER_AGENT = f"watchtower/{__version__} (+https://github.com/watchtower-veille/watchtower)"
MAX_REDIRECTS = 5


@dataclass
class Response:
    """A fetched body, already decoded from gzip/deflate and capped."""

    url: str
    status: int
    headers: httpx.Headers
    content: bytes

    @property
    def not_modified(self) -> bool:
        return self.status == 304


@dataclass
class HttpFetcher:
    """A shared, thread-safe client with per-host concurrency limits."""

    timeout: float = 30.0
    connect_timeout: float = 10.0
    max_bytes: int = 10_000_000
    per_host: int = 2
    user_agent: str = USER_AGENT
    _client: httpx.Client = field(init=False, repr=False)
    _hosts: dict[str, threading.BoundedSemaphore] = field(init=False, repr=False)
    _lock: threading.Lock = field(init=False, repr=False, default_factory=threading.Lock)

    def __post_init__(self) -> None:
        self._client = httpx.Client(
            timeout=httpx.Timeout(self.timeout, connect=self.connect_timeout),
            follow_redirects=False,
            headers={"User-Agent": self.user_agent, "Accept-Encoding": "gzip, deflate"},
            limits=httpx.Limits(max_connections=200, max_keepalive_connections=50),
        )
        self._hosts = defaultdict(lambda: threading.BoundedSemaphore(self.per_host))

    def close(self) -> None:
        self._client.close()

    @contextmanager
    def _host_slot(self, host: str) -> Iterator[None]:
        with self._lock:
            slot = self._hosts[host]
        with slot:
            yield

    def get(
        self,
        url: str,
        *,
        etag: str | None = None,
        last_modified: str | None = None,
        accept: str = "*/*",
        allow_private: bool = False,
    ) -> Response:
        """GET ``url`` with conditional headers; raise ``SourceError`` on any failure."""
        headers = {"Accept": accept}
        if etag:
            headers["If-None-Match"] = etag
        if last_modified:
            headers["If-Modified-Since"] = last_modified
        deadline = time.monotonic() + self.timeout
        seen: list[str] = []
        for _ in range(MAX_REDIRECTS + 1):
            check_url(url, allow_private=allow_private)
            seen.append(url)
            host = urlsplit(url).hostname or ""
            with self._host_slot(host):
                response = self._get_once(url, headers, deadline)
            if response.status in (301, 302, 303, 307, 308):
                location = response.headers.get("location")
                if not location:
                    raise PermanentError(f"the server redirected ({response.status}) nowhere")
                url = urljoin(url, location)
                if url in seen:
                    raise PermanentError("the server redirects in a loop")
                continue
            return classify(response)
        raise PermanentError(f"too many redirects (more than {MAX_REDIRECTS})")

    def _get_once(self, url: str, headers: dict[str, str], deadline: float) -> Response:
        try:
            with self._client.stream("GET", url, headers=headers) as response:
                chunks: list[bytes] = []
                size = 0
                for chunk in response.iter_bytes():
                    size += len(chunk)
                    if size > self.max_bytes:
                        raise PermanentError(
                            f"the response is larger than the {self.max_bytes:,} byte limit"
                        )
                    chunks.append(chunk)
                    if time.monotonic() > deadline:
                        raise TransientError(
                            f"the server took longer than {self.timeout:g}s to send its answer"
                        )
                return Response(str(response.url), response.status_code, response.headers,
                                b"".join(chunks))
        except SourceError:
            raise
        except httpx.TimeoutException:
            raise TransientError(f"the server did not answer within {self.timeout:g}s") from None
        except httpx.DecodingError:
            raise PermanentError("the server sent a body that cannot be decompressed") from None
        except httpx.ConnectError as exc:
            raise TransientError(f"cannot connect to the server ({_reason(exc)})") from None
        except httpx.HTTPError as exc:
            raise TransientError(f"network error ({_reason(exc)})") from None


def _reason(exc: Exception) -> str:
    text = str(exc) or type(exc).__name__
    return text.split("\n")[0][:200]


def check_url(url: str, *, allow_private: bool = False) -> None:
    """Refuse anything but http(s) before a connection is made."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise PermanentError(f"refused to fetch {parts.scheme or 'a'}:// URL; only http(s)")
    del allow_private  # checked by the address guard (see issue on hardened fetching)


def retry_after_seconds(value: str | None, now: datetime | None = None) -> float | None:
    """Parse ``Retry-After`` as seconds or an HTTP-date; ``None`` if absent or invalid."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=timezone.utc)
    now = now or datetime.now(timezone.utc)
    return max(0.0, (when - now).total_seconds())


_STATUS_SENTENCES = {
    400: "the server rejected the request (400)",
    401: "the site requires a login (401)",
    403: "the site refused access (403)",
    404: "the page does not exist (404)",
    410: "the page was removed (410)",
    429: "the site asks us to slow down (429)",
}


def classify(response: Response) -> Response:
    """Return successful responses; raise the right ``SourceError`` for the others."""
    status = response.status
    if status < 300 or status == 304:
        return response
    retry_after = retry_after_seconds(response.headers.get("retry-after"))
    sentence = _STATUS_SENTENCES.get(status)
    if status == 429 or status == 408:
        raise TransientError(sentence or f"the server timed out ({status})",
                             retry_after=retry_after)
    if status >= 500:
        raise TransientError(f"the site has a server error ({status})", retry_after=retry_after)
    raise PermanentError(sentence or f"the server answered HTTP {status}",
                         retry_after=retry_after)
