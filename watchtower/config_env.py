"""What this machine lacks for a valid config to run: ``watchtower check``'s
environment warnings.

Unset secret variables (an IMAP source's ``password_env``, or its OAuth 2.0
``client_secret_env`` and ``refresh_token_env``, ``SLACK_BOT_TOKEN``
for Slack targets, an SMTP login half set) and missing CA files. Warnings, not
errors: ``check`` may run where the daemon does not (a laptop, CI). They name
variables, never their values.
"""

from __future__ import annotations

import ipaddress
import os
from pathlib import Path

from watchtower.config_models import Config, LoadedConfig

__all__ = ["environment_warnings"]

#: SMTP submission ports (STARTTLS, implicit TLS): servers on them expect a login;
#: a relay on port 25 usually takes mail from its network without one.
_SUBMISSION_PORTS = (465, 587)


def environment_warnings(loaded: LoadedConfig) -> list[str]:
    """Every warning about this machine's environment for ``loaded``."""
    return [*_source_warnings(loaded), *_slack_warnings(loaded), *_smtp_warnings(loaded)]


def _source_warnings(loaded: LoadedConfig) -> list[str]:
    from watchtower.adapters.imap import ca_file_problem

    found = []
    for source in loaded.sources:
        # An IMAP source's password_env, or client_secret_env / refresh_token_env (oauth2).
        names = getattr(source, "secret_envs", None) or (getattr(source, "password_env", None),)
        for name in names:
            if name and not _is_set(name):
                found.append(
                    f"source {source.name!r}: the environment variable {name} is not set here"
                )
        ca_file = getattr(source, "ca_file", None)  # made absolute by the config loader
        if ca_file and not Path(ca_file).is_file():
            found.append(f"source {source.name!r}: ca_file {ca_file} does not exist here")
        elif ca_file and (unusable := ca_file_problem(ca_file)):
            found.append(f"source {source.name!r}: {unusable}")
    return found


def _is_set(name: str) -> bool:
    return bool(os.environ.get(name))


def _targets(config: Config, kind: str) -> list[str]:
    from watchtower.pipeline.route import configured_targets

    return sorted(t for t in configured_targets(config) if t.startswith(f"{kind}:"))


def _shown(targets: list[str]) -> str:
    return ", ".join(targets[:3]) + (f" and {len(targets) - 3} more" if len(targets) > 3 else "")


def _slack_warnings(loaded: LoadedConfig) -> list[str]:
    """A service started without the token holds every Slack notification (and a
    terminal prints them instead): ``check`` is where a newcomer learns it."""
    targets = _targets(loaded.config, "slack")
    token = loaded.secrets.slack_bot_token
    if not targets or (token is not None and token.get_secret_value()):
        return []
    return [
        f"slack targets ({_shown(targets)}): the environment variable SLACK_BOT_TOKEN is "
        f"not set here; a service started so holds every Slack notification until it is "
        f"(in a terminal, they are printed instead)"
    ]


def _smtp_warnings(loaded: LoadedConfig) -> list[str]:
    """An SMTP login half set is refused by every server; none at all is refused
    by a submission port's server, at the first alert rather than at ``check``,
    unless ``[email] login = false`` says the relay needs none (then a login set
    anyway is the surprise)."""
    email = loaded.config.email
    targets = _targets(loaded.config, "email")
    if email is None or not targets:
        return []
    secrets = loaded.secrets
    username = secrets.smtp_username is not None and bool(secrets.smtp_username.get_secret_value())
    password = secrets.smtp_password is not None and bool(secrets.smtp_password.get_secret_value())
    where = f"[email] smtp_host {email.smtp_host}:{email.smtp_port}"
    if username != password:
        have, lack = (
            ("SMTP_USERNAME", "SMTP_PASSWORD") if username else ("SMTP_PASSWORD", "SMTP_USERNAME")
        )
        return [
            f"{where}: {have} is set here but not {lack}; the server will refuse the "
            f"login, and e-mail ({_shown(targets)}) waits until both are set"
        ]
    if username and not email.login:
        # The notifier logs in whenever they are set: a relay offering no AUTH refuses that.
        return [
            f"{where}: login = false, yet SMTP_USERNAME and SMTP_PASSWORD are set here and "
            f"watchtower logs in with them; unset them, or remove login = false"
        ]
    if (
        not username
        and email.login
        and email.smtp_port in _SUBMISSION_PORTS
        and not _loopback(email.smtp_host)
    ):
        return [
            f"{where}: the environment variables SMTP_USERNAME and SMTP_PASSWORD are not "
            f"set here; a server on port {email.smtp_port} usually requires a login, and "
            f"e-mail ({_shown(targets)}) would wait until they are set; if this server "
            f"relays without a login on purpose, write login = false in [email]"
        ]
    return []


def _loopback(host: str) -> bool:
    """A relay on this machine (``localhost``, ``127.0.0.1``) often needs no login."""
    if host.casefold() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False
