"""Configuration: one TOML file loaded into strict pydantic models.

Every problem is collected and reported as ``PATH:LINE: key: message``; unknown
keys are errors (with a "did you mean" hint), URLs must be http(s), durations are
``90s``/``10m``/``1h``. Secrets come only from the environment
(``SLACK_BOT_TOKEN``, ``SMTP_USERNAME``, ``SMTP_PASSWORD``) and are kept as
:class:`~pydantic.SecretStr`, so they never print.
"""

from __future__ import annotations

import difflib
import os
import re
import tomllib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Annotated, Any, Literal, Union
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    SecretStr,
    ValidationError,
    WithJsonSchema,
    create_model,
    field_validator,
)
from pydantic_settings import BaseSettings, SettingsConfigDict

from watchtower.adapters.base import Duration, HttpUrl, SourceSettings
from watchtower.adapters.registry import REGISTRY as SOURCE_KINDS
from watchtower.errors import ConfigError, ConfigProblem
from watchtower.notify.registry import TARGET_KINDS
from watchtower.tomllines import Lines, dotted, line_for, locate_keys

DEFAULT_CONFIG = "watchtower.toml"


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


def _timezone(value: str) -> str:
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(f"unknown time zone {value!r} (e.g. 'Europe/Paris')") from None
    return value


def _target(value: str) -> str:
    kind, sep, address = value.partition(":")
    if not sep or kind not in TARGET_KINDS:
        kinds = ", ".join(f"'{k}:…'" for k in TARGET_KINDS)
        raise ValueError(f"unknown target {value!r}; use one of {kinds}")
    TARGET_KINDS[kind].validate_address(address)
    return value


Target = Annotated[
    str,
    AfterValidator(_target),
    WithJsonSchema(
        {
            "type": "string",
            "pattern": "^(" + "|".join(TARGET_KINDS) + "):",
            "description": "'slack:#channel', 'email:someone@example.fr', 'console:' "
            "or 'apprise:URL'",
        }
    ),
]


def _digest(value: str) -> str:
    from watchtower.timewindows import parse_digest

    parse_digest(value)
    return value


def _window(value: str) -> str:
    from watchtower.timewindows import parse_window

    parse_window(value)
    return value


def _listen_address(value: str) -> str:
    host, sep, port = value.rpartition(":")
    if not sep or not host or not port.isdigit() or not 0 <= int(port) < 65536:
        raise ValueError(f"expected HOST:PORT such as '127.0.0.1:8080', got {value!r}")
    return value


class WatchtowerSection(_Strict):
    """``[watchtower]``: where state lives and how the daemon behaves."""

    database_url: str = "sqlite:///watchtower.db"
    timezone: Annotated[str, AfterValidator(_timezone)] = "Europe/Paris"
    language: Literal["fr", "en"] = "fr"
    default_notify: list[Target] | None = Field(
        default=None,
        description="Targets for brand mentions that no rule claims "
        "(default: the Slack default channel, or the console).",
    )
    ops_notify: list[Target] = Field(default_factory=list)
    poll_interval: Duration = timedelta(seconds=30)
    drain_interval: Duration = timedelta(seconds=5)
    concurrency: int = Field(default=20, ge=1, le=500)
    per_host_concurrency: int = Field(default=2, ge=1, le=50)
    retention: Duration = timedelta(days=90)
    max_response_bytes: int = Field(default=10_000_000, ge=10_000)
    request_timeout: Duration = timedelta(seconds=30)
    max_delivery_attempts: int = Field(default=12, ge=1, le=100)
    source_alert_after: int = Field(
        default=5,
        ge=1,
        le=1000,
        description="Tell ops_notify when a source failed this many times in a row "
        "(once, and once more when it recovers).",
    )
    silence_factor: float = Field(
        default=10.0,
        ge=2.0,
        description="Tell ops_notify when a source has published nothing for this many "
        "times its usual gap between items.",
    )
    silence_min: Duration = Field(
        default=timedelta(hours=24),
        description="Never call a source silent before this long without a new item.",
    )
    http: Annotated[str, AfterValidator(_listen_address)] | None = Field(
        default=None,
        description="Serve /healthz and /metrics on this HOST:PORT (e.g. '127.0.0.1:8080'); "
        "off when unset.",
    )
    delivery_lease: Duration = Field(
        default=timedelta(minutes=5),
        description="How long a claimed notification is reserved; after a crash it is "
        "claimed again (and checked against Slack before resending) once this expires.",
    )


class SlackSection(_Strict):
    """``[slack]``; the token comes from ``SLACK_BOT_TOKEN``."""

    default_channel: str = Field(default="#veille", pattern=r"^[#@]?[\w.-]+$")
    api_url: HttpUrl = "https://slack.com/api/"
    timeout: Duration = timedelta(seconds=15)
    channel_interval: Duration = Field(
        default=timedelta(seconds=1),
        description="Minimum time between two messages in one channel (Slack allows ~1/s).",
    )
    reconcile: bool = Field(
        default=True,
        description="Before resending a message whose outcome is unknown, look for it "
        "(by its metadata) in conversations.history.",
    )


class EmailSection(_Strict):
    """``[email]``; credentials come from ``SMTP_USERNAME`` / ``SMTP_PASSWORD``."""

    smtp_host: str = "localhost"
    smtp_port: int = Field(default=587, ge=1, le=65535)
    starttls: bool = True
    ssl: bool = False
    from_: str = Field(default="watchtower@localhost", alias="from")
    timeout: Duration = timedelta(seconds=30)


class DedupSection(_Strict):
    """``[dedup]``: when two items are the same story."""

    window: Duration = Field(
        default=timedelta(days=7),
        description="How far back a new item is compared with earlier ones.",
    )
    similarity: float = Field(
        default=0.6,
        ge=0.3,
        le=1.0,
        description="Share of content words two texts must have in order to be one story.",
    )
    tracking_params: list[str] = Field(
        default_factory=list,
        description="Extra URL query parameters to ignore (``utm_*`` and the usual trackers "
        "are always ignored); a trailing ``*`` matches a prefix.",
    )


class BrandConfig(_Strict):
    """``[[brands]]``: a brand and the words that mean it."""

    name: str = Field(min_length=1, max_length=200)
    terms: list[str] = Field(min_length=1)
    exclude: list[str] = Field(default_factory=list)
    fuzzy: int = Field(default=0, ge=0, le=2)

    @field_validator("terms", "exclude")
    @classmethod
    def _non_blank(cls, values: list[str]) -> list[str]:
        for v in values:
            if not v.strip():
                raise ValueError("terms cannot be blank")
        return values


class RuleConfig(_Strict):
    """``[[rules]]``: which mentions go where, and how urgent they are."""

    name: str = Field(min_length=1, max_length=200)
    brands: list[str] | None = None
    sources: list[str] | None = None
    query: str | None = None
    exclude: list[str] = Field(default_factory=list)
    severity: Literal["info", "warning", "critical"] = "info"
    notify: list[Target] = Field(default_factory=list)
    # Alerting (see config.example.toml): grouping, digests, spikes and escalation.
    group_wait: Duration = timedelta(0)
    group_interval: Duration = timedelta(minutes=5)
    digest: Annotated[str, AfterValidator(_digest)] | None = None
    spikes: bool = False
    escalate_to: list[Annotated[str, Field(pattern=r"^@[A-Z0-9]+$")]] = Field(default_factory=list)
    ack_timeout: Duration = timedelta(minutes=15)
    escalate_notify: list[Target] = Field(default_factory=list)


class QuietHoursConfig(_Strict):
    """``[[quiet_hours]]``: windows during which these targets only get critical alerts."""

    targets: list[Target] = Field(min_length=1)
    windows: list[Annotated[str, AfterValidator(_window)]] = Field(min_length=1)
    timezone: Annotated[str, AfterValidator(_timezone)] | None = None


class SpikesSection(_Strict):
    """``[spikes]``: per-brand volume spikes against each brand's own baseline."""

    enabled: bool = True
    window: Duration = timedelta(hours=1)
    baseline_days: int = Field(default=14, ge=2, le=90)
    min_count: int = Field(default=10, ge=1)
    max_p: float = Field(default=0.001, gt=0, lt=1)
    min_ratio: float = Field(default=3.0, ge=1)
    cooldown: Duration = timedelta(hours=6)
    notify: list[Target] = Field(default_factory=list)
    escalate_to: list[Annotated[str, Field(pattern=r"^@[A-Z0-9]+$")]] = Field(default_factory=list)
    ack_timeout: Duration = timedelta(minutes=15)
    escalate_notify: list[Target] = Field(default_factory=list)


class EnvOverrides(BaseSettings):
    """Environment variables that override the file (``WATCHTOWER_DATABASE_URL``)."""

    model_config = SettingsConfigDict(env_prefix="WATCHTOWER_", extra="ignore")

    database_url: str | None = None


class Secrets(BaseSettings):
    """Secrets, from the environment only. ``SecretStr`` never prints its value."""

    model_config = SettingsConfigDict(extra="ignore")

    slack_bot_token: SecretStr | None = None
    smtp_username: SecretStr | None = None
    smtp_password: SecretStr | None = None


class Config(_Strict):
    """The whole configuration file."""

    include: list[str] = Field(default_factory=list)
    watchtower: WatchtowerSection = WatchtowerSection()
    slack: SlackSection | None = None
    email: EmailSection | None = None
    dedup: DedupSection = DedupSection()
    brands: list[BrandConfig] = Field(default_factory=list)
    sources: list[Any] = Field(default_factory=list)  # SourceSettings subclasses
    rules: list[RuleConfig] = Field(default_factory=list)
    quiet_hours: list[QuietHoursConfig] = Field(default_factory=list)
    spikes: SpikesSection | None = None


@dataclass(frozen=True)
class LoadedConfig:
    """A validated configuration plus where it came from and the environment's secrets."""

    path: Path
    config: Config
    secrets: Secrets
    files: tuple[Path, ...] = field(default=())

    @property
    def sources(self) -> list[SourceSettings]:
        return list(self.config.sources)

    @property
    def database_url(self) -> str:
        return resolve_database_url(self.config.watchtower.database_url, self.path.parent)


def resolve_database_url(url: str, base: Path) -> str:
    """Resolve a relative SQLite path against the config file's folder."""
    prefix = "sqlite:///"
    if url.startswith(prefix):
        rest = url[len(prefix) :]
        if rest and not rest.startswith("/") and not rest.startswith(":memory:"):
            return prefix + str((base / rest).resolve())
    return url


def _known_keys(model: type[BaseModel]) -> list[str]:
    return [f.alias or name for name, f in model.model_fields.items()]


def _model_at(loc: Sequence[str | int], raw: dict[str, Any]) -> type[BaseModel] | None:
    """The pydantic model that owns the key at ``loc`` (for "did you mean")."""
    model: type[BaseModel] | None = Config
    node: Any = raw
    for part in loc[:-1]:
        if isinstance(part, int):
            node = node[part] if isinstance(node, list) and part < len(node) else {}
            continue
        node = node.get(part, {}) if isinstance(node, dict) else {}
        mapping: dict[str, type[BaseModel]] = {
            "watchtower": WatchtowerSection,
            "slack": SlackSection,
            "email": EmailSection,
            "brands": BrandConfig,
            "rules": RuleConfig,
            "dedup": DedupSection,
            "quiet_hours": QuietHoursConfig,
            "spikes": SpikesSection,
        }
        if part == "sources":
            model = None
        elif part in mapping:
            model = mapping[part]
    if model is None and isinstance(node, dict):
        kind = node.get("kind")
        if isinstance(kind, str) and kind in SOURCE_KINDS:
            model = SOURCE_KINDS[kind].settings_model
    return model


def _problem(path: str, loc: Sequence[str | int], message: str, lines: Lines) -> ConfigProblem:
    return ConfigProblem(path, line_for(loc, lines), dotted(loc), message)


def _validation_problems(
    path: str,
    error: ValidationError,
    lines: Lines,
    raw: dict[str, Any],
    prefix: tuple[str | int, ...] = (),
) -> list[ConfigProblem]:
    problems = []
    for err in error.errors():
        loc = (*prefix, *err["loc"])
        if err["type"] == "extra_forbidden":
            model = _model_at(loc, raw)
            hint = ""
            if model is not None:
                close = difflib.get_close_matches(str(loc[-1]), _known_keys(model), n=1)
                if close:
                    hint = f"; did you mean '{close[0]}'?"
            message = f"unknown key{hint}"
        elif err["type"] == "missing":
            message = "required key is missing"
        else:
            message = err["msg"].removeprefix("Value error, ")
        problems.append(_problem(path, loc, message, lines))
    return problems


def _validate_sources(
    path: str, raw_sources: Any, lines: Lines, raw: dict[str, Any]
) -> tuple[list[SourceSettings], list[ConfigProblem]]:
    problems: list[ConfigProblem] = []
    sources: list[SourceSettings] = []
    if not isinstance(raw_sources, list):
        return [], [_problem(path, ("sources",), "must be an array of tables [[sources]]", lines)]
    for index, entry in enumerate(raw_sources):
        loc: tuple[str | int, ...] = ("sources", index)
        if not isinstance(entry, dict):
            problems.append(_problem(path, loc, "must be a table", lines))
            continue
        try:
            entry = expand_preset(entry)
        except ValueError as exc:
            problems.append(_problem(path, (*loc, "preset"), str(exc), lines))
            continue
        kind = entry.get("kind")
        if kind not in SOURCE_KINDS:
            known = ", ".join(sorted(SOURCE_KINDS))
            message = "required key is missing" if kind is None else f"unknown kind {kind!r}"
            problems.append(_problem(path, (*loc, "kind"), f"{message} (one of: {known})", lines))
            continue
        try:
            sources.append(SOURCE_KINDS[kind].settings_model.model_validate(entry))
        except ValidationError as exc:
            problems += _validation_problems(path, exc, lines, raw, loc)
    return sources, problems


def expand_preset(entry: dict[str, Any]) -> dict[str, Any]:
    """Source presets (``preset = "phpbb"`` + ``base_url``): see ``sources/*.toml``."""
    from watchtower.adapters.presets import expand_preset as expand

    return expand(entry)


def expand_includes(raw: dict[str, Any], config_path: Path) -> dict[str, Any]:
    """Append the rules of the packs named in ``include = ["crisis-fr"]`` (see ``packs``)."""
    from watchtower.packs import expand_includes as expand

    return expand(raw, config_path)


def _cross_check(path: str, config: Config, lines: Lines) -> list[ConfigProblem]:
    problems: list[ConfigProblem] = []

    def unique(kind: str, names: Iterable[str]) -> None:
        seen: set[str] = set()
        for index, name in enumerate(names):
            if name in seen:
                problems.append(
                    _problem(path, (kind, index, "name"), f"duplicate name {name!r}", lines)
                )
            seen.add(name)

    unique("brands", (b.name for b in config.brands))
    unique("sources", (s.name for s in config.sources))
    unique("rules", (r.name for r in config.rules))
    section_targets = [*(config.watchtower.default_notify or []), *config.watchtower.ops_notify]
    if config.email is None and any(t.startswith("email:") for t in section_targets):
        problems.append(
            _problem(
                path,
                ("watchtower",),
                "an email: target needs an [email] section with smtp_host and from",
                lines,
            )
        )
    for index, rule in enumerate(config.rules):
        if config.email is None and any(t.startswith("email:") for t in rule.notify):
            problems.append(
                _problem(
                    path,
                    ("rules", index, "notify"),
                    "an email: target needs an [email] section with smtp_host and from",
                    lines,
                )
            )
    brand_names = {b.name for b in config.brands}
    source_names = {s.name for s in config.sources}
    for index, rule in enumerate(config.rules):
        for key, names, known in (
            ("brands", rule.brands, brand_names),
            ("sources", rule.sources, source_names),
        ):
            for name in names or ():
                if name not in known:
                    close = difflib.get_close_matches(name, sorted(known), n=1)
                    hint = f"; did you mean '{close[0]}'?" if close else ""
                    problems.append(
                        _problem(
                            path,
                            ("rules", index, key),
                            f"unknown {key[:-1]} {name!r}{hint}",
                            lines,
                        )
                    )
        if rule.query is not None:
            from watchtower.pipeline.match import QuerySyntaxError, parse_query

            try:
                parse_query(rule.query)
            except QuerySyntaxError as exc:
                problems.append(_problem(path, ("rules", index, "query"), str(exc), lines))
        problems += _term_problems(path, ("rules", index, "exclude"), rule.exclude, lines)
    for index, brand in enumerate(config.brands):
        for key in ("terms", "exclude"):
            problems += _term_problems(path, ("brands", index, key), getattr(brand, key), lines)
    return problems


def _term_problems(
    path: str,
    loc: tuple[str | int, ...],
    terms: Sequence[str],
    lines: Lines,
) -> list[ConfigProblem]:
    """Brand terms and exclusions must be terms the matcher can use (``rembours*``, ``acme.fr``)."""
    from watchtower.pipeline.match.query import QuerySyntaxError, parse_term

    problems = []
    for position, term in enumerate(terms):
        try:
            parse_term(term)
        except QuerySyntaxError as exc:
            message = str(exc).split(": ", 1)[-1] if str(exc).startswith("column") else str(exc)
            problems.append(_problem(path, (*loc, position), message, lines))
    return problems


def load_config(path: str | os.PathLike[str] | None = None) -> LoadedConfig:
    """Load and validate a configuration file; raise :class:`ConfigError` listing every problem."""
    config_path = Path(path or os.environ.get("WATCHTOWER_CONFIG") or DEFAULT_CONFIG)
    shown = str(config_path)
    try:
        text = config_path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError([ConfigProblem(shown, None, "", "file not found")]) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError([ConfigProblem(shown, None, "", f"cannot read: {exc}")]) from None
    return parse_config(text, config_path)


_TOML_POS = re.compile(r"\(at line (\d+), column (\d+)\)")


def parse_config(text: str, config_path: Path) -> LoadedConfig:
    """Validate configuration ``text`` as if read from ``config_path``."""
    shown = str(config_path)
    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        message = str(exc)
        m = _TOML_POS.search(message)
        line = int(m.group(1)) if m else None
        message = _TOML_POS.sub("", message).strip()
        if m:
            message += f" (column {m.group(2)})"
        raise ConfigError(
            [ConfigProblem(shown, line, "", f"TOML syntax error: {message}")]
        ) from None
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
    sources, source_problems = _validate_sources(shown, raw_sources, lines, raw)
    try:
        config = Config.model_validate(raw)
    except ValidationError as exc:
        problems += _validation_problems(shown, exc, lines, raw)
        config = None
    problems += source_problems
    if config is not None and not problems:
        config = config.model_copy(update={"sources": sources})
        overrides = EnvOverrides()
        if overrides.database_url:
            section = config.watchtower.model_copy(update={"database_url": overrides.database_url})
            config = config.model_copy(update={"watchtower": section})
        problems += _cross_check(shown, config, lines)
    if problems or config is None:
        problems.sort(key=lambda p: (p.line or 0, p.key))
        raise ConfigError(problems)
    return LoadedConfig(path=config_path.resolve(), config=config, secrets=Secrets())


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
