"""The environment variables holding watchtower's own secrets.

A source names the variable of its own secret (``api_key_env``,
``password_env``…) and sends its value to a host the config names: naming one
of these would send the Slack token or the SMTP password to that host.
"""

from __future__ import annotations

__all__ = ["OWN_SECRETS", "check_source_secret_env"]

#: Read by the daemon itself (notifiers, database); never a source's secret.
OWN_SECRETS = frozenset(
    {"SLACK_BOT_TOKEN", "SMTP_USERNAME", "SMTP_PASSWORD", "WATCHTOWER_DATABASE_URL"}
)


def check_source_secret_env(value: str | None) -> str | None:
    """``value``, unless it names one of :data:`OWN_SECRETS` (a ``ValueError``)."""
    if value is not None and value.upper() in OWN_SECRETS:
        raise ValueError(
            f"{value} holds a secret of watchtower itself, which this source would "
            "send to its own server; give the source a variable of its own"
        )
    return value
