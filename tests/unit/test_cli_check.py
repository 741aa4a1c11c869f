"""`watchtower check`'s warnings about this machine (an unset Slack token, an SMTP
login missing or half set), and `schema -o` into a path it cannot write."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest

from watchtower.cli import main

SECRET = "xoxb-not-a-real-token-4242"

BRAND = (
    '[[brands]]\nname = "Acmé"\nterms = ["Acmé"]\n'
    '[[sources]]\nname = "presse"\nkind = "rss"\nurl = "https://presse.acme.example/rss.xml"\n'
)


@pytest.fixture
def no_secrets(monkeypatch: pytest.MonkeyPatch) -> pytest.MonkeyPatch:
    for name in ("SLACK_BOT_TOKEN", "SMTP_USERNAME", "SMTP_PASSWORD"):
        monkeypatch.delenv(name, raising=False)
    return monkeypatch


def check(path: Path, capsys: pytest.CaptureFixture[str]) -> list[str]:
    assert main(["check", "--config", str(path)]) == 0  # warnings: the daemon may run elsewhere
    return [line for line in capsys.readouterr().err.splitlines() if line.startswith("warning:")]


# ------------------------------------------------------------------ Slack token


@pytest.mark.parametrize(
    "config",
    [
        '[slack]\ndefault_channel = "#veille"\n',  # default_notify: the Slack default channel
        '[watchtower]\ndefault_notify = ["console:"]\n'
        '[[rules]]\nname = "crise"\nnotify = ["slack:#crise"]\n',
        '[watchtower]\ndefault_notify = ["console:"]\nops_notify = ["slack:#ops"]\n',
    ],
)
def test_check_warns_when_slack_targets_have_no_token(
    write_config: Callable[[str], Path],
    capsys: pytest.CaptureFixture[str],
    no_secrets: pytest.MonkeyPatch,
    config: str,
) -> None:
    path = write_config(config + BRAND)
    [warning] = [w for w in check(path, capsys) if "SLACK_BOT_TOKEN" in w]
    assert "the environment variable SLACK_BOT_TOKEN is not set here" in warning
    assert "holds every Slack notification" in warning and "slack:#" in warning


def test_no_slack_warning_with_a_token_or_without_slack_targets(
    write_config: Callable[[str], Path],
    capsys: pytest.CaptureFixture[str],
    no_secrets: pytest.MonkeyPatch,
) -> None:
    # Guard: nothing to say when the token is there, or when nothing goes to Slack.
    assert check(write_config(BRAND), capsys) == []  # console: by default
    no_secrets.setenv("SLACK_BOT_TOKEN", SECRET)
    out = main(["check", "--config", str(write_config("[slack]\n" + BRAND))])
    captured = capsys.readouterr()
    assert out == 0 and "warning" not in captured.err
    assert SECRET not in captured.out + captured.err


def test_an_empty_slack_token_counts_as_unset(
    write_config: Callable[[str], Path],
    capsys: pytest.CaptureFixture[str],
    no_secrets: pytest.MonkeyPatch,
) -> None:
    # The daemon treats an empty SLACK_BOT_TOKEN as none (app._build_notifier).
    no_secrets.setenv("SLACK_BOT_TOKEN", "")
    assert any("SLACK_BOT_TOKEN" in w for w in check(write_config("[slack]\n" + BRAND), capsys))


# ------------------------------------------------------------------ SMTP login

EMAIL = (
    '[watchtower]\ndefault_notify = ["email:dircom@acme.example"]\n'
    '[email]\nsmtp_host = "{host}"\nsmtp_port = {port}\nfrom = "veille@acme.example"\n'
)


@pytest.mark.parametrize(
    ("env", "said"),
    [
        ({"SMTP_USERNAME": "veille"}, "SMTP_USERNAME is set here but not SMTP_PASSWORD"),
        ({"SMTP_PASSWORD": "hunter2-secret"}, "SMTP_PASSWORD is set here but not SMTP_USERNAME"),
        ({}, "SMTP_USERNAME and SMTP_PASSWORD are not set here"),
    ],
)
def test_check_warns_about_a_missing_smtp_login(
    write_config: Callable[[str], Path],
    capsys: pytest.CaptureFixture[str],
    no_secrets: pytest.MonkeyPatch,
    env: dict[str, str],
    said: str,
) -> None:
    for name, value in env.items():
        no_secrets.setenv(name, value)
    path = write_config(EMAIL.format(host="smtp.acme.example", port=587) + BRAND)
    assert main(["check", "--config", str(path)]) == 0
    err = capsys.readouterr().err
    [warning] = [line for line in err.splitlines() if "SMTP_" in line]
    assert warning.startswith(
        f"warning: {path}:3: email: [email] smtp_host smtp.acme.example:587: "
    )
    assert said in warning and "email:dircom@acme.example" in warning
    assert "hunter2-secret" not in err and "veille" not in err.replace("veille@", "")


@pytest.mark.parametrize(
    ("host", "port", "env"),
    [
        ("smtp.acme.example", 587, {"SMTP_USERNAME": "u", "SMTP_PASSWORD": "p"}),
        ("localhost", 587, {}),  # a local relay: no password crosses a network
        ("127.0.0.1", 465, {}),
        ("relais.acme.example", 25, {}),  # a relay port: often no login, by network
    ],
)
def test_no_smtp_warning_when_the_login_is_set_or_likely_not_needed(
    write_config: Callable[[str], Path],
    capsys: pytest.CaptureFixture[str],
    no_secrets: pytest.MonkeyPatch,
    host: str,
    port: int,
    env: dict[str, str],
) -> None:
    # Guard.
    for name, value in env.items():
        no_secrets.setenv(name, value)
    assert check(write_config(EMAIL.format(host=host, port=port) + BRAND), capsys) == []


def test_no_smtp_warning_without_email_targets(
    write_config: Callable[[str], Path],
    capsys: pytest.CaptureFixture[str],
    no_secrets: pytest.MonkeyPatch,
) -> None:
    # Guard: an [email] section nothing sends to needs no login.
    text = '[email]\nsmtp_host = "smtp.acme.example"\nfrom = "veille@acme.example"\n' + BRAND
    assert check(write_config(text), capsys) == []


# ------------------------------------------------------------------ schema -o


@pytest.mark.parametrize(
    ("output", "reason"),
    [
        ("missing/schema.json", "the folder {tmp}/missing does not exist"),
        ("a-file/schema.json", "{tmp}/a-file is not a folder"),
        (".", "it is a folder"),
    ],
)
def test_schema_into_a_path_it_cannot_write_is_one_line(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    output: str,
    reason: str,
) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "a-file").write_text("", encoding="utf-8")
    assert main(["schema", "-o", output]) == 1  # a failure, as `db backup` into a missing folder
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err.splitlines() == [
        f"watchtower schema: cannot write {output}: {reason.format(tmp=tmp_path)}"
    ]


def test_schema_into_a_read_only_place_is_one_line(capsys: pytest.CaptureFixture[str]) -> None:
    # /proc refuses new files even to root (a chmod would not stop root).
    assert main(["schema", "-o", "/proc/watchtower-schema.json"]) == 1
    [line] = capsys.readouterr().err.splitlines()
    assert line.startswith("watchtower schema: cannot write /proc/watchtower-schema.json: ")


def test_schema_still_writes_its_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    # Guard.
    assert main(["schema", "-o", str(tmp_path / "s.json")]) == 0
    assert "sources" in json.loads((tmp_path / "s.json").read_text(encoding="utf-8"))["properties"]
    assert capsys.readouterr().err.startswith("JSON Schema written to")
