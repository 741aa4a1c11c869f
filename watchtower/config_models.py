"""The configuration file's shape: one strict pydantic model per TOML table.

Unknown keys are refused (``extra="forbid"``), values are checked where they
are declared; :mod:`watchtower.config` loads a file into these models and
reports every problem at its line.
"""

from __future__ import annotations

import email.utils
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Annotated, Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    SecretStr,
    WithJsonSchema,
)
from pydantic_settings import BaseSettings, SettingsConfigDict

from watchtower.adapters.base import (
    Backlog,
    Duration,
    HttpUrl,
    PositiveDuration,
    SourceSettings,
)
from watchtower.config_messages import schedule_hint, zone_hint
from watchtower.errors import ConfigProblem
from watchtower.notify.registry import TARGET_KINDS


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


def _timezone(value: str) -> str:
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(f"unknown time zone {value!r}{zone_hint(value)}") from None
    return value


def _target(value: str) -> str:
    kind, sep, address = value.partition(":")
    if not sep or kind not in TARGET_KINDS:
        kinds = ", ".join(f"'{k}:…'" for k in TARGET_KINDS)
        raise ValueError(f"unknown target {value!r}; use one of {kinds}")
    try:
        TARGET_KINDS[kind].validate_address(address)
    except ValueError as exc:
        hint = ""
        if kind == "slack" and address and address[0] not in "#@":
            hint = f"; did you mean 'slack:#{address.strip()}'?"
        raise ValueError(f"{exc}{hint}") from None
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

    try:
        parse_digest(value)
    except ValueError as exc:
        raise ValueError(f"{exc}{schedule_hint(value, parse_digest)}") from None
    return value


def _window(value: str) -> str:
    from watchtower.timewindows import parse_window

    try:
        parse_window(value)
    except ValueError as exc:
        raise ValueError(f"{exc}{schedule_hint(value, parse_window)}") from None
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
    backlog: Backlog = Field(
        default=timedelta(days=3),
        description="On a source's first poll, items published longer ago than this are "
        "its history, not news: recorded without notification. 'all' notifies them too.",
    )
    poll_interval: PositiveDuration = timedelta(seconds=30)
    drain_interval: PositiveDuration = timedelta(seconds=5)
    concurrency: int = Field(default=20, ge=1, le=500)
    per_host_concurrency: int = Field(default=2, ge=1, le=50)
    retention: PositiveDuration = Field(
        default=timedelta(days=90),
        description="How long finished notifications are kept, and items after their "
        "source stopped listing them (an item still listed is kept, never notified twice).",
    )
    max_response_bytes: int = Field(default=10_000_000, ge=10_000)
    request_timeout: PositiveDuration = timedelta(seconds=30)
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
        description="Serve /livez, /readyz, /healthz and /metrics on this HOST:PORT "
        "(e.g. '127.0.0.1:8080'); off when unset.",
    )
    delivery_lease: PositiveDuration = Field(
        default=timedelta(minutes=5),
        description="How long a claimed notification is reserved; after a crash it is "
        "claimed again (and checked against Slack before resending) once this expires.",
    )


class SlackSection(_Strict):
    """``[slack]``; the token comes from ``SLACK_BOT_TOKEN``."""

    default_channel: str = Field(default="#veille", pattern=r"^[#@]?[\w.-]+$")
    api_url: HttpUrl = "https://slack.com/api/"
    timeout: PositiveDuration = timedelta(seconds=15)
    channel_interval: Duration = Field(
        default=timedelta(seconds=1),
        description="Minimum time between two messages in one channel (Slack allows ~1/s).",
    )
    reconcile: bool = Field(
        default=True,
        description="Before resending a message whose outcome is unknown, look for it "
        "(by its metadata) in conversations.history.",
    )


def _sender(value: str) -> str:
    """``[email] from``: an address, with an optional display name; refused at
    ``check`` rather than by the SMTP server at the first alert."""
    _, address = email.utils.parseaddr(value)
    local, at, domain = address.rpartition("@")
    if "\n" in value or "\r" in value or not (local and at and domain) or " " in address:
        raise ValueError(
            f'not a sender address: {value!r}; write from = "veille@example.fr" or '
            f'from = "Veille Acmé <veille@example.fr>"'
        )
    return value


class EmailSection(_Strict):
    """``[email]``; credentials come from ``SMTP_USERNAME`` / ``SMTP_PASSWORD``."""

    smtp_host: str = "localhost"
    smtp_port: int = Field(default=587, ge=1, le=65535)
    starttls: bool = True
    ssl: bool = False
    from_: Annotated[str, AfterValidator(_sender)] = Field(
        default="watchtower@localhost", alias="from"
    )
    timeout: PositiveDuration = timedelta(seconds=30)
    login: bool = Field(
        default=True,
        description="false: the server relays without a login on purpose (it trusts this "
        "machine's address); `watchtower check` then does not ask for SMTP_USERNAME and "
        "SMTP_PASSWORD. Set, they are still sent.",
    )


class DedupSection(_Strict):
    """``[dedup]``: when two items are the same story."""

    window: PositiveDuration = Field(
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
    max_thread_replies: int = Field(
        default=5,
        ge=0,
        le=1000,
        description='Thread replies ("Aussi vu sur…") per story and target; later sightings '
        'only update the story\'s "Vu sur N sites" counter (Slack, at most once a minute) '
        "and print nothing on the console. 0: no replies, only the counter.",
    )


def _non_blank(value: str) -> str:
    if not value.strip():
        raise ValueError("a term cannot be blank")
    return value


#: Checked one by one, so that an error names the term (``terms[2]``).
BrandTerm = Annotated[str, AfterValidator(_non_blank)]


def _matchable(value: str) -> str:
    """A term the matcher can use (``BA``, ``acme.fr``), for keys that
    ``config_refs`` does not check (``match_case``)."""
    from watchtower.pipeline.match.query import QuerySyntaxError, parse_term

    try:
        parse_term(value)
    except QuerySyntaxError as exc:
        message = str(exc)
        short = message.split(": ", 1)[-1] if message.startswith("column") else message
        raise ValueError(short) from None
    return value


class BrandConfig(_Strict):
    """``[[brands]]``: a brand and the words that mean it."""

    name: str = Field(min_length=1, max_length=200)
    terms: list[BrandTerm] = Field(min_length=1)
    exclude: list[BrandTerm] = Field(default_factory=list)
    fuzzy: int = Field(default=0, ge=0, le=2)
    match_case: list[Annotated[BrandTerm, AfterValidator(_matchable)]] = Field(
        default_factory=list,
        description="More terms, matched only where the text writes their letters in "
        "the same case: 'BA' matches 'la BA', not 'le b.a.-ba' nor 'Ba'; "
        "'CA' not 'ça' (accents are still ignored).",
    )
    allow_everyday_words: bool = Field(
        default=False,
        description="Every mention of a term that is an everyday word ('Orange', 'Printemps') "
        "or a common first name ('Alan', 'Lydia') is wanted, fruit, seasons and namesakes "
        "included: `watchtower check` no longer warns about it.",
    )
    notify: list[Target] = Field(
        default_factory=list,
        description="Where this brand's mentions go when no rule with its own `notify` "
        "claims them, instead of [watchtower] default_notify: its unclaimed mentions, "
        "rules without `notify` (the pack rules) and its [spikes] alerts (one client's "
        "channel, for an agency watching several brands).",
    )
    #: This brand's own on-call for its [spikes] alerts, on top of [spikes]
    #: escalate_to/escalate_notify (an agency's account manager for one client).
    escalate_to: list[Annotated[str, Field(pattern=r"^@[A-Z0-9]+$")]] = Field(default_factory=list)
    escalate_notify: list[Target] = Field(default_factory=list)


def _some(what: str) -> Callable[[list[str] | None], list[str] | None]:
    """A check that ``[]`` (which matches no ``what``: the rule would never fire) is refused."""

    def check(value: list[str] | None) -> list[str] | None:
        if value == []:
            raise ValueError(
                f"an empty list matches no {what}: the rule would never fire; "
                f"remove the key to match every {what}"
            )
        return value

    return check


def _pack_rule(value: str) -> str:
    from watchtower.packs import pack_rule

    pack_rule(value)  # ValueError: unknown, with the known ones
    return value


class RuleConfig(_Strict):
    """``[[rules]]``: which mentions go where, and how urgent they are."""

    name: str = Field(min_length=1, max_length=200)
    extends: Annotated[str, AfterValidator(_pack_rule)] | None = Field(
        default=None,
        description="A pack rule ('crisis-fr') this rule copies under its own name: "
        "its query, exclude and severity, unless set here. An included pack rule "
        "that a rule extends is not added itself.",
    )
    brands: Annotated[list[str] | None, AfterValidator(_some("brand"))] = None
    sources: Annotated[list[str] | None, AfterValidator(_some("source"))] = None
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


class DigestConfig(_Strict):
    """``[[digests]]``: these targets get one summary per period instead of each
    notification (critical ones still go out at once)."""

    targets: list[Target] = Field(min_length=1)
    digest: Annotated[str, AfterValidator(_digest)] = Field(
        description="'hourly', 'daily HH:MM' or 'weekly DAY HH:MM' (mon…sun; local time)."
    )
    timezone: Annotated[str, AfterValidator(_timezone)] | None = None
    #: A period with no mention and no critical alert: a short "nothing to report"
    #: digest (with the sources' health), or no message at all.
    when_empty: Literal["send", "skip"] = "send"


class SpikesSection(_Strict):
    """``[spikes]``: per-brand volume spikes against each brand's own baseline."""

    enabled: bool = True
    window: PositiveDuration = timedelta(hours=1)
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
    digests: list[DigestConfig] = Field(default_factory=list)
    spikes: SpikesSection | None = None


@dataclass(frozen=True)
class LoadedConfig:
    """A validated configuration plus where it came from and the environment's secrets."""

    path: Path
    config: Config
    secrets: Secrets
    files: tuple[Path, ...] = field(default=())
    #: What is valid but probably not meant (``watchtower check`` prints them).
    warnings: tuple[ConfigProblem, ...] = field(default=())

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
