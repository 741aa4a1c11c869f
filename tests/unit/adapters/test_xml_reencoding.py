"""``_xml._to_utf8_if_needed`` pinned byte for byte by golden outputs.

The re-encoding of feeds declaring a windows-1252 label (and of undeclared
feeds that are not UTF-8) decodes each byte once; these outputs, recorded from
the implementation that validated and then decoded the whole document, pin
that the bytes handed to libxml2 did not change: every byte value alone and
after valid UTF-8, under each label and without one, and the corpus feeds as
served, relabelled ISO-8859-1 and undeclared. The 37 outputs of documents
not valid UTF-8 and holding a byte windows-1252 leaves undefined (undeclared, or
declaring UTF-8) were recorded again when those stopped being read as latin-1
as a whole: they now read as the same bytes declaring ISO-8859-1 do
(``test_cp1252_undefined``). The 4 ``*/x-user-defined`` outputs were recorded
again when that label (unknown to libxml2) started to read as windows-1252,
as WHATWG's table in ``_charset`` maps it: they equal the ISO-8859-1 ones.
The 8 ``*/ISO-8859-15`` and ``*/koi8-r`` outputs of ``all-bytes``,
``all-bytes-after-utf8``, ``ascii`` and ``utf8-text`` were recorded again when
every legacy label of WHATWG's table started to be decoded here rather than
by libxml2 (``test_whatwg_charsets``): they are the same text as UTF-8 without
the declaration, and ``utf8-text`` (valid UTF-8 under the label) reads as
UTF-8, as under every other legacy label, where libxml2 read "L’Acmé" in
KOI8-R as "LБ─≥Acmц╘".

Regenerate (then review the diff) with::

    WATCHTOWER_REGEN_GOLDEN=1 .venv/bin/pytest tests/unit/adapters/test_xml_reencoding.py
"""

from __future__ import annotations

import hashlib
import json
import os
import re
from pathlib import Path

import pytest

from tests.unit.adapters.test_charset_labels import LABELS as LABELS_OF_PAGES
from watchtower.adapters._charset import WINDOWS_1252_LABELS, decode_windows_1252
from watchtower.adapters._xml import _to_utf8_if_needed

GOLDEN = Path(__file__).with_name("xml_reencoding.expected.json")
REGEN = os.environ.get("WATCHTOWER_REGEN_GOLDEN") == "1"
_ROOT = Path(__file__).resolve().parents[3]
# The repository's corpus only: the shared corpus of the workspace holds
# byte-identical copies of its feeds.
CORPORA = (_ROOT / "tests" / "corpus",)
_DECLARATION = re.compile(rb"^\s*<\?xml[^>]*\?>")

# Labels of both kinds; the table of labels meaning windows-1252 is checked below.
LABELS = (
    "ISO-8859-1", "iso-8859-1", "latin1", "Latin-1", "US-ASCII", "ascii", "windows-1252",
    "cp1252", "l1", "ANSI_X3.4-1968", "ibm819", "iso_8859-1:1987",
    "UTF-8", "utf8", "ISO-8859-15", "x-user-defined", "koi8-r",
)  # fmt: skip
ALL_BYTES = bytes(range(256))


def _declared(label: str, body: bytes) -> bytes:
    return f'<?xml version="1.0" encoding="{label}"?>\n<r>'.encode() + body + b"</r>"


def _small_cases() -> dict[str, bytes]:
    cases: dict[str, bytes] = {}
    for byte in range(256):
        one = bytes([byte])
        cases[f"latin1/{byte:02x}"] = _declared("ISO-8859-1", b"a" + one)
        # After valid UTF-8 ("é"): a document that is not valid UTF-8 as a whole
        # is windows-1252 from its first byte.
        cases[f"latin1-after-utf8/{byte:02x}"] = _declared("ISO-8859-1", b"\xc3\xa9 " + one)
        cases[f"utf8/{byte:02x}"] = _declared("UTF-8", b"a" + one)
        cases[f"undeclared/{byte:02x}"] = b"<r>a" + one + b"</r>"
        # With 0x92 (’) too: a byte windows-1252 leaves undefined is its C1
        # control alone, and must not change how the ’ next to it is read.
        cases[f"undeclared-with-92/{byte:02x}"] = b"<r>\x92" + one + b"</r>"
        # "Á" in UTF-8 is C3 81, and 0x81 is undefined in windows-1252.
        cases[f"undeclared-after-utf8-81/{byte:02x}"] = b"<r>\xc3\x81 " + one + b"</r>"
        cases[f"declaration-only/{byte:02x}"] = (
            b'<?xml version="1.0" encoding="latin1"?>' + one + b"<r/>"
        )
        # The byte inside the declaration that is dropped.
        cases[f"in-declaration/{byte:02x}"] = (
            b'<?xml version="1.0" encoding="latin1" standalone="' + one + b'"?><r>a</r>'
        )
    for label in LABELS:
        cases[f"all-bytes/{label}"] = _declared(label, ALL_BYTES)
        cases[f"all-bytes-after-utf8/{label}"] = _declared(label, b"\xe2\x80\x99" + ALL_BYTES)
        cases[f"ascii/{label}"] = _declared(label, b"plain text & <b>tags</b>")
        cases[f"utf8-text/{label}"] = _declared(label, "L’Acmé œ €".encode())
    cases["all-bytes/undeclared"] = b"<r>" + ALL_BYTES + b"</r>"
    cases["all-bytes/undeclared-defined-only"] = (
        b"<r>" + bytes(b for b in ALL_BYTES if b not in b"\x81\x8d\x8f\x90\x9d") + b"</r>"
    )
    cases["bom/utf-16"] = b"\xff\xfe<\x00r\x00>\x00\x92\x00"
    cases["unterminated-declaration"] = b'<?xml version="1.0" encoding="latin1" <r>\xe9</r>'
    cases["declaration-twice"] = _declared("latin1", b'<?xml version="1.0"?>\xe9')
    cases["blank-then-declaration"] = b"\n  " + _declared("ISO-8859-1", b"\x92")
    return cases


def _corpus_cases() -> dict[str, bytes]:
    cases: dict[str, bytes] = {}
    seen: set[bytes] = set()
    for corpus in CORPORA:
        for path in sorted(corpus.glob("*/*.xml")):
            data = path.read_bytes()
            if data in seen:
                continue
            seen.add(data)
            name = f"{corpus.parent.name}/{path.parent.name}/{path.name}"
            body = _DECLARATION.sub(b"", data.lstrip(), count=1)
            cases[f"{name}/as-served"] = data.lstrip()
            cases[f"{name}/iso-8859-1"] = _declared("ISO-8859-1", body)
            cases[f"{name}/undeclared"] = body.lstrip()
            # Its text written as windows-1252 (what a French CMS serves).
            try:
                text = body.decode("utf-8")
            except UnicodeDecodeError:
                continue
            cp1252 = text.encode("cp1252", "xmlcharrefreplace")
            cases[f"{name}/cp1252-undeclared"] = cp1252.lstrip()
            cases[f"{name}/cp1252-latin1"] = _declared("ISO-8859-1", cp1252)
    return cases


def _record(data: bytes, warning: str | None, *, full: bool) -> list[str | None]:
    text = data.decode("utf-8", "surrogateescape") if full else hashlib.sha256(data).hexdigest()
    return [text, warning]


def _outputs() -> dict[str, list[str | None]]:
    out = {}
    for name, data in _small_cases().items():
        out[name] = _record(*_to_utf8_if_needed(data), full=len(data) < 400)
    for name, data in _corpus_cases().items():
        out[name] = _record(*_to_utf8_if_needed(data), full=False)
    return out


def test_outputs_are_the_golden_ones() -> None:
    outputs = _outputs()
    if REGEN:
        GOLDEN.write_text(json.dumps(outputs, indent=0, sort_keys=True) + "\n")
    expected = json.loads(GOLDEN.read_text())
    assert len(outputs) > 2100
    assert sum("/iso-8859-1" in name for name in outputs) >= 10  # the corpus was found
    different = [name for name in expected if outputs.get(name) != expected[name]]
    assert different == []
    assert sorted(outputs) == sorted(expected)


@pytest.mark.parametrize("byte", range(0x80, 0xA0))
def test_the_c1_range_reads_as_windows_1252(byte: int) -> None:
    # Spelled out for the 32 bytes where windows-1252 and latin-1 differ.
    data, warning = _to_utf8_if_needed(_declared("latin1", bytes([byte])))
    expected = bytes([byte]).decode("latin-1" if byte in b"\x81\x8d\x8f\x90\x9d" else "cp1252")
    assert (data, warning) == (f"\n<r>{expected}</r>".encode(), None)


def test_the_labels_are_whatwgs_windows_1252_labels() -> None:
    # The one list, which HTML pages and e-mail read too (test_charset_labels).
    assert sorted(WINDOWS_1252_LABELS) == sorted(LABELS_OF_PAGES)


def test_the_undefined_bytes_are_c1_controls_in_a_view_too() -> None:
    data = b"\x81L\x92Acm\xe9\x9d"
    assert decode_windows_1252(memoryview(data)[1:]) == "L’Acmé\x9d"
    assert decode_windows_1252(data) == "\x81L’Acmé\x9d"
