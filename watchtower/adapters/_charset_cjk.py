"""GBK/gb18030, Big5, EUC-KR and Shift_JIS as browsers decode them (WHATWG).

Python's codecs named by WHATWG's labels (``_charset``: ``gb18030`` for GBK,
``big5hkscs`` for Big5, ``cp949`` for EUC-KR, ``cp932`` for Shift_JIS) read
the same tables for almost every pair. What is left differs in two ways:

* After a pair they cannot decode, CPython's CJK decoders give U+FFFD for the
  lead byte alone and read its trail byte as the lead of the next pair: one
  bad pair (a user-defined character, a byte lost in transit) garbles the
  character after it (EUC-KR ``C9 A1 B0 A1`` read U+FFFD, “, U+FFFD where a
  browser reads U+FFFD, 가), and gb18030 can even swallow the ASCII letter
  after a broken four-byte sequence. WHATWG's decoders drop the whole pair
  (one U+FFFD) and read again only an ASCII trail byte: :func:`_error_end`
  says how far each error reaches, and the decoders resume there.
* A few mappings. GBK: 0x80 is € (code page 936); 0xA3 0xA0 is U+3000
  (whatwg/encoding#25); 0xA8 0xBC is ḿ and 0x81 0x35 0xF4 0x37 U+E7C7, as in
  GB18030-2005 (whatwg/encoding#26), where Python has GB18030-2000's swap; and
  the 18 characters GB18030-2022 moved out of the private use area (vertical
  punctuation U+FE10–FE19, ideographs U+9FB4–9FBB, whatwg/encoding#336).
  Shift_JIS: 0xA0 and 0xFD–0xFF are errors, where Python's ``cp932`` gives
  them private-use characters (U+F8F0–F8F3).

Each of those private-use characters comes from exactly one byte sequence in
Python's codec, so translating the decoded text is exact. Known differences
left as Python reads them (rare characters, not verified against WHATWG's
indexes here): Big5 HKSCS-2008 additions and a few Big5 punctuation marks
(0xA1 0x45 is U+2022 in Python, U+2027 in browsers), and EUC-KR 0xA2 0xE8 (㉾).
"""

from __future__ import annotations

import codecs
import re
from collections.abc import Callable

__all__ = ["decode_gb18030", "decode_pairs", "decode_shift_jis"]

_REPLACEMENT = "\ufffd"
# Lead bytes of the two-byte encodings, by the Python codec that reads them.
_LEADS = {
    "big5hkscs": frozenset(range(0x81, 0xFF)),
    "cp949": frozenset(range(0x81, 0xFF)),
    "cp932": frozenset((*range(0x81, 0xA0), *range(0xE0, 0xFD))),
}
# Python's gb18030 character -> WHATWG's, for the few bytes they read apart.
_GB18030 = {
    "\ue5e5": "\u3000",  # A3 A0
    "\ue7c7": "\u1e3f",  # A8 BC
    "\u1e3f": "\ue7c7",  # 81 35 F4 37
    # GB18030-2022: A6 D9-DF, A6 EC-ED, A6 F3 (note FE12 and FE11 swapped).
    **dict(zip("\ue78d\ue78e\ue78f\ue790\ue791\ue792\ue793\ue794\ue795\ue796",
               "\ufe10\ufe12\ufe11\ufe13\ufe14\ufe15\ufe16\ufe17\ufe18\ufe19", strict=True)),
    # GB18030-2022: FE 59, 61, 66, 67, 6D, 7E, 90, A0.
    **dict(zip("\ue81e\ue826\ue82b\ue82c\ue832\ue843\ue854\ue864",
               "\u9fb4\u9fb5\u9fb6\u9fb7\u9fb8\u9fb9\u9fba\u9fbb", strict=True)),
}  # fmt: skip
_GB18030_CHARS = re.compile("[" + "".join(_GB18030) + "]")
# The single bytes WHATWG's Shift_JIS leaves undefined, as Python's cp932 reads them.
_SJIS_UNDEFINED = re.compile("[\uf8f0-\uf8f3]")
# The longest well-formed Shift_JIS prefix: ASCII, 0x80, katakana, lead + trail.
_SJIS_PREFIX = re.compile(rb"(?:[\x00-\x80\xa1-\xdf]|[\x81-\x9f\xe0-\xfc][\x40-\x7e\x80-\xfc])*")


def _error_end(data: bytes, start: int, leads: frozenset[int]) -> int:
    """Where a two-byte decoder's error at ``start`` ends, as WHATWG's decoders
    say: a lead byte takes its trail byte with it unless that byte is ASCII
    (read again), or the data ends; any other byte is an error alone."""
    if data[start] not in leads:
        return start + 1
    if start + 1 >= len(data):
        return len(data)
    return start + 1 if data[start + 1] < 0x80 else start + 2


def _gb18030_error_end(data: bytes, start: int) -> int:
    """:func:`_error_end` for gb18030, whose four-byte sequences read again
    the bytes after the first one that breaks them (WHATWG's gb18030 decoder)."""
    first, size = data[start], len(data)
    if not 0x81 <= first <= 0xFE:
        return start + 1
    if start + 1 >= size:
        return size
    if not 0x30 <= data[start + 1] <= 0x39:
        return start + 1 if data[start + 1] < 0x80 else start + 2
    if start + 2 >= size:
        return size
    if not 0x81 <= data[start + 2] <= 0xFE:
        return start + 1
    if start + 3 >= size:
        return size
    if not 0x30 <= data[start + 3] <= 0x39:
        return start + 1
    return start + 4  # four bytes outside WHATWG's ranges


def _register(name: str, handler: Callable[[UnicodeError], tuple[str, int]]) -> str:
    codecs.register_error(name, handler)
    return name


def _as_decode_error(error: UnicodeError) -> UnicodeDecodeError:
    if not isinstance(error, UnicodeDecodeError):
        raise error
    return error


def _gb18030_strict(error: UnicodeError) -> tuple[str, int]:
    decode = _as_decode_error(error)
    if decode.object[decode.start] == 0x80:  # code page 936's euro sign
        return "\u20ac", decode.start + 1
    raise error


def _gb18030_replace(error: UnicodeError) -> tuple[str, int]:
    decode = _as_decode_error(error)
    if decode.object[decode.start] == 0x80:
        return "\u20ac", decode.start + 1
    return _REPLACEMENT, _gb18030_error_end(decode.object, decode.start)


def _pairs_replace(leads: frozenset[int]) -> Callable[[UnicodeError], tuple[str, int]]:
    def replace(error: UnicodeError) -> tuple[str, int]:
        decode = _as_decode_error(error)
        return _REPLACEMENT, _error_end(decode.object, decode.start, leads)

    return replace


_GB18030_STRICT = _register("watchtower-gb18030-strict", _gb18030_strict)
_GB18030_REPLACE = _register("watchtower-gb18030-replace", _gb18030_replace)
_PAIRS_REPLACE = {
    codec: _register(f"watchtower-{codec}-replace", _pairs_replace(leads))
    for codec, leads in _LEADS.items()
}


def _decode(data: bytes, codec: str, strict: str, replace: str) -> tuple[str, int | None]:
    try:
        return data.decode(codec, strict), None
    except UnicodeDecodeError as exc:
        return data.decode(codec, replace), exc.start


def decode_gb18030(data: bytes) -> tuple[str, int | None]:
    """``data`` read as WHATWG's gb18030 decoder reads GBK and gb18030, and
    the offset of its first undecodable byte (``None`` when there is none)."""
    text, bad = _decode(data, "gb18030", _GB18030_STRICT, _GB18030_REPLACE)
    if any(char in text for char in _GB18030):  # 21 scans in C: 7x cheaper than one regex
        text = _GB18030_CHARS.sub(lambda found: _GB18030[found.group()], text)
    return text, bad


def decode_pairs(data: bytes, codec: str) -> tuple[str, int | None]:
    """``data`` in ``"big5hkscs"`` (Big5) or ``"cp949"`` (EUC-KR) as WHATWG
    decodes it, and the offset of its first undecodable byte."""
    return _decode(data, codec, "strict", _PAIRS_REPLACE[codec])


def decode_shift_jis(data: bytes) -> tuple[str, int | None]:
    """``data`` read as WHATWG's Shift_JIS (Windows' code page 932), and the
    offset of its first undecodable byte (``None`` when there is none)."""
    text, bad = _decode(data, "cp932", "strict", _PAIRS_REPLACE["cp932"])
    if any(char in text for char in "\uf8f0\uf8f1\uf8f2\uf8f3"):
        text = _SJIS_UNDEFINED.sub(_REPLACEMENT, text)
        # The first such byte ends the well-formed prefix, unless an error came first.
        prefix = _SJIS_PREFIX.match(data)
        end = prefix.end() if prefix else 0
        bad = end if bad is None else min(bad, end)
    return text, bad
