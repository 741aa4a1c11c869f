"""Every label WHATWG maps to windows-1252 reads as windows-1252 in pages and e-mail.

Feed declarations already read the whole WHATWG list; HTML pages and e-mail
parts (``decode_html``) knew twelve of its labels. A server in the C locale
labels its pages ``charset=ANSI_X3.4-1968``: every accent became U+FFFD (the
text "Acmé" no longer matched), and under ``ISO_8859-1:1987``, ``IBM819`` or
``CP819`` "L’Acmé" read "L\\x92Acmé", where a browser shows both right. Both
sides now read one list (``_charset.WINDOWS_1252_LABELS``).
"""

from __future__ import annotations

import pytest

from watchtower.adapters._mail_decode import decode_bytes
from watchtower.adapters._text import decode_html

# https://encoding.spec.whatwg.org/#names-and-labels, plus "latin-1"
# (``test_xml_reencoding`` checks that this is ``_charset.WINDOWS_1252_LABELS``).
LABELS = (
    "ansi_x3.4-1968", "ascii", "cp1252", "cp819", "csisolatin1", "ibm819", "iso-8859-1",
    "iso-ir-100", "iso8859-1", "iso88591", "iso_8859-1", "iso_8859-1:1987", "l1",
    "latin-1", "latin1", "us-ascii", "windows-1252", "x-cp1252",
)  # fmt: skip
TEXT = "L’Acmé : « manœuvre » à 5 € – “scandale”"
WRITTEN = TEXT.encode("cp1252")


@pytest.mark.parametrize("label", LABELS)
def test_a_windows_1252_label_in_the_content_type(label: str) -> None:
    assert decode_html(WRITTEN, f"text/html; charset={label.upper()}") == TEXT


@pytest.mark.parametrize("label", LABELS)
def test_a_windows_1252_label_in_a_meta_charset(label: str) -> None:
    page = f'<html><head><meta charset="{label}"></head><body>'.encode() + WRITTEN
    assert decode_html(page).endswith(TEXT)


@pytest.mark.parametrize("label", ["ANSI_X3.4-1968", "ISO_8859-1:1987", "IBM819", "csISOLatin1"])
def test_a_windows_1252_label_of_an_email_part(label: str) -> None:
    assert decode_bytes(WRITTEN, label) == TEXT


def test_a_latin1_only_label_is_not_windows_1252() -> None:
    # ISO-8859-15 has € at 0xA4: the label names its own table.
    assert decode_html("5 €".encode("iso-8859-15"), "charset=iso-8859-15") == "5 €"
