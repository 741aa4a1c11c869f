"""Which sources are placeholders (one rule for `check` and the poller), and
`check`'s environment warnings located at the key they are about, as the
config's own problems are (``FILE:LINE: key: message``)."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import pytest

from watchtower.cli import main
from watchtower.config import parse_config
from watchtower.placeholders import placeholder

BRAND = '[[brands]]\nname = "Acmé"\nterms = ["Acmé"]\n'


def source_of(text: str, tmp_path: Path) -> object:
    [source] = parse_config(f'[[sources]]\nname = "s"\n{text}\n', tmp_path / "w.toml").sources
    return source


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        # config.example.toml's own values: placeholders, whatever allow_private says.
        ('kind = "google_alerts"\nurl = "https://www.google.com/alerts/feeds/00000/11111"', True),
        ('kind = "rss"\nurl = "https://www.example.fr/rss.xml"\nallow_private = true', True),
        ('preset = "phpbb"\nbase_url = "https://forum.example.fr"', True),
        (
            'kind = "imap"\nhost = "imap.example.fr"\nusername = "veille@example.fr"\n'
            'password_env = "P"',
            True,
        ),
        # RFC 2606's documentation domains: IANA's servers answer them.
        ('kind = "rss"\nurl = "https://example.com/feed"', False),
        ('kind = "rss"\nurl = "https://news.EXAMPLE.org/rss.xml"', False),
        ('kind = "discourse"\nbase_url = "https://forum.example.net"', False),
        (
            'kind = "imap"\nhost = "imap.example.com"\nusername = "u"\npassword_env = "P"',
            False,
        ),
    ],
)
def test_placeholders(tmp_path: Path, source: str, expected: bool) -> None:
    found = placeholder(source_of(source, tmp_path))  # type: ignore[arg-type]
    assert found is not None and found.example is expected


@pytest.mark.parametrize(
    "source",
    [
        'kind = "google_alerts"\nurl = "https://www.google.com/alerts/feeds/123/456"',
        'kind = "rss"\nurl = "https://presse.example.fr/rss.xml"',  # tests' and docs' hosts
        'kind = "rss"\nurl = "https://example.com.acme.fr/feed"',
        'kind = "rss"\nurl = "https://notexample.com/feed"',
        # Reserved names no public server answers: a local network's, the tests'.
        'kind = "rss"\nurl = "http://flux.lan.test/f.xml"\nallow_private = true',
        'kind = "rss"\nurl = "http://feed.localhost:8080/f.xml"\nallow_private = true',
        'kind = "rss"\nurl = "https://presse.acme.example/rss.xml"',
        'kind = "rss"\nurl = "https://flux.acme.invalid/f.xml"',
        'kind = "imap"\nhost = "imap.example.fr"\nusername = "u"\npassword_env = "P"',
    ],
)
def test_real_sources_are_not_placeholders(tmp_path: Path, source: str) -> None:
    assert placeholder(source_of(source, tmp_path)) is None  # type: ignore[arg-type]


def test_check_warns_about_a_documentation_domain_at_its_line(tmp_path: Path) -> None:
    text = BRAND + '[[sources]]\nname = "blog"\nkind = "rss"\nurl = "https://blog.example.org/f"\n'
    [warning] = [str(w) for w in parse_config(text, tmp_path / "w.toml").warnings]
    assert warning == (
        f"{tmp_path / 'w.toml'}:7: sources[0].url: blog.example.org is reserved for "
        "documentation (RFC 2606): replace it with your own feed's address, or remove this "
        "source; until then watchtower does not poll it"
    )


# ------------------------------------------------------------------ environment warnings


def env_warnings(capsys: pytest.CaptureFixture[str], *args: str) -> list[str]:
    capsys.readouterr()
    assert main(["check", *args]) == 0
    return [line for line in capsys.readouterr().err.splitlines() if line.startswith("warning:")]


def line_of(path: Path, number: int) -> str:
    return path.read_text("utf-8").splitlines()[number - 1]


def test_after_init_the_unset_imap_password_is_located_at_password_env(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)
    for name in ("WATCHTOWER_CONFIG", "IMAP_PASSWORD", "SLACK_BOT_TOKEN"):
        monkeypatch.delenv(name, raising=False)
    assert main(["init"]) == 0
    warnings = env_warnings(capsys)
    [imap] = [w for w in warnings if "IMAP_PASSWORD" in w]
    located = re.match(r"warning: watchtower\.toml:(\d+): sources\[5\]\.password_env: ", imap)
    assert located, imap
    assert imap.endswith(
        "source 'groupes-linkedin': the environment variable IMAP_PASSWORD is not set here"
    )
    assert line_of(tmp_path / "watchtower.toml", int(located[1])).startswith("password_env = ")
    # The Slack token: at the first Slack target written (not a commented one).
    [slack] = [w for w in warnings if "SLACK_BOT_TOKEN" in w]
    located = re.match(r"warning: watchtower\.toml:(\d+): [\w\[\].]+: slack targets", slack)
    assert located, slack
    written = line_of(tmp_path / "watchtower.toml", int(located[1]))
    assert "slack:" in written and not written.lstrip().startswith("#")


def test_oauth_variables_and_ca_file_are_located_at_their_keys(
    write_config: Callable[[str], Path],
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    for name in ("WT_NO_SECRET", "WT_NO_REFRESH"):
        monkeypatch.delenv(name, raising=False)
    path = write_config(
        BRAND + '[[sources]]\nname = "m365"\nkind = "imap"\nhost = "outlook.office365.com"\n'
        'username = "veille@entreprise.fr"\nauth = "oauth2"\nprovider = "microsoft"\n'
        'tenant = "entreprise.onmicrosoft.com"\nclient_id = "app"\n'
        'client_secret_env = "WT_NO_SECRET"\nca_file = "/nonexistent/ca.pem"\n'
        '[[sources]]\nname = "gmail"\nkind = "imap"\nhost = "imap.gmail.com"\n'
        'username = "veille@entreprise.fr"\nauth = "oauth2"\nprovider = "google"\n'
        'client_id = "app"\nrefresh_token_env = "WT_NO_REFRESH"\n'
    )
    assert env_warnings(capsys, "--config", str(path)) == [
        f"warning: {path}:13: sources[0].client_secret_env: source 'm365': the environment "
        "variable WT_NO_SECRET is not set here",
        f"warning: {path}:14: sources[0].ca_file: source 'm365': ca_file /nonexistent/ca.pem "
        "does not exist here",
        f"warning: {path}:23: sources[1].refresh_token_env: source 'gmail': the environment "
        "variable WT_NO_REFRESH is not set here",
    ]
