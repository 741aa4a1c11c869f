"""What this machine lacks for a valid config to run: ``watchtower check``'s
environment warnings.

Unset secret variables (an IMAP source's ``password_env``, or its OAuth 2.0
``client_secret_env`` and ``refresh_token_env``, ``SLACK_BOT_TOKEN``
for Slack targets, an SMTP login half set) and missing CA files. Warnings, not
errors: ``check`` may run where the daemon does not (a laptop, CI). They name
variables, never their values. Each is located as the config's own problems
are (``FILE:LINE: key: message``): at the key naming the variable, or at the
section or target the variable serves.
"""

from __future__ import annotations

import ipaddress
import os
import re
from collections.abc import Sequence
from pathlib import Path

from watchtower.config_models import Config, LoadedConfig
from watchtower.errors import ConfigProblem
from watchtower.tomllines import Lines, dotted, line_for, locate_keys

__all__ = ["environment_warnings"]

#: SMTP submission ports (STARTTLS, implicit TLS): servers on them expect a login;
#: a relay on port 25 usually takes mail from its network without one.
_SUBMISSION_PORTS = (465, 587)
#: The keys of a source that name an environment variable holding a secret.
_SECRET_KEYS = ("password_env", "client_secret_env", "refresh_token_env")


class _Where:
    """Locates a warning in the config file as ``FILE:LINE: key:``."""

    def __init__(self, loaded: LoadedConfig, named: str | os.PathLike[str] | None) -> None:
        from watchtower.config import DEFAULT_CONFIG

        # The file as load_config names it in the config's own problems.
        self.path = str(Path(named or os.environ.get("WATCHTOWER_CONFIG") or DEFAULT_CONFIG))
        try:
            self.text = loaded.path.read_text("utf-8-sig")
        except (OSError, UnicodeDecodeError):  # moved since it was loaded: no line then
            self.text = ""
        self.lines: Lines = locate_keys(self.text)

    def say(self, loc: Sequence[str | int], message: str) -> str:
        return str(ConfigProblem(self.path, line_for(loc, self.lines), dotted(loc), message))

    def written(self, pattern: str) -> tuple[str | int, ...]:
        """The key whose value first writes ``pattern`` (a regular expression) outside
        a comment line; ``()`` when none does."""
        for number, line in enumerate(self.text.splitlines(), start=1):
            if not line.lstrip().startswith("#") and re.search(pattern, line):
                # The key on that line, or above it (a multi-line array's item).
                above = [loc for loc, at in self.lines.items() if at <= number]
                return max(above, key=lambda loc: (self.lines[loc], len(loc)), default=())
        return ()


def environment_warnings(
    loaded: LoadedConfig, named: str | os.PathLike[str] | None = None
) -> list[str]:
    """Every warning about this machine's environment for ``loaded``, located in
    its file; ``named``: the path it was loaded by (``--config``), to name the
    file as the config's own warnings do."""
    where = _Where(loaded, named)
    return [
        *_source_warnings(loaded, where),
        *_slack_warnings(loaded, where),
        *_smtp_warnings(loaded, where),
    ]


def _source_warnings(loaded: LoadedConfig, where: _Where) -> list[str]:
    from watchtower.adapters.imap import ca_file_problem

    found = []
    for index, source in enumerate(loaded.sources):
        # An IMAP source's password_env, or client_secret_env / refresh_token_env (oauth2).
        for key in _SECRET_KEYS:
            name = getattr(source, key, None)
            if name and not _is_set(name):
                message = f"source {source.name!r}: the environment variable {name} is not set here"
                found.append(where.say(("sources", index, key), message))
        ca_file = getattr(source, "ca_file", None)  # made absolute by the config loader
        loc = ("sources", index, "ca_file")
        if ca_file and not Path(ca_file).is_file():
            message = f"source {source.name!r}: ca_file {ca_file} does not exist here"
            found.append(where.say(loc, message))
        elif ca_file and (unusable := ca_file_problem(ca_file)):
            found.append(where.say(loc, f"source {source.name!r}: {unusable}"))
    return found


def _is_set(name: str) -> bool:
    return bool(os.environ.get(name))


def _targets(config: Config, kind: str) -> list[str]:
    from watchtower.pipeline.route import configured_targets

    return sorted(t for t in configured_targets(config) if t.startswith(f"{kind}:"))


def _shown(targets: list[str]) -> str:
    return ", ".join(targets[:3]) + (f" and {len(targets) - 3} more" if len(targets) > 3 else "")


def _slack_warnings(loaded: LoadedConfig, where: _Where) -> list[str]:
    """A service started without the token holds every Slack notification (and a
    terminal prints them instead): ``check`` is where a newcomer learns it. Located
    at the first Slack target written, else at ``[slack]`` (whose default channel
    is the default target)."""
    targets = _targets(loaded.config, "slack")
    token = loaded.secrets.slack_bot_token
    if not targets or (token is not None and token.get_secret_value()):
        return []
    loc = where.written(r"[\"']slack:") or ("slack",)
    return [
        where.say(
            loc,
            f"slack targets ({_shown(targets)}): the environment variable SLACK_BOT_TOKEN is "
            f"not set here; a service started so holds every Slack notification until it is "
            f"(in a terminal, they are printed instead)",
        )
    ]


def _smtp_warnings(loaded: LoadedConfig, where: _Where) -> list[str]:
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
    server = f"[email] smtp_host {email.smtp_host}:{email.smtp_port}"
    if username != password:
        have, lack = (
            ("SMTP_USERNAME", "SMTP_PASSWORD") if username else ("SMTP_PASSWORD", "SMTP_USERNAME")
        )
        message = (
            f"{server}: {have} is set here but not {lack}; the server will refuse the "
            f"login, and e-mail ({_shown(targets)}) waits until both are set"
        )
        return [where.say(("email",), message)]
    if username and not email.login:
        # The notifier logs in whenever they are set: a relay offering no AUTH refuses that.
        message = (
            f"{server}: login = false, yet SMTP_USERNAME and SMTP_PASSWORD are set here and "
            f"watchtower logs in with them; unset them, or remove login = false"
        )
        return [where.say(("email", "login"), message)]
    if (
        not username
        and email.login
        and email.smtp_port in _SUBMISSION_PORTS
        and not _loopback(email.smtp_host)
    ):
        message = (
            f"{server}: the environment variables SMTP_USERNAME and SMTP_PASSWORD are not "
            f"set here; a server on port {email.smtp_port} usually requires a login, and "
            f"e-mail ({_shown(targets)}) would wait until they are set; if this server "
            f"relays without a login on purpose, write login = false in [email]"
        )
        return [where.say(("email",), message)]
    return []


def _loopback(host: str) -> bool:
    """A relay on this machine (``localhost``, ``127.0.0.1``) often needs no login."""
    if host.casefold() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False
