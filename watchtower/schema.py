"""Finishing touches on the pydantic-generated JSON Schema of the config file.

Pydantic describes a ``timedelta`` as an ISO 8601 ``"format": "duration"``
string; watchtower's durations are ``"90s"``, ``"10m"``, ``"1h30m"`` or a number
of seconds, so those nodes are rewritten, or an editor would flag every valid
``every = "10m"``. The result declares draft 2020-12, which Taplo (Even Better
TOML) and the ``jsonschema`` package both understand.
"""

from __future__ import annotations

from typing import Any

__all__ = ["DURATION_PATTERN", "SCHEMA_ID", "tidy_schema"]

DURATION_PATTERN = r"^\s*(\d+(\.\d+)?\s*(ms|s|m|h|d|w)\s*)+$"
SCHEMA_ID = "https://watchtower.invalid/config.schema.json"
_DURATION = {
    "anyOf": [
        {"type": "string", "pattern": DURATION_PATTERN},
        {"type": "number", "minimum": 0},
    ],
}


def _rewrite(node: Any) -> Any:
    if isinstance(node, dict):
        if node.get("format") == "duration":
            extra = {k: v for k, v in node.items() if k not in ("type", "format")}
            if "default" in extra:  # pydantic writes "PT30S"; the file says "30s"
                extra["default"] = _duration_text(extra["default"])
            return {**extra, **_DURATION}
        return {key: _rewrite(value) for key, value in node.items()}
    if isinstance(node, list):
        return [_rewrite(value) for value in node]
    return node


def _duration_text(value: Any) -> Any:
    from datetime import timedelta

    from pydantic import TypeAdapter, ValidationError

    from watchtower.durations import format_duration

    try:
        return format_duration(TypeAdapter(timedelta).validate_python(value))
    except ValidationError:
        return value


def tidy_schema(schema: dict[str, Any]) -> dict[str, Any]:
    """Durations as watchtower writes them, plus ``$schema``, ``$id`` and a title."""
    body = _rewrite(schema)
    body.pop("title", None)
    for prop in body.get("properties", {}).values():
        # A whole section's default (``[watchtower]`` = {...}) only clutters an
        # editor's hover; each key inside documents its own default.
        if "$ref" in prop and isinstance(prop.get("default"), dict):
            del prop["default"]
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": SCHEMA_ID,
        "title": "watchtower configuration",
        **body,
    }
