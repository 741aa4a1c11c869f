"""`watchtower check` names a source written with a loopback or private address
and no ``allow_private``: the daemon would refuse every fetch of it."""

from __future__ import annotations

from pathlib import Path

import pytest

from watchtower.config import load_config

HEAD = '[[brands]]\nname = "Acmé"\nterms = ["Acmé"]\n\n[[sources]]\nname = "s"\n'


@pytest.mark.parametrize(
    ("source", "warned"),
    [
        ('kind = "rss"\nurl = "http://127.0.0.1:8000/flux.xml"', "127.0.0.1 is a loopback"),
        ('kind = "rss"\nurl = "http://localhost/flux.xml"', "127.0.0.1 is a loopback"),
        ('kind = "rss"\nurl = "http://192.168.1.20/flux.xml"', "192.168.1.20 is a private"),
        ('kind = "rss"\nurl = "http://[::1]/flux.xml"', "::1 is a loopback"),
        ('kind = "rss"\nurl = "http://127.0.0.1/flux.xml"\nallow_private = true', None),
        ('kind = "rss"\nurl = "http://127.0.0.1/flux.xml"\nenabled = false', None),
        ('kind = "rss"\nurl = "https://presse.acme.fr/flux.xml"', None),  # a name: DNS decides
        ('kind = "rss"\nurl = "https://93.184.215.14/flux.xml"', None),  # a public address
    ],
)
def test_a_private_address_without_allow_private_is_named(
    source: str, warned: str | None, tmp_path: Path
) -> None:
    path = tmp_path / "w.toml"
    path.write_text(HEAD + source + "\n", encoding="utf-8")
    found = [
        str(w) for w in load_config(path).warnings if "every fetch will be refused" in w.message
    ]
    if warned is None:
        assert found == []
    else:
        assert len(found) == 1
        assert "w.toml:8: sources[0].url" in found[0] and warned in found[0]
        assert "set allow_private = true" in found[0]
