"""The configuration file's shape: one strict pydantic model per TOML table.

Unknown keys are refused (``extra="forbid"``), values are checked where they
are declared (the checks: :mod:`watchtower.config_values`);
:mod:`watchtower.config` loads a file into these models and reports every
problem at its line.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

from watchtower.adapters.base import (
    Backlog,
    Duration,
    HttpUrl,
    PositiveDuration,
    SourceSettings,
)
from watchtower.config_values import (
    BrandTerm,
    Target,
    check_digest,
    check_listen_address,
    check_matchable,
    check_pack_rule,
    check_sender,
    check_slack_api_url,
    check_timezone,
    check_window,
    not_empty,
)
from watchtower.errors import ConfigProblem


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


class WatchtowerSection(_Strict):
    """``[watchtower]``: where state lives and how the daemon behaves."""

    database_url: str = "sqlite:///watchtower.db"
    timezone: Annotated[str, AfterValidator(check_timezone)] = "Europe/Paris"
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
    http: Annotated[str, AfterValidator(check_listen_address)] | None = Field(
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
    api_url: Annotated[HttpUrl, AfterValidator(check_slack_api_url)] = "https://slack.com/api/"
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


class EmailSection(_Strict):
    """``[email]``; credentials come from ``SMTP_USERNAME`` / ``SMTP_PASSWORD``."""

    smtp_host: str = "localhost"
    smtp_port: int = Field(default=587, ge=1, le=65535)
    starttls: bool = True
    ssl: bool = False
    from_: Annotated[str, AfterValidator(check_sender)] = Field(
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


class BrandConfig(_Strict):
    """``[[brands]]``: a brand and the words that mean it."""

    name: str = Field(min_length=1, max_length=200)
    terms: list[BrandTerm] = Field(min_length=1)
    exclude: list[BrandTerm] = Field(default_factory=list)
    fuzzy: int = Field(default=0, ge=0, le=2)
    match_case: list[Annotated[BrandTerm, AfterValidator(check_matchable)]] = Field(
        default_factory=list,
        description="More terms, matched only where the text writes their letters in "
        "the same case: 'BA' matches 'la BA', not 'le b.a.-ba' nor 'Ba'; "
        "'CA' not 'ça' (accents are still ignored).",
    )
    allow_everyday_words: bool = Field(
        default=False,
        description="Every mention of a term that is an everyday word ('Orange', 'Printemps') "
        "or a common first name ('Alan', 'Lydia') is wanted, fruit, seasons and namesakes "
        "included: `watchtower check` no longer warns about it. With `fuzzy`, the typos "
        "that are everyday words, first names or places ('orage' for 'Orange') are "
        "mentions too.",
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


class RuleConfig(_Strict):
    """``[[rules]]``: which mentions go where, and how urgent they are."""

    name: str = Field(min_length=1, max_length=200)
    extends: Annotated[str, AfterValidator(check_pack_rule)] | None = Field(
        default=None,
        description="A pack rule ('crisis-fr') this rule copies under its own name: "
        "its query, exclude and severity, unless set here. An included pack rule "
        "that a rule extends is not added itself.",
    )
    brands: Annotated[list[str] | None, AfterValidator(not_empty("brand"))] = None
    sources: Annotated[list[str] | None, AfterValidator(not_empty("source"))] = None
    query: str | None = None
    exclude: list[str] = Field(default_factory=list)
    severity: Literal["info", "warning", "critical"] = "info"
    notify: list[Target] = Field(default_factory=list)
    # Alerting (see config.example.toml): grouping, digests, spikes and escalation.
    group_wait: Duration = timedelta(0)
    group_interval: Duration = timedelta(minutes=5)
    digest: Annotated[str, AfterValidator(check_digest)] | None = None
    spikes: bool = False
    escalate_to: list[Annotated[str, Field(pattern=r"^@[A-Z0-9]+$")]] = Field(default_factory=list)
    ack_timeout: Duration = timedelta(minutes=15)
    escalate_notify: list[Target] = Field(default_factory=list)


class QuietHoursConfig(_Strict):
    """``[[quiet_hours]]``: windows during which these targets only get critical alerts."""

    targets: list[Target] = Field(min_length=1)
    windows: list[Annotated[str, AfterValidator(check_window)]] = Field(min_length=1)
    timezone: Annotated[str, AfterValidator(check_timezone)] | None = None


class DigestConfig(_Strict):
    """``[[digests]]``: these targets get one summary per period instead of each
    notification (critical ones still go out at once)."""

    targets: list[Target] = Field(min_length=1)
    digest: Annotated[str, AfterValidator(check_digest)] = Field(
        description="'hourly', 'daily HH:MM' or 'weekly DAY HH:MM' (mon…sun; local time)."
    )
    timezone: Annotated[str, AfterValidator(check_timezone)] | None = None
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
        # Next to the file the path leads to, as before the path was kept as given
        # (an upgrade must not start on a new, empty database beside a symlink).
        return resolve_database_url(self.config.watchtower.database_url, self.path.resolve().parent)


def resolve_database_url(url: str, base: Path) -> str:
    """Resolve a relative SQLite path against the config file's folder."""
    prefix = "sqlite:///"
    if url.startswith(prefix):
        rest = url[len(prefix) :]
        if rest and not rest.startswith("/") and not rest.startswith(":memory:"):
            return prefix + str((base / rest).resolve())
    return url
