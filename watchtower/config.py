"""Configuration: one TOML file loaded into the strict pydantic models of
:mod:`watchtower.config_models`.

Every problem is collected and reported as ``PATH:LINE: key: message``; unknown
keys are errors (with a "did you mean" hint), URLs must be http(s), durations are
``90s``/``10m``/``1h``; relative file paths (a SQLite database, a source's
``ca_file``) are read from the config file's folder. Secrets come only from the environment
(``SLACK_BOT_TOKEN``, ``SMTP_USERNAME``, ``SMTP_PASSWORD``) and are kept as
:class:`~pydantic.SecretStr`, so they never print.
"""

from __future__ import annotations

import difflib
import os
import tomllib
from collections.abc import Sequence
from pathlib import Path
from typing import Annotated, Any, Union

from pydantic import (
    BaseModel,
    Field,
    ValidationError,
    create_model,
)

from watchtower.adapters.base import SourceSettings
from watchtower.adapters.registry import REGISTRY as SOURCE_KINDS
from watchtower.config_lint import config_warnings
from watchtower.config_messages import (
    bare_number_durations,
    decode_config,
    plain_message,
    toml_problem,
)
from watchtower.config_models import (
    BrandConfig,
    Config,
    DedupSection,
    DigestConfig,
    EmailSection,
    EnvOverrides,
    LoadedConfig,
    QuietHoursConfig,
    RuleConfig,
    Secrets,
    SlackSection,
    SpikesSection,
    WatchtowerSection,
    resolve_database_url,
)
from watchtower.config_refs import Parts, cross_check, problem, without_bad_keys
from watchtower.errors import ConfigError, ConfigProblem
from watchtower.secret_values import register_loaded
from watchtower.tomllines import Lines, locate_keys

__all__ = [
    "DEFAULT_CONFIG",
    "BrandConfig",
    "Config",
    "LoadedConfig",
    "RuleConfig",
    "SpikesSection",
    "config_schema",
    "expand_includes",
    "expand_preset",
    "load_config",
    "parse_config",
    "resolve_database_url",
]

DEFAULT_CONFIG = "watchtower.toml"


def _known_keys(model: type[BaseModel]) -> list[str]:
    return [f.alias or name for name, f in model.model_fields.items()]


#: The model of each table; ``[[brands]]`` and the like are arrays of tables.
_SECTIONS: dict[str, type[BaseModel]] = {
    "watchtower": WatchtowerSection,
    "slack": SlackSection,
    "email": EmailSection,
    "dedup": DedupSection,
    "spikes": SpikesSection,
    "brands": BrandConfig,
    "rules": RuleConfig,
    "quiet_hours": QuietHoursConfig,
    "digests": DigestConfig,
}
_ARRAYS = ("brands", "rules", "quiet_hours", "digests", "sources")


def _table(name: str) -> str:
    return f"[[{name}]]" if name in _ARRAYS else f"[{name}]"


def _homes(key: str, here: type[BaseModel]) -> list[str]:
    """The other tables where ``key`` is a key: ``timezone`` → [watchtower], [[digests]]…"""
    if key in Config.model_fields and here is not Config:
        return [f"its own {_table(key)} table"]
    homes = [
        _table(name)
        for name, model in _SECTIONS.items()
        if model is not here and key in _known_keys(model)
    ]
    kinds = [
        kind
        for kind, adapter in sorted(SOURCE_KINDS.items())
        if adapter.settings_model is not here and key in _known_keys(adapter.settings_model)
    ]
    every_kind = len(kinds) == len(SOURCE_KINDS) - issubclass(here, SourceSettings)
    if kinds and not every_kind:  # "timezone": html sources only
        homes.append("[[sources]] of kind " + " or ".join(f"'{k}'" for k in kinds))
    elif kinds:
        homes.append("[[sources]]")
    return homes


def _unknown_key(key: str, model: type[BaseModel] | None) -> str:
    """ "unknown key" with the likeliest fix: a misspelling, or a key of another table."""
    if model is None:
        return "unknown key"
    known = _known_keys(model)
    close = difflib.get_close_matches(key, known, n=1, cutoff=0.8)
    homes = [] if close else _homes(key, model)
    if homes:
        where = ", ".join(homes[:-1]) + (" or " if len(homes) > 1 else "") + homes[-1]
        return f"unknown key here; {key} belongs in {where}"
    close = close or difflib.get_close_matches(key, known, n=1)
    return f"unknown key; did you mean '{close[0]}'?" if close else "unknown key"


def _model_at(
    loc: Sequence[str | int], raw: dict[str, Any], root: type[BaseModel] = Config
) -> type[BaseModel] | None:
    """The pydantic model that owns the key at ``loc`` in ``raw`` (for "did you mean").

    Sources are validated one by one against their kind's model (``root``).
    """
    if root is not Config:
        return root if len(loc) == 1 else None
    model: type[BaseModel] = Config
    node: Any = raw
    for part in loc[:-1]:
        if isinstance(part, int):
            node = node[part] if isinstance(node, list) and part < len(node) else {}
            continue
        node = node.get(part, {}) if isinstance(node, dict) else {}
        if part in _SECTIONS:
            model = _SECTIONS[part]
    return model


def _validation_problems(
    path: str,
    error: ValidationError,
    lines: Lines,
    raw: dict[str, Any],
    prefix: tuple[str | int, ...] = (),
    root: type[BaseModel] = Config,
) -> list[ConfigProblem]:
    """One problem per error; ``raw`` is what ``root`` validated, found at ``prefix``."""
    problems = []
    for err in error.errors():
        loc = (*prefix, *err["loc"])
        if err["type"] == "extra_forbidden" and loc[-1] == "include" and len(loc) > 1:
            # TOML puts a key below a [table] header into that table.
            message = "include is a top-level key: move it above the first [table]"
        elif err["type"] == "extra_forbidden":
            message = _unknown_key(str(loc[-1]), _model_at(err["loc"], raw, root))
        elif err["type"] == "missing":
            message = "required key is missing"
        else:
            message = plain_message(err, loc)
        problems.append(problem(path, loc, message, lines))
    return problems


def _bare_numbers(raw: dict[str, Any]) -> list[tuple[tuple[str | int, ...], str]]:
    """Durations written as a bare number (``every = 15``) in the tables of ``raw``."""
    found = bare_number_durations(Config, raw, ())
    for name, model in _SECTIONS.items():
        entries = raw.get(name)
        if name in _ARRAYS and isinstance(entries, list):
            for index, entry in enumerate(entries):
                found += bare_number_durations(model, entry, (name, index))
        else:
            found += bare_number_durations(model, entries, (name,))
    return found


def _validate_sources(
    path: str, raw_sources: Any, lines: Lines
) -> tuple[list[tuple[int, SourceSettings]], list[ConfigProblem]]:
    problems: list[ConfigProblem] = []
    sources: list[tuple[int, SourceSettings]] = []
    if not isinstance(raw_sources, list):
        message = "write [[sources]] (two brackets): each source is its own [[sources]] table"
        return [], [problem(path, ("sources",), message, lines)]
    for index, entry in enumerate(raw_sources):
        loc: tuple[str | int, ...] = ("sources", index)
        if not isinstance(entry, dict):
            problems.append(problem(path, loc, "must be a table", lines))
            continue
        try:
            entry = expand_preset(entry)
        except ValueError as exc:
            problems.append(problem(path, (*loc, getattr(exc, "key", "preset")), str(exc), lines))
            continue
        kind = entry.get("kind")
        if kind not in SOURCE_KINDS:
            known = ", ".join(sorted(SOURCE_KINDS))
            message = "required key is missing" if kind is None else f"unknown kind {kind!r}"
            close = difflib.get_close_matches(str(kind).lower(), sorted(SOURCE_KINDS), n=1)
            hint = f"; did you mean '{close[0]}'?" if kind is not None and close else ""
            problems.append(
                problem(path, (*loc, "kind"), f"{message}{hint} (one of: {known})", lines)
            )
            continue
        settings = SOURCE_KINDS[kind].settings_model
        for where, message in bare_number_durations(settings, entry, loc):
            problems.append(problem(path, where, message, lines))
        try:
            sources.append((index, settings.model_validate(entry)))
        except ValidationError as exc:
            problems += _validation_problems(path, exc, lines, entry, loc, settings)
            # Its references are still checked (the config is refused anyway).
            if (kept := without_bad_keys(settings, entry, exc)) is not None:
                sources.append((index, kept))
    return sources, problems


#: Source keys holding a file path; a relative one is read from the config's folder.
_PATH_KEYS = ("ca_file",)


def _resolve_paths(settings: SourceSettings, folder: Path) -> SourceSettings:
    """``settings`` with its relative file paths made absolute from ``folder``."""
    update: dict[str, str] = {}
    for key in _PATH_KEYS:
        value = getattr(settings, key, None)
        if isinstance(value, str) and value:
            path = Path(value).expanduser()
            if not path.is_absolute():
                update[key] = str(folder / path)
    return settings.model_copy(update=update) if update else settings


def expand_preset(entry: dict[str, Any]) -> dict[str, Any]:
    """Source presets (``preset = "phpbb"`` + ``base_url``): see ``sources/*.toml``."""
    from watchtower.adapters.presets import expand_preset as expand

    return expand(entry)


def expand_includes(raw: dict[str, Any], config_path: Path) -> dict[str, Any]:
    """Append the rules of the packs named in ``include = ["crisis-fr"]`` (see ``packs``)."""
    from watchtower.packs import expand_includes as expand

    return expand(raw, config_path)


def load_config(path: str | os.PathLike[str] | None = None) -> LoadedConfig:
    """Load and validate a configuration file; raise :class:`ConfigError` listing every problem."""
    config_path = Path(path or os.environ.get("WATCHTOWER_CONFIG") or DEFAULT_CONFIG)
    shown = str(config_path)
    try:
        data = config_path.read_bytes()
    except FileNotFoundError:
        message = _not_found(path, config_path)
        raise ConfigError([ConfigProblem(shown, None, "", message)]) from None
    except IsADirectoryError:
        raise ConfigError([ConfigProblem(shown, None, "", "is a folder, not a file")]) from None
    except OSError as exc:
        reason = exc.strerror or str(exc)
        raise ConfigError([ConfigProblem(shown, None, "", f"cannot read: {reason}")]) from None
    return parse_config(decode_config(data, shown), config_path)


def _not_found(named: str | os.PathLike[str] | None, config_path: Path) -> str:
    """What to do about a missing config file, by where its name came from."""
    if named:  # --config: the user knows which file they meant
        return "file not found"
    if os.environ.get("WATCHTOWER_CONFIG"):
        return "file not found (named by the environment variable WATCHTOWER_CONFIG)"
    folder = config_path.absolute().parent
    return (
        f"file not found in {folder}: run `watchtower init` (or copy config.example.toml "
        f'to {DEFAULT_CONFIG}) and edit it (README, "Configuration"), or name your config '
        f"file with --config FILE or the environment variable WATCHTOWER_CONFIG"
    )


def parse_config(text: str, config_path: Path) -> LoadedConfig:
    """Validate configuration ``text`` as if read from ``config_path``."""
    shown = str(config_path)
    text = text.removeprefix("\ufeff")  # a BOM (Windows Notepad) is not an error
    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError([toml_problem(shown, text, exc)]) from None
    lines = locate_keys(text)
    try:
        raw = expand_includes(raw, config_path)
    except ConfigError as exc:  # the packs module knows the key; the line is found here
        located = [
            p if p.line else ConfigProblem(p.path, lines.get(("include",)), p.key, p.message)
            for p in exc.problems
        ]
        raise ConfigError(located) from None
    raw_sources = raw.pop("sources", [])
    problems: list[ConfigProblem] = []
    sources, source_problems = _validate_sources(shown, raw_sources, lines)
    folder = config_path.resolve().parent
    sources = [(index, _resolve_paths(settings, folder)) for index, settings in sources]
    for where, message in _bare_numbers(raw):
        problems.append(problem(shown, where, message, lines))
    config: Config | None
    try:
        config = Config.model_validate(raw)
    except ValidationError as exc:
        problems += _validation_problems(shown, exc, lines, raw)
        config = None
    if config is not None:
        config = config.model_copy(update={"sources": [s for _, s in sources]})
    if config is not None and not source_problems:
        parts = Parts.of(config)
    else:
        parts = Parts.salvage(raw, raw_sources, sources)
    problems += source_problems
    problems += cross_check(shown, parts, lines)
    if problems or config is None:
        problems.sort(key=lambda p: (p.line or 0, p.key))
        raise ConfigError(problems)
    overrides = EnvOverrides()
    if overrides.database_url:
        section = config.watchtower.model_copy(update={"database_url": overrides.database_url})
        config = config.model_copy(update={"watchtower": section})
    loaded = LoadedConfig(
        # As given, not resolved: a reload reads it again, and a symlink
        # (a ConfigMap's ``..data``, a ``current`` folder) may lead elsewhere then.
        path=config_path.absolute(),
        config=config,
        secrets=Secrets(),
        warnings=tuple(config_warnings(shown, config, lines)),
    )
    # Read from the environment just now: hidden before anything can quote them
    # (the first poll; on a reload, the new values, the old ones staying hidden).
    register_loaded(loaded)
    return loaded


def config_schema() -> dict[str, Any]:
    """JSON Schema of the config file, for editors (``watchtower schema``).

    ``[[sources]]`` is a discriminated union on ``kind``: each kind's own keys are
    completed and checked, and an unknown kind is an error. An entry with
    ``preset`` instead of ``kind`` is checked against the shipped preset names.
    """
    from watchtower.adapters.presets import presets
    from watchtower.schema import tidy_schema

    models = tuple(k.settings_model for k in SOURCE_KINDS.values())
    source: Any = Annotated[Union[models], Field(discriminator="kind")]  # noqa: UP007
    model = create_model(
        "Config",
        __base__=Config,
        __doc__=Config.__doc__,
        sources=(list[source], Field(default_factory=list)),
    )
    schema = model.model_json_schema(by_alias=True, mode="validation")
    union = schema["properties"]["sources"]["items"]
    preset: dict[str, Any] = {
        "type": "object",
        "description": "A source from a shipped preset: `preset` plus `base_url` (see sources/).",
        "properties": {
            "name": {"type": "string"},
            "preset": {"enum": sorted(presets())},
            "base_url": {"type": "string", "pattern": "^https?://"},
        },
        "required": ["name", "preset"],
    }
    schema["properties"]["sources"]["items"] = {
        "if": {"type": "object", "required": ["preset"]},
        "then": preset,
        "else": union,
    }
    for name in (m.__name__ for m in models):
        # ``kind`` has a default in the models (the loader picks the model by it),
        # but in a file it is what selects the branch, so it is required.
        definition = schema["$defs"][name]
        definition["required"] = sorted({*definition.get("required", []), "kind"})
    return tidy_schema(schema)
