"""Source presets: ``preset = "phpbb"`` plus ``base_url`` becomes a full source entry.

Presets are TOML files shipped in ``sources/`` (the package ``watchtower.presets``),
one per forum engine, each documented in its own comments. A preset fixes the
``kind`` and, for feed-based engines, the URL pattern (``url = "{base_url}/feed.php"``).
"""

from __future__ import annotations

import difflib
import functools
import tomllib
from dataclasses import dataclass
from importlib.resources import files
from typing import Any

__all__ = ["Preset", "expand_preset", "presets"]

PACKAGE = "watchtower.presets"


@dataclass(frozen=True)
class Preset:
    """One ``sources/NAME.toml`` file."""

    name: str
    kind: str
    description: str
    url: str | None = None  # a pattern with {base_url}; None: the kind takes base_url itself


@functools.cache
def presets() -> dict[str, Preset]:
    """Every shipped preset, by name."""
    found = {}
    for resource in files(PACKAGE).iterdir():
        if resource.name.endswith(".toml"):
            data = tomllib.loads(resource.read_text(encoding="utf-8"))
            name = resource.name.removesuffix(".toml")
            found[name] = Preset(
                name=name,
                kind=str(data["kind"]),
                description=str(data.get("description", "")),
                url=data.get("url"),
            )
    return dict(sorted(found.items()))


class PresetError(ValueError):
    """A ``preset`` that cannot be expanded; the config loader adds file and line."""


def _refused(entry: dict[str, Any], reason: str) -> dict[str, Any]:
    raise PresetError(reason)


def expand_preset(entry: dict[str, Any]) -> dict[str, Any]:
    """Replace ``preset`` (and ``base_url`` where the preset has a URL pattern).

    Entries without ``preset`` are returned unchanged; a bad one raises :class:`PresetError`.
    """
    if "preset" not in entry:
        return entry
    name = entry["preset"]
    preset = presets().get(str(name))
    if preset is None:
        known = ", ".join(presets())
        return _refused(entry, f"preset {name!r} does not exist; presets: {known}")
    if "kind" in entry and entry["kind"] != preset.kind:
        return _refused(entry, f"preset {preset.name!r} sets kind = {preset.kind!r}")
    expanded = {k: v for k, v in entry.items() if k != "preset"}
    expanded["kind"] = preset.kind
    if preset.url is not None:
        base_url = expanded.pop("base_url", None)
        if not isinstance(base_url, str) or not base_url:
            typo = difflib.get_close_matches("base_url", [str(k) for k in entry], n=1)
            hint = f" ({typo[0]!r}: did you mean 'base_url'?)" if typo else ""
            return _refused(entry, f"preset {preset.name!r} needs base_url{hint}")
        if "url" in expanded:
            return _refused(entry, f"preset {preset.name!r} sets url from base_url; remove url")
        expanded["url"] = preset.url.format(base_url=base_url.rstrip("/"))
    return expanded
