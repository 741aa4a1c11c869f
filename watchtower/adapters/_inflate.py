"""Content-Encoding decoded under a budget: a gzip bomb stops at the cap.

``zlib`` is asked for at most ``budget + 1`` bytes per call and the rest of the
input waits in ``unconsumed_tail``, so memory stays bounded whatever the
compression ratio; the caller stops reading once the budget is spent.
"""

from __future__ import annotations

import zlib
from collections.abc import Iterator

from watchtower.errors import PermanentError

__all__ = ["Inflater"]


class Inflater:
    """Decodes ``Content-Encoding`` without ever producing more than ``budget`` bytes."""

    def __init__(self, encoding: str) -> None:
        encoding = encoding.strip().lower()
        if encoding in ("gzip", "x-gzip"):
            self._z: zlib._Decompress | None = zlib.decompressobj(16 + zlib.MAX_WBITS)
        elif encoding == "deflate":
            self._z = zlib.decompressobj(32 + zlib.MAX_WBITS)  # zlib or gzip header
        elif encoding in ("", "identity"):
            self._z = None
        else:
            # The header is the server's words: shown, but never at any length.
            shown = encoding if len(encoding) <= 100 else encoding[:100] + "…"
            raise PermanentError(code="unsupported_compression", params={"encoding": shown})
        self._raw_deflate = encoding == "deflate"
        #: gzip members may follow one another; ``False`` once bytes that are
        #: none ended the body.
        self._members = encoding in ("gzip", "x-gzip")

    def feed(self, chunk: bytes, budget: int) -> Iterator[bytes]:
        """``chunk`` decoded, in pieces; past ``budget`` bytes in all, the caller
        stops reading (at most one byte over per piece, so it can tell)."""
        if self._z is None:
            yield chunk
            return
        try:
            data = self._z.decompress(chunk, budget + 1)
        except zlib.error:
            if not self._raw_deflate:
                raise
            # Some servers send raw deflate without the zlib header.
            self._z = zlib.decompressobj(-zlib.MAX_WBITS)
            data = self._z.decompress(chunk, budget + 1)
        self._raw_deflate = False  # the format is settled after the first chunk
        yield data
        while True:
            budget -= len(data)
            if self._z.unconsumed_tail:
                data = self._z.decompress(self._z.unconsumed_tail, max(budget, 0) + 1)
            elif self._members and self._z.eof and self._z.unused_data.strip(b"\0"):
                data = self._next_member(self._z.unused_data, budget)
            else:
                return
            yield data

    def _next_member(self, rest: bytes, budget: int) -> bytes:
        """The start of the gzip member after the one that ended: a body may be
        several members one after the other (RFC 1952, 2.2), as ``gzip -c a b``
        writes them; reading only the first cut the feed short without a word.
        Bytes after the last member that are no gzip member (padding, garbage)
        end the body, as they did before."""
        following = zlib.decompressobj(16 + zlib.MAX_WBITS)
        try:
            data = following.decompress(rest, max(budget, 0) + 1)
        except zlib.error:
            self._members = False  # what follows is read no more, as before
            return b""
        self._z = following
        return data
