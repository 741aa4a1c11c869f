"""Security review S19: what a config edit (marketing edits the TOML) can make
the daemon do with the secrets it holds in its environment.

Each test asserts the correct behaviour and fails on the code reviewed.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from watchtower.config import parse_config
from watchtower.errors import ConfigError

BASE = """\
[watchtower]
database_url = "sqlite:///state/wt.db"

[[brands]]
name = "Acme"
terms = ["Acme"]

{sources}
[[rules]]
name = "crise"
brands = ["Acme"]
severity = "critical"
notify = ["console:"]
{tail}"""

#: The daemon's own secrets: a source must not be able to send them elsewhere.
OWN_SECRETS = ["SLACK_BOT_TOKEN", "SMTP_PASSWORD", "SMTP_USERNAME", "WATCHTOWER_DATABASE_URL"]


def _config(sources: str = "", tail: str = "") -> str:
    return BASE.format(sources=sources, tail=tail)


@pytest.mark.parametrize("variable", OWN_SECRETS)
def test_a_forum_api_key_cannot_be_the_daemons_own_secret(variable: str, tmp_path: Path) -> None:
    # The Api-Key header goes to base_url, a host the config names: with
    # api_key_env = "SLACK_BOT_TOKEN" the bot token is sent to that forum.
    text = _config(
        sources=(
            '[[sources]]\nname = "forum"\nkind = "discourse"\n'
            f'base_url = "https://forum.example.com"\napi_key_env = "{variable}"\n'
        )
    )
    with pytest.raises(ConfigError, match="api_key_env"):
        parse_config(text, tmp_path / "watchtower.toml")


@pytest.mark.parametrize("variable", OWN_SECRETS)
def test_an_imap_password_cannot_be_the_daemons_own_secret(variable: str, tmp_path: Path) -> None:
    # The IMAP LOGIN sends the variable's value to ``host``, which the config names.
    text = _config(
        sources=(
            '[[sources]]\nname = "boite"\nkind = "imap"\nhost = "imap.example.com"\n'
            f'username = "veille@example.com"\npassword_env = "{variable}"\n'
        )
    )
    with pytest.raises(ConfigError, match="password_env"):
        parse_config(text, tmp_path / "watchtower.toml")


@pytest.mark.parametrize("variable", OWN_SECRETS)
def test_an_oauth_client_secret_cannot_be_the_daemons_own_secret(
    variable: str, tmp_path: Path
) -> None:
    # The token request posts client_secret to token_url, which the config names.
    text = _config(
        sources=(
            '[[sources]]\nname = "boite"\nkind = "imap"\nhost = "imap.example.com"\n'
            'username = "veille@example.com"\nauth = "oauth2"\n'
            'token_url = "https://login.example.com/token"\nclient_id = "app"\n'
            f'scope = "mail"\nclient_secret_env = "{variable}"\n'
        )
    )
    with pytest.raises(ConfigError, match="client_secret_env"):
        parse_config(text, tmp_path / "watchtower.toml")


def test_an_oauth_token_url_is_not_plain_http(tmp_path: Path) -> None:
    # client_secret and refresh_token would cross the network in clear, where
    # the same source refuses tls = "none" without allow_private.
    text = _config(
        sources=(
            '[[sources]]\nname = "boite"\nkind = "imap"\nhost = "imap.example.com"\n'
            'username = "veille@example.com"\nauth = "oauth2"\n'
            'token_url = "http://login.example.com/token"\nclient_id = "app"\n'
            'scope = "mail"\nclient_secret_env = "M365_CLIENT_SECRET"\n'
        )
    )
    with pytest.raises(ConfigError, match="token_url"):
        parse_config(text, tmp_path / "watchtower.toml")


def test_the_slack_api_is_not_reached_over_plain_http(tmp_path: Path) -> None:
    # Every Web API call carries "Authorization: Bearer xoxb-…": over http:// the
    # bot token crosses the network in clear (SMTP and IMAP refuse the same).
    text = _config(tail='\n[slack]\napi_url = "http://slack.example.com/api/"\n')
    with pytest.raises(ConfigError, match="api_url"):
        parse_config(text, tmp_path / "watchtower.toml")


def test_the_slack_api_on_this_machine_may_be_plain_http(tmp_path: Path) -> None:
    # The fake Slack server of the tests, a local proxy: nothing crosses a network.
    text = _config(tail='\n[slack]\napi_url = "http://127.0.0.1:8080/api/"\n')
    loaded = parse_config(text, tmp_path / "watchtower.toml")
    assert loaded.config.slack is not None
