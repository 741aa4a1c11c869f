"""The keys of an ``kind = "imap"`` source (:mod:`.imap`): the server, the way to
log in (a password, or OAuth 2 with a provider's defaults), the folder and the
limits of one check."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, HttpUrl, field_validator, model_validator

from watchtower.adapters._imap_session import bare_host, login_problem
from watchtower.adapters.base import SourceSettings
from watchtower.config_values import in_clear_over_network
from watchtower.own_secrets import check_source_secret_env

__all__ = ["ImapSettings"]

_ENV_NAME = r"^[A-Za-z_][A-Za-z0-9_]*$"


class ImapSettings(SourceSettings):
    """Keys of an IMAP mailbox source."""

    kind: Literal["imap"] = "imap"
    host: str = Field(min_length=1, max_length=255)
    port: int | None = Field(default=None, ge=1, le=65535)
    tls: Literal["implicit", "starttls", "none"] = "implicit"
    username: str = Field(min_length=1)
    auth: Literal["password", "oauth2"] = Field(
        default="password",
        description="password: LOGIN with password_env; oauth2: AUTHENTICATE XOAUTH2 with "
        "an access token (Microsoft 365, Google Workspace, Gmail).",
    )
    password_env: str | None = Field(default=None, pattern=_ENV_NAME)
    provider: Literal["microsoft", "google"] | None = Field(
        default=None, description="oauth2: fills token_url and scope for this provider."
    )
    tenant: str | None = Field(
        default=None,
        pattern=r"^[A-Za-z0-9.-]{1,100}$",
        description='oauth2 with provider = "microsoft": the directory (tenant) ID or '
        "domain, e.g. entreprise.onmicrosoft.com.",
    )
    token_url: HttpUrl | None = Field(
        default=None, description="oauth2: the token endpoint (default: the provider's)."
    )
    client_id: str | None = Field(default=None, min_length=1, max_length=200)
    client_secret_env: str | None = Field(default=None, pattern=_ENV_NAME)
    refresh_token_env: str | None = Field(default=None, pattern=_ENV_NAME)
    scope: str | None = Field(
        default=None,
        min_length=1,
        max_length=500,
        description="oauth2: the scope asked for (default: the provider's).",
    )
    folder: str = "INBOX"
    mark_seen: bool = False
    max_messages: int = Field(default=50, ge=1, le=1000)
    max_message_bytes: int = Field(
        default=5_000_000,
        ge=10_000,
        le=100_000_000,
        description="An e-mail larger than this (a big attachment) is read in part: its "
        "header and this many bytes of its body, with a warning naming it.",
    )
    ca_file: str | None = Field(
        default=None,
        description="PEM file of CAs to trust; a relative path is read from the config's folder.",
    )

    @field_validator("password_env", "client_secret_env", "refresh_token_env")
    @classmethod
    def _not_our_secret(cls, value: str | None) -> str | None:
        return check_source_secret_env(value)

    @field_validator("host")
    @classmethod
    def _bare_host(cls, value: str) -> str:
        return bare_host(value)

    @model_validator(mode="after")
    def _plain_only_locally(self) -> ImapSettings:
        if self.tls == "none" and not self.allow_private:
            secret = "password" if self.auth == "password" else "access token"
            raise ValueError(f'tls = "none" sends the {secret} in clear; only with allow_private')
        if self.token_url and in_clear_over_network(str(self.token_url)) and not self.allow_private:
            raise ValueError(
                "token_url over http:// sends the client secret in clear; use https:// "
                "(or allow_private, for a token endpoint on this network)"
            )
        return self

    @model_validator(mode="after")
    def _one_way_to_log_in(self) -> ImapSettings:
        problem = login_problem(self)
        if problem is not None:
            raise ValueError(problem)
        return self

    @property
    def oauth_token_url(self) -> str:
        """``token_url``, else the provider's token endpoint."""
        if self.token_url is not None:
            return str(self.token_url)
        if self.provider == "microsoft":
            return f"https://login.microsoftonline.com/{self.tenant}/oauth2/v2.0/token"
        return "https://oauth2.googleapis.com/token"

    @property
    def oauth_scope(self) -> str | None:
        """``scope``, else the provider's for the grant used; ``None``: none is sent."""
        if self.scope is not None or self.provider is None:
            return self.scope
        if self.provider == "google":
            return "https://mail.google.com/"
        if self.refresh_token_env is not None:  # delegated access, a user's consent
            return "https://outlook.office365.com/IMAP.AccessAsUser.All offline_access"
        return "https://outlook.office365.com/.default"

    @property
    def secret_envs(self) -> tuple[str, ...]:
        """The environment variables this source reads its secrets from."""
        names = (self.password_env, self.client_secret_env, self.refresh_token_env)
        return tuple(name for name in names if name is not None)

    @property
    def effective_port(self) -> int:
        """The configured port, or 993 (implicit TLS) / 143 (STARTTLS, none)."""
        return self.port or (993 if self.tls == "implicit" else 143)
